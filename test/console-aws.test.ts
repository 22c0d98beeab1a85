// The web console as AWS serves it: the console entry bundled exactly as the stack deploys it
// (scripts/build-lambdas.ts, static files beside index.mjs), behind a stand-in for CloudFront that
// adds the origin header and runs the distribution's real viewer-request function. Headless
// Chromium (test/helpers/browser.ts) signs in with an admin token minted over the IAM admin entry (as `pooler --aws` would),
// sets up a pool, an account and a key, and finds a turn the runtime entry served in the logs.
// DynamoDB is the embedded emulator, Secrets Manager is mocked, the upstream is the fake.
import { rmSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import type { BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { VIEWER_REQUEST_CODE } from "../lib/constructs/viewer-request.ts";
import { bundleLambda } from "../scripts/build-lambdas.ts";
import { browserForTests, launchChromium } from "./helpers/browser.ts";
import { runPooler } from "./helpers/cli.ts";
import { type FunctionUrlServer, startFunctionUrlServer } from "./helpers/function-url-server.ts";
import { REPO_ROOT, scratchDir, TEXT_TURN_BODY, waitFor } from "./helpers/gateway.ts";
import { invoke, type LambdaHarness, OPERATOR, ORIGIN_VALUE, startLambdaHarness } from "./helpers/lambda.ts";

// Skipped (one line in the run summary) where no browser can be had; CI requires one.
const browser = browserForTests();
const SHOTS = join(REPO_ROOT, ".test-tmp", "console-screenshots");
const POOL = "aws-console";
const origin = { "x-origin-verify": ORIGIN_VALUE };

let aws: LambdaHarness;
let bundleDir: string;
let consoleHandler: unknown;
let runtime: unknown;
let front: FunctionUrlServer;
let context: BrowserContext;
let page: Page;
let profile: string;
let adminToken: { id: string; secret: string };
let poolKey = "";
const browserErrors: string[] = [];

/** The console entry invoked directly, as a function URL event with the given headers. */
async function consoleCall(path: string, headers: Record<string, string>) {
  const out = await invoke(consoleHandler, { method: "GET", path, headers });
  return { status: out.prelude().statusCode, headers: out.prelude().headers ?? {}, body: out.body() };
}

async function open(path: string): Promise<void> {
  await page.goto(`${front.url}${path}`);
  await page.locator("body[data-ready='true']").waitFor();
}

beforeAll(async () => {
  if (!browser) return;
  aws = await startLambdaHarness();
  bundleDir = scratchDir("bundle-console");
  const built = await bundleLambda("console", bundleDir);
  consoleHandler = await aws.entry("console", () => import(pathToFileURL(built.file).href));
  runtime = await aws.entry("runtime", () => import("../lambdas/runtime.ts"));
  front = await startFunctionUrlServer(consoleHandler, {
    originHeaders: origin,
    viewerRequest: VIEWER_REQUEST_CODE,
  });
  const minted = await aws.iamAdmin("POST", "/admin-tokens", { label: "console" });
  expect(minted.status).toBe(201);
  adminToken = { id: minted.body.token.id, secret: minted.body.secret };

  profile = scratchDir("chromium-profile-aws");
  context = await launchChromium(browser, profile, {
    viewport: { width: 1280, height: 900 },
    timeout: 30_000,
  });
  context.setDefaultTimeout(10_000);
  context.setDefaultNavigationTimeout(10_000);
  page = context.pages()[0] ?? (await context.newPage());
  page.on("pageerror", (error) => browserErrors.push(`pageerror: ${error.message}`));
  page.on("console", (message) => {
    if (message.type() === "error" && !message.text().startsWith("Failed to load resource")) {
      browserErrors.push(`console: ${message.text()}`);
    }
  });
  page.on("dialog", (dialog) => void dialog.accept());
}, 120_000);

afterAll(async () => {
  await context?.close();
  if (profile) rmSync(profile, { recursive: true, force: true });
  await front?.close();
  await aws?.close();
  if (bundleDir) rmSync(bundleDir, { recursive: true, force: true });
});

describe.skipIf(!browser)("the console function on AWS", () => {
  it("serves the pages and its static files from the bundle, only with CloudFront's origin header", async () => {
    for (const path of ["/admin", "/admin/sign-in", "/admin/assets/app.js", "/admin/assets/console.css"]) {
      const res = await fetch(`${front.url}${path}`);
      expect(res.status, path).toBe(200);
      expect(res.headers.get("content-security-policy"), path).toContain("script-src 'self'");
      expect(res.headers.get("cache-control"), path).toBe("no-store");
      await res.arrayBuffer();
    }
    const signIn = await (await fetch(`${front.url}/admin/sign-in`)).text();
    expect(signIn).toContain("admin-token create");
    expect(signIn).not.toContain("npm start");

    // Straight to the function URL, without the origin header: refused before anything is served.
    const direct = await consoleCall("/admin/sign-in", {});
    expect(direct.status).toBe(403);
    expect(JSON.parse(direct.body).error.code).toBe("origin_forbidden");
    // Only /admin here: the runtime's routes live on the runtime function.
    const runtimeRoute = await fetch(`${front.url}/backend-api/codex/models`);
    expect(runtimeRoute.status).toBe(404);
    expect((await runtimeRoute.json()).error.message).toContain("serves /admin and /observatory only");
  });

  it("takes admin tokens, not IAM identities or Pool keys, on its admin API", async () => {
    const noToken = await fetch(`${front.url}/admin/v1/pools`);
    expect(noToken.status).toBe(401);
    expect((await noToken.json()).error.code).toBe("admin_token_invalid");
    // An IAM identity in the event means nothing here (this URL's auth type is NONE).
    const iam = await invoke(consoleHandler, { path: "/admin/v1/pools", headers: origin, iam: OPERATOR });
    expect(iam.prelude().statusCode).toBe(401);
    const ok = await fetch(`${front.url}/admin/v1/pools`, {
      headers: { authorization: `Bearer ${adminToken.secret}` },
    });
    expect(ok.status).toBe(200);
    expect((await ok.json()).data).toEqual([]);
  });

  it("signs in with a token minted over IAM and sets up a pool, an account and a key; all audited by token", async () => {
    await page.goto(`${front.url}/admin/pools`);
    await page.waitForURL(/\/admin\/sign-in\?next=/);
    await page.getByLabel("Admin token").fill("adm-cxp-000000000000-wrong");
    await page.getByRole("button", { name: "Sign in" }).click();
    await expect.poll(() => page.locator("[data-sign-in-error]").textContent()).toContain("not accepted");
    await page.getByLabel("Admin token").fill(adminToken.secret);
    await page.keyboard.press("Enter");
    await page.waitForURL(`${front.url}/admin/pools`);
    await page.locator("body[data-ready='true']").waitFor();

    const poolForm = page.locator('form[data-form="create-pool"]');
    await poolForm.getByLabel("Name").fill(POOL);
    await poolForm.getByRole("button", { name: "Create pool" }).click();
    await page.locator(`article[data-pool="${POOL}"]`).waitFor();

    const upstream = aws.fake.createAccount({ planType: "pro" });
    await open("/admin/accounts");
    const importForm = page.locator('form[data-form="import-account"]');
    await importForm.getByLabel("Pool").selectOption(POOL);
    await importForm.getByLabel("Label (optional)").fill("alice");
    await importForm.getByLabel("auth.json contents").fill(JSON.stringify(upstream.authJson));
    await importForm.getByRole("button", { name: "Import account" }).click();
    await expect.poll(() => page.locator("[data-import-result]").textContent()).toContain("Account alice");

    await open("/admin/keys");
    const keyForm = page.locator('form[data-form="create-key"]');
    await keyForm.getByLabel("Pool").selectOption(POOL);
    await keyForm.getByRole("button", { name: "Create key" }).click();
    const secret = page.locator("[data-secret]");
    await secret.waitFor();
    poolKey = await secret.inputValue();
    expect(poolKey).toMatch(/^sk-cxp-[0-9a-f]{12}-\S+$/);
    await page.screenshot({ path: join(SHOTS, "aws-01-key-revealed.png"), mask: [secret] });

    // What the console did is what the IAM admin API sees, audited under the admin token's id.
    const accounts = await aws.iamAdmin("GET", `/accounts?pool=${POOL}`);
    expect(accounts.body.data).toEqual([expect.objectContaining({ label: "alice", status: "active" })]);
    const audit = await aws.iamAdmin("GET", "/audit-events?limit=50");
    const mine = audit.body.data.filter((e: any) =>
      ["pool.create", "upstream_account.import", "api_key.create"].includes(e.action),
    );
    expect(mine.map((e: any) => e.action).sort()).toEqual([
      "api_key.create",
      "pool.create",
      "upstream_account.import",
    ]);
    for (const event of mine) expect(event.actor).toBe(`admin:${adminToken.id}`);
    // The account's tokens went to Secrets Manager, not to the page.
    expect([...aws.secrets.secrets.values()].map((s) => s.current).join("\n")).toContain(
      upstream.authJson.tokens.refresh_token,
    );
    expect(await page.content()).not.toContain(upstream.authJson.tokens.refresh_token);
  });

  it("shows a turn the runtime function served in the request logs", async () => {
    const turn = await invoke(runtime, {
      method: "POST",
      path: "/backend-api/codex/responses",
      headers: {
        ...origin,
        "content-type": "application/json",
        accept: "text/event-stream",
        authorization: `Bearer ${poolKey}`,
      },
      body: JSON.stringify(TEXT_TURN_BODY),
      base64: true,
    });
    expect(turn.prelude().statusCode).toBe(200);
    expect(turn.body()).toContain("response.completed");
    const keyId = poolKey.slice(7, 19);
    await waitFor(async () =>
      (await aws.iamAdmin("GET", `/request-logs?key=${keyId}`)).body.data.length ? true : undefined,
    );

    await open(`/admin/logs?key=${keyId}`);
    const row = page.locator("tr[data-log]").first();
    await row.waitFor();
    const text = (await row.textContent()) ?? "";
    expect(text).toContain("200");
    expect(text).toContain("alice");
    await page.screenshot({ path: join(SHOTS, "aws-02-request-logs.png"), fullPage: true });
  });

  it("gives client setup with the address the operator browsed to, not the function URL's", async () => {
    await open("/admin/clients?client=codex-cli");
    const html = await page.content();
    expect(html).toContain(`https://${new URL(front.url).host}/backend-api/codex`);
    expect(html).not.toContain("lambda-url");
  });

  it("limits failed sign-ins per viewer address, which only CloudFront's function can set", async () => {
    const attempt = (address: string) =>
      consoleCall("/admin/v1/pools", {
        ...origin,
        "x-pooler-viewer-address": address,
        // Well-formed stored-token guesses, a new id each (a malformed value is a guess at the
        // environment token, which has a bucket of its own).
        authorization: `Bearer adm-cxp-${crypto.randomUUID().replace(/-/g, "").slice(0, 12)}-${"w".repeat(43)}`,
      });
    const statuses: number[] = [];
    for (let i = 0; i < 31; i++) statuses.push((await attempt("198.51.100.1")).status);
    expect(statuses.slice(0, 30).every((s) => s === 401)).toBe(true);
    expect(statuses[30]).toBe(429);
    // Another viewer is not held back by the first one's failures.
    expect((await attempt("198.51.100.2")).status).toBe(401);
  });

  it("serves the pooler CLI at the gateway URL with an admin token, for operators without IAM access", async () => {
    const { code, stdout, stderr } = await runPooler(["--url", front.url, "--json", "pool", "list"], {
      env: { POOLER_ADMIN_TOKEN: adminToken.secret },
      stdin: process.stdin,
      fetch,
    });
    expect(stderr).toBe("");
    expect(code).toBe(0);
    expect(JSON.stringify(JSON.parse(stdout))).toContain(POOL);
  });

  it("stays within the console's IAM grants, with no browser errors", () => {
    expect(aws.recorder.outsideGrants("console")).toEqual([]);
    expect(aws.recorder.calls.get("console")?.size).toBeGreaterThan(3);
    expect(browserErrors).toEqual([]);
  });
});
