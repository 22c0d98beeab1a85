// The operator web console in a real browser: headless Chromium (test/helpers/browser.ts finds one),
// driven by playwright-core, against the real local host and the fake upstream. One browser for the
// whole file; each step goes through the console's pages as an operator would, and checks the
// outcome through the admin API too.
// Screenshots of every page land in .test-tmp/console-screenshots/ (kept as test artifacts).
import { mkdirSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import type { BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { browserForTests, launchChromium } from "./helpers/browser.ts";
import {
  REPO_ROOT,
  readSse,
  scratchDir,
  startTestGateway,
  TEXT_TURN_BODY,
  type TestGateway,
} from "./helpers/gateway.ts";

// Skipped (one line in the run summary) where no browser can be had; CI requires one.
const browser = browserForTests();
const SHOTS = join(REPO_ROOT, ".test-tmp", "console-screenshots");
const POOL = "console";

let gw: TestGateway;
let context: BrowserContext;
let page: Page;
let profile: string;
/** Browser-side failures: uncaught errors, console errors (CSP violations land here too). */
const browserErrors: string[] = [];
/** Every 4xx/5xx the browser got, as "status path". */
const failedResponses: string[] = [];
/** The one raw key the console revealed; it must never appear again. */
let revealedKey = "";
let keyId = "";
/** A local webhook receiver for the alert channel (recorded requests: headers only). */
const hook = { url: "", received: [] as Record<string, unknown>[], server: undefined as Server | undefined };

beforeAll(async () => {
  if (!browser) return;
  gw = await startTestGateway({ POOLER_SSE_KEEPALIVE_MS: "0", POOLER_ALERT_WEBHOOK_ALLOW_INSECURE: "1" });
  hook.server = createServer((req, res) => {
    hook.received.push(req.headers);
    req.resume();
    req.on("end", () => res.writeHead(200, { "content-type": "application/json" }).end("{}"));
  });
  await new Promise<void>((resolve) => hook.server?.listen(0, "127.0.0.1", resolve));
  hook.url = `http://127.0.0.1:${(hook.server.address() as AddressInfo).port}`;
  rmSync(SHOTS, { recursive: true, force: true });
  mkdirSync(SHOTS, { recursive: true });
  profile = scratchDir("chromium-profile");
  context = await launchChromium(browser, profile, {
    viewport: { width: 1280, height: 900 },
    timeout: 30_000,
  });
  context.setDefaultTimeout(10_000);
  context.setDefaultNavigationTimeout(10_000);
  await context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: gw.url });
  page = context.pages()[0] ?? (await context.newPage());
  page.on("pageerror", (error) => browserErrors.push(`pageerror: ${error.message}`));
  page.on("console", (message) => {
    // A failed fetch is logged by the browser itself; those are checked as responses below.
    if (message.type() === "error" && !message.text().startsWith("Failed to load resource")) {
      browserErrors.push(`console: ${message.text()}`);
    }
  });
  page.on("response", (response) => {
    if (response.status() >= 400)
      failedResponses.push(`${response.status()} ${new URL(response.url()).pathname}`);
  });
  // confirm() before rotate, revoke and remove: the operator says yes.
  page.on("dialog", (dialog) => void dialog.accept());
});

afterAll(async () => {
  await context?.close();
  if (profile) rmSync(profile, { recursive: true, force: true });
  await gw?.stop();
  hook.server?.closeAllConnections();
  await new Promise((resolve) => hook.server?.close(resolve));
});

async function open(path: string): Promise<void> {
  await page.goto(`${gw.url}${path}`);
  await page.locator("body[data-ready='true']").waitFor();
}

async function shot(name: string): Promise<void> {
  // A revealed secret is masked even in a throwaway gateway's screenshots.
  await page.screenshot({
    path: join(SHOTS, `${name}.png`),
    fullPage: true,
    mask: [page.locator("[data-secret]")],
  });
}

/** Every visible form control has an accessible name (a <label>, aria-label or aria-labelledby). */
async function unlabelledControls(): Promise<string[]> {
  return page.evaluate(() =>
    [...document.querySelectorAll("input, select, textarea")]
      .filter((el) => (el as HTMLElement).offsetParent !== null)
      .filter(
        (el) =>
          !(el as HTMLInputElement).labels?.length &&
          !el.getAttribute("aria-label") &&
          !el.getAttribute("aria-labelledby"),
      )
      .map((el) => el.outerHTML.slice(0, 120)),
  );
}

const turn = (key: string) =>
  fetch(`${gw.url}/backend-api/codex/responses`, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      accept: "text/event-stream",
      authorization: `Bearer ${key}`,
    },
    body: JSON.stringify(TEXT_TURN_BODY),
  });

describe.skipIf(!browser)("console responses", () => {
  it("carry the security headers and never cache", async () => {
    for (const path of ["/admin", "/admin/keys", "/admin/sign-in", "/admin/assets/app.js"]) {
      const response = await fetch(`${gw.url}${path}`);
      expect(response.status, path).toBe(200);
      const csp = response.headers.get("content-security-policy") ?? "";
      expect(csp).toContain("script-src 'self'");
      expect(csp).not.toContain("unsafe-inline");
      expect(csp).toContain("frame-ancestors 'none'");
      expect(response.headers.get("cache-control")).toBe("no-store");
      expect(response.headers.get("x-content-type-options")).toBe("nosniff");
      expect(response.headers.get("referrer-policy")).toBe("no-referrer");
      await response.arrayBuffer();
    }
    const missing = await fetch(`${gw.url}/admin/assets/..%2Fpages.ts`);
    expect(missing.status).toBe(404);
    await missing.arrayBuffer();
  });

  it("link their scripts and styles under a content version, cached for good there", async () => {
    const page = await (await fetch(`${gw.url}/admin`)).text();
    const script = /<script type="module" src="(\/admin\/assets\/([0-9a-f]{12})\/app\.js)"/.exec(page);
    expect(script, page.slice(0, 400)).not.toBeNull();
    const [, path, version] = script!;
    expect(page).toContain(`href="/admin/assets/${version}/console.css"`);
    const current = await fetch(`${gw.url}${path}`);
    expect(current.headers.get("cache-control")).toBe("public, max-age=31536000, immutable");
    expect(current.headers.get("content-security-policy")).toContain("script-src 'self'");
    const body = await current.text();
    // Relative module imports resolve under the same version.
    const lib = await fetch(`${gw.url}/admin/assets/${version}/api.js`);
    expect(lib.status).toBe(200);
    expect(lib.headers.get("cache-control")).toContain("immutable");
    await lib.arrayBuffer();
    // A page from an older build gets today's file, not cached under the old address.
    const stale = await fetch(`${gw.url}/admin/assets/000000000000/app.js`);
    expect(stale.headers.get("cache-control")).toBe("no-store");
    expect(await stale.text()).toBe(body);
    const unknown = await fetch(`${gw.url}/admin/assets/${version}/nope.js`);
    expect(unknown.status).toBe(404);
    await unknown.arrayBuffer();
  });

  it("keep the admin API as it was: JSON, and a token required", async () => {
    const response = await fetch(`${gw.url}/admin/v1/pools`);
    expect(response.status).toBe(401);
    expect((await response.json()).error.code).toBe("admin_token_invalid");
  });
});

describe.skipIf(!browser)("the console in Chromium", () => {
  it("sends an operator without a token to sign-in, refuses a wrong token and signs in by keyboard", async () => {
    await page.goto(`${gw.url}/admin/pools`);
    await page.waitForURL(/\/admin\/sign-in\?next=%2Fadmin%2Fpools/);
    expect(await unlabelledControls()).toEqual([]);
    await shot("01-sign-in");

    await page.getByLabel("Admin token").fill("adm-cxp-000000000000-wrong");
    await page.getByRole("button", { name: "Sign in" }).click();
    await expect.poll(() => page.locator("[data-sign-in-error]").textContent()).toContain("not accepted");
    expect(page.url()).toContain("/admin/sign-in");

    await page.getByLabel("Admin token").fill(gw.adminToken);
    await page.keyboard.press("Enter");
    await page.waitForURL(`${gw.url}/admin/pools`);
    await page.locator("body[data-ready='true']").waitFor();
    expect(await page.evaluate(() => Object.keys(sessionStorage))).toEqual(["codex-pooler.admin-token"]);
    expect(await page.evaluate(() => document.cookie)).toBe("");
  });

  it("creates a pool and changes its routing settings", async () => {
    await open("/admin/pools");
    // Keyboard: the first Tab reaches the skip link, which moves focus to the page content.
    await page.keyboard.press("Tab");
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe("Skip to content");
    await page.keyboard.press("Enter");
    expect(await page.evaluate(() => document.activeElement?.id)).toBe("main");
    const form = page.locator('form[data-form="create-pool"]');
    await form.getByLabel("Name").fill(POOL);
    await form.getByLabel("Strategy").selectOption("quota_first");
    await form.getByLabel("Ring size").fill("2");
    await form.getByRole("button", { name: "Create pool" }).click();
    const card = page.locator(`article[data-pool="${POOL}"]`);
    await card.waitFor();
    expect(await card.locator('[data-field="strategy"]').textContent()).toBe("quota_first");

    await card.getByLabel("Ring size").fill("4");
    await card.getByRole("button", { name: "Save settings" }).click();
    await expect.poll(() => card.locator('[data-field="ringSize"]').textContent()).toBe("4");

    const { body } = await gw.admin("GET", `/pools/${POOL}`);
    expect(body.pool).toMatchObject({ name: POOL, strategy: "quota_first", ringSize: 4 });
    // The console used the admin API, so the changes are audited with the operator's identity.
    const audit = await gw.admin("GET", "/audit-events?limit=20");
    const actions = audit.body.data.filter((e: any) => e.targetId === POOL).map((e: any) => e.action);
    expect(actions).toEqual(expect.arrayContaining(["pool.create", "pool.routing_update"]));
    expect(audit.body.data.find((e: any) => e.action === "pool.create").actor).toMatch(/^admin:/);
    expect(await unlabelledControls()).toEqual([]);
    await shot("02-pools");
  });

  it("imports an account from a pasted auth.json and clears the pasted tokens", async () => {
    const upstream = gw.fake.createAccount({ planType: "pro" });
    await open("/admin/accounts");
    const form = page.locator('form[data-form="import-account"]');
    await form.getByLabel("Pool").selectOption(POOL);
    await form.getByLabel("Label (optional)").fill("alice");
    await form.getByLabel("auth.json contents").fill(JSON.stringify(upstream.authJson));
    await form.getByRole("button", { name: "Import account" }).click();
    await expect.poll(() => page.locator("[data-import-result]").textContent()).toContain("Account alice");
    expect(await form.getByLabel("auth.json contents").inputValue()).toBe("");

    const { body } = await gw.admin("GET", `/accounts?pool=${POOL}`);
    expect(body.data).toHaveLength(1);
    expect(body.data[0]).toMatchObject({ label: "alice", planType: "pro", status: "active" });
    const row = page.locator(`tr[data-account="${body.data[0].id}"]`);
    await row.waitFor();
    expect(await row.getAttribute("data-status")).toBe("active");
    const html = await page.content();
    expect(html).not.toContain(upstream.authJson.tokens.refresh_token);
    expect(html).not.toContain(upstream.authJson.tokens.access_token);
  });

  it("creates a key, reveals it once with a copy button, and never shows it again", async () => {
    await open("/admin/keys");
    const form = page.locator('form[data-form="create-key"]');
    await form.getByLabel("Pool").selectOption(POOL);
    await form.getByLabel("Label (optional)").fill("laptop");
    await form.getByLabel("Tokens / day").fill("100000");
    await form.getByRole("button", { name: "Create key" }).click();
    const secret = page.locator("[data-secret]");
    await secret.waitFor();
    revealedKey = await secret.inputValue();
    expect(revealedKey).toMatch(/^sk-cxp-[0-9a-f]{12}-\S+$/);
    keyId = revealedKey.slice(7, 19);
    await shot("03-key-revealed");

    await page.getByRole("button", { name: "Copy" }).click();
    await expect.poll(() => page.evaluate(() => navigator.clipboard.readText())).toBe(revealedKey);
    await expect.poll(() => page.locator("[data-live]").textContent()).toContain("Copied");

    const { body } = await gw.admin("GET", `/keys?pool=${POOL}`);
    expect(body.data).toHaveLength(1);
    expect(body.data[0]).toMatchObject({ id: keyId, label: "laptop", policy: { tokensPerDay: 100000 } });
    expect(await page.locator(`tr[data-key="${keyId}"]`).count()).toBe(1);

    // Nothing keeps it: not storage, not the URL; a reload shows the key's prefix only.
    const stored = await page.evaluate(() => JSON.stringify({ ...sessionStorage, ...localStorage }));
    expect(stored).not.toContain(revealedKey);
    await open("/admin/keys");
    await page.locator(`tr[data-key="${keyId}"]`).waitFor();
    expect(await page.locator("[data-secret]").count()).toBe(0);
    expect(await page.content()).not.toContain(revealedKey.slice(20));
    expect(await page.locator(`tr[data-key="${keyId}"]`).textContent()).toContain(`sk-cxp-${keyId}`);
    expect(await unlabelledControls()).toEqual([]);
    await shot("04-keys");
  });

  it("shows a Codex turn in the request logs, with its metadata-only detail", async () => {
    const response = await turn(revealedKey);
    expect(response.status).toBe(200);
    expect((await readSse(response)).at(-1)?.type).toBe("response.completed");
    // The row is written once the relay has finished with the upstream, which can be just after
    // the client has read the terminal event; wait for it through the API before looking.
    await expect
      .poll(async () => (await gw.admin("GET", `/request-logs?key=${keyId}`)).body.data.length, {
        timeout: 10_000,
      })
      .toBe(1);

    await open(`/admin/logs?key=${keyId}`);
    const row = page.locator("tr[data-log]").first();
    await row.waitFor();
    const text = (await row.textContent()) ?? "";
    expect(text).toContain("gpt-5.5");
    expect(text).toContain("200");
    expect(text).toContain(keyId);
    expect(text).toContain("alice");
    expect(await page.getByLabel("Key id").inputValue()).toBe(keyId);
    await shot("05-request-logs");

    await row.getByRole("button", { name: /Details/ }).click();
    const detail = page.locator("[data-detail] dl");
    await detail.waitFor();
    const detailText = (await detail.textContent()) ?? "";
    expect(detailText).toContain("/backend-api/codex/responses");
    expect(detailText).toContain(`sk-cxp-${keyId}`);
    expect(detailText).not.toContain(revealedKey.slice(20));
    expect(await page.evaluate(() => document.activeElement?.id)).toBe("h-log-detail");
    await shot("06-request-detail");

    // Another pool's filter finds nothing.
    await page.getByLabel("Key id").fill("");
    await page.getByLabel("Pool").selectOption(POOL);
    await page.getByRole("button", { name: "Apply" }).click();
    await page.waitForURL(/pool=console/);
    await expect.poll(() => page.locator("tr[data-log]").count()).toBe(1);
  });

  it("pauses and resumes an account", async () => {
    const { body } = await gw.admin("GET", `/accounts?pool=${POOL}`);
    const id = body.data[0].id;
    await open("/admin/accounts");
    const row = page.locator(`tr[data-account="${id}"]`);
    await row.getByRole("button", { name: "Pause" }).click();
    await expect
      .poll(() => page.locator(`tr[data-account="${id}"]`).getAttribute("data-status"))
      .toBe("paused");
    expect((await gw.admin("GET", `/accounts/${id}`)).body.account.status).toBe("paused");

    await page.locator(`tr[data-account="${id}"]`).getByRole("button", { name: "Resume" }).click();
    await expect
      .poll(() => page.locator(`tr[data-account="${id}"]`).getAttribute("data-status"))
      .toBe("active");
    expect((await gw.admin("GET", `/accounts/${id}`)).body.account.status).toBe("active");
    expect(await unlabelledControls()).toEqual([]);
    await shot("07-accounts");
  });

  it("re-authenticates an account with a device code", async () => {
    const { body } = await gw.admin("GET", `/accounts?pool=${POOL}`);
    await open("/admin/accounts");
    await page
      .locator(`tr[data-account="${body.data[0].id}"]`)
      .getByRole("button", { name: "Re-auth" })
      .click();
    const form = page.locator('form[data-form="device-login"]');
    const code = form.locator("[data-user-code]");
    await code.waitFor();
    expect(await form.getByLabel("Label (optional)").inputValue()).toBe("alice");
    const userCode = ((await code.textContent()) ?? "").trim();
    expect(userCode).not.toBe("");
    await shot("08-device-code");

    // The user approves on the auth server; the console's next poll completes the sign-in.
    gw.fake.approveDevice(userCode, { planType: "team" });
    await expect
      .poll(() => form.locator("[data-device-flow]").textContent(), { timeout: 15_000 })
      .toContain("Account alice");
    const after = await gw.admin("GET", `/accounts?pool=${POOL}`);
    expect(after.body.data.map((a: any) => a.planType).sort()).toEqual(["pro", "team"]);
    await expect.poll(() => page.locator("tr[data-account]").count()).toBe(2);
  });

  it("shows a key's usage, rotates the key once more and revokes it", async () => {
    await open("/admin/keys");
    const row = () => page.locator(`tr[data-key="${keyId}"]`);
    await row().getByRole("button", { name: "Usage" }).click();
    const usage = page.locator(`[data-usage-of="${keyId}"]`);
    await usage.waitFor();
    expect(await usage.textContent()).toContain("100,000 tokens");
    expect(await page.locator("[data-key-usage] figure[data-chart] svg rect").count()).toBeGreaterThan(0);
    await shot("09-key-usage");

    await row().getByRole("button", { name: "Rotate" }).click();
    const rotated = await page.locator("[data-secret]").inputValue();
    expect(rotated).toMatch(new RegExp(`^sk-cxp-${keyId}-`));
    expect(rotated).not.toBe(revealedKey);
    await page.getByRole("button", { name: "Done, hide it" }).click();
    expect(await page.locator("[data-secret]").count()).toBe(0);
    expect((await turn(revealedKey)).status).toBe(401);

    await row().getByRole("button", { name: "Revoke" }).click();
    await page.getByLabel("Show revoked keys").check();
    await expect.poll(() => row().getAttribute("data-status")).toBe("revoked");
    expect((await gw.admin("GET", `/keys?pool=${POOL}`)).body.data[0].status).toBe("revoked");
  });

  it("shows capacity, quota and traffic on the overview", async () => {
    await open("/admin");
    const capacity = page.locator(`[data-capacity] tr[data-pool="${POOL}"]`);
    await capacity.waitFor();
    expect(await capacity.textContent()).toContain("2 / 2");
    expect(await page.locator("[data-capacity] svg[data-chart]").count()).toBe(1);
    const summary = (await page.locator("[data-summary]").textContent()) ?? "";
    expect(summary).toMatch(/Requests, 24 h\s*[1-9]/);
    expect(await page.locator("[data-traffic] svg rect.bar-1").count()).toBeGreaterThan(0);
    await shot("10-overview");

    await open("/admin/pools");
    const members = page.locator(`article[data-pool="${POOL}"] tr[data-account]`);
    await expect.poll(() => members.count()).toBe(2);
    await shot("02-pools-with-members");
  });

  it("lists the audit log, with the console's changes", async () => {
    await open("/admin/audit");
    await page.locator('tr[data-audit-action="upstream_account.pause"]').first().waitFor();
    for (const action of ["pool.create", "api_key.create", "api_key.rotate", "api_key.revoke"]) {
      expect(await page.locator(`tr[data-audit-action="${action}"]`).count(), action).toBeGreaterThan(0);
    }
    await shot("11-audit");
  });

  it("adds a webhook channel and a rule, then acknowledges and resolves the incident it opens", async () => {
    await open("/admin/alerts");
    await page.getByText("Add a webhook channel").click();
    const channelForm = page.locator('form[data-form="create-channel"]');
    await channelForm.getByLabel("Name").fill("ops");
    await channelForm.getByLabel("HTTPS URL").fill(`${hook.url}/hook/s3cr3t-path`);
    await channelForm.getByRole("button", { name: "Add channel" }).click();
    const signing = page.locator("[data-secret]");
    await signing.waitFor();
    expect((await signing.inputValue()).length).toBeGreaterThanOrEqual(16);
    const channelRow = page.locator("tr[data-channel]");
    await channelRow.waitFor();
    expect(await channelRow.textContent()).toContain("127.0.0.1");
    expect(await channelRow.textContent()).not.toContain("s3cr3t-path");
    await shot("12-alert-channel-secret");
    await page.getByRole("button", { name: "Done, hide it" }).click();

    await channelRow.getByRole("button", { name: "Send test" }).click();
    await expect.poll(() => hook.received.length).toBeGreaterThan(0);
    await expect.poll(() => page.locator("tr[data-channel]").textContent()).toContain("delivered");

    await page.getByText("Add a rule").click();
    const ruleForm = page.locator('form[data-form="create-rule"]');
    await ruleForm.getByLabel("Pool").selectOption(POOL);
    await ruleForm.getByLabel("Kind").selectOption("upstream_auth_state");
    expect(await ruleForm.getByLabel("Used percent at least").isVisible()).toBe(false);
    await ruleForm.getByLabel("State", { exact: true }).selectOption("paused");
    await ruleForm.getByLabel("Name (optional)").fill("paused accounts");
    await ruleForm.getByLabel("ops").check();
    await ruleForm.getByRole("button", { name: "Add rule" }).click();
    const ruleRow = page.locator("tr[data-rule]");
    await ruleRow.waitFor();
    expect(await ruleRow.textContent()).toContain("paused accounts");
    expect(await ruleRow.textContent()).toContain("ops");

    const { body } = await gw.admin("GET", `/accounts?pool=${POOL}`);
    const paused = body.data.find((a: any) => a.label === "alice" && a.planType === "pro");
    expect((await gw.admin("POST", `/accounts/${paused.id}/pause`)).status).toBe(200);
    try {
      await page.getByRole("button", { name: "Evaluate the rules now" }).click();
      const incident = page.locator('[data-alert="incidents"] tr[data-incident]');
      await incident.first().waitFor();
      expect(await incident.first().getAttribute("data-state")).toBe("open");
      expect(await incident.first().textContent()).toContain("alice");
      await shot("12-alerts");

      await incident.first().getByRole("button", { name: "Acknowledge" }).click();
      await expect.poll(() => incident.count()).toBe(0); // the list shows open incidents
      await page.getByLabel("State", { exact: true }).first().selectOption("acknowledged");
      await incident.first().waitFor();
      await incident.first().getByRole("button", { name: "Resolve" }).click();
      await expect.poll(() => incident.count()).toBe(0);
      const resolved = await gw.admin("GET", "/alert-incidents?state=resolved");
      expect(resolved.body.data[0]).toMatchObject({
        state: "resolved",
        resolvedBy: expect.stringMatching(/^admin:/),
      });
    } finally {
      await gw.admin("POST", `/accounts/${paused.id}/resume`);
    }
  });

  it("renders a client's config from the templates, without a key", async () => {
    await open("/admin/clients");
    expect(await page.locator("pre").first().textContent()).toContain(`${gw.url}/backend-api/codex`);
    await page.getByLabel("Client", { exact: true }).selectOption("aider");
    await page.getByRole("button", { name: "Show config" }).click();
    await page.waitForURL(/client=aider/);
    await page.locator("body[data-ready='true']").waitFor();
    const config = (await page.locator("pre").first().textContent()) ?? "";
    expect(config).toContain(`${gw.url}/v1`);
    expect(config).not.toContain("sk-cxp-");
    await page.getByRole("button", { name: "Copy" }).first().click();
    await expect.poll(() => page.evaluate(() => navigator.clipboard.readText())).toBe(config);
    expect(await unlabelledControls()).toEqual([]);
    await shot("13-client-setup");
  });

  it("manages MCP and admin tokens (each secret shown once) and turns the MCP gate off and on", async () => {
    await open("/admin/tokens");
    const mcpForm = page.locator('form[data-form="create-mcp-token"]');
    await mcpForm.getByLabel("Label (optional)").fill("ops agent");
    await mcpForm.getByRole("button", { name: "Create MCP token" }).click();
    const secret = page.locator("[data-secret]");
    await secret.waitFor();
    const mcpSecret = await secret.inputValue();
    expect(mcpSecret).toMatch(/^mcp-cxp-[0-9a-f]{12}-\S+$/);
    const mcpId = mcpSecret.slice(8, 20);
    await page.locator(`[data-tokens="mcp"] tr[data-token="${mcpId}"]`).waitFor();
    const listed = (await gw.admin("GET", "/mcp-tokens")).body.data;
    expect(listed.find((t: any) => t.id === mcpId)).toMatchObject({ label: "ops agent", status: "active" });
    await shot("14-tokens");

    // The gate: off refuses the token on /mcp (403), on lets it back in; nothing was revoked.
    const mcpCall = () =>
      fetch(`${gw.url}/mcp`, {
        method: "POST",
        headers: {
          authorization: `Bearer ${mcpSecret}`,
          "content-type": "application/json",
          accept: "application/json, text/event-stream",
        },
        body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "ping" }),
      }).then(async (r) => {
        await r.arrayBuffer();
        return r.status;
      });
    await page.getByRole("button", { name: "Turn MCP off" }).click();
    await page.locator('[data-mcp-state="off"]').waitFor();
    expect((await gw.admin("GET", "/settings")).body.settings.mcpEnabled).toBe(false);
    expect(await mcpCall()).toBe(403);
    await page.getByRole("button", { name: "Turn MCP on" }).click();
    await page.locator('[data-mcp-state="on"]').waitFor();
    expect(await mcpCall()).toBe(200);

    // The runtime firewall's state, as the CLI set it (the console itself is not behind it).
    await expect.poll(() => page.locator('[data-firewall-state="off"]').count()).toBe(1);
    const fw = await gw.admin("PATCH", "/settings", { firewall: { allow: ["127.0.0.1", "10.0.0.0/8"] } });
    expect(fw.status).toBe(200);
    try {
      await page.reload();
      const state = page.locator('[data-firewall-state="on"]');
      await state.waitFor();
      expect(await state.textContent()).toContain("Allows 127.0.0.1, 10.0.0.0/8.");
    } finally {
      await gw.admin("PATCH", "/settings", { firewall: { allow: [] } });
    }

    // A second admin token for a teammate, then revoked: it stops working at once.
    const adminForm = page.locator('form[data-form="create-admin-token"]');
    await adminForm.getByLabel("Label (optional)").fill("teammate");
    await adminForm.getByRole("button", { name: "Create admin token" }).click();
    await expect.poll(async () => (await secret.inputValue()).startsWith("adm-cxp-")).toBe(true);
    const teammate = await secret.inputValue();
    const teammateId = teammate.slice(8, 20);
    const row = page.locator(`[data-tokens="admin"] tr[data-token="${teammateId}"]`);
    await row.getByRole("button", { name: "Revoke" }).click();
    await expect.poll(() => row.getAttribute("data-status")).toBe("revoked");
    const refused = await fetch(`${gw.url}/admin/v1/pools`, {
      headers: { authorization: `Bearer ${teammate}` },
    });
    expect(refused.status).toBe(401);
    await refused.arrayBuffer();
    expect(await page.content()).not.toContain(mcpSecret.slice(21));
    expect(await unlabelledControls()).toEqual([]);
  });

  it("returns to sign-in when the token stops working, and signs out", async () => {
    await page.evaluate(() =>
      sessionStorage.setItem("codex-pooler.admin-token", "adm-cxp-000000000000-gone"),
    );
    await page.goto(`${gw.url}/admin/keys`);
    await page.waitForURL(/\/admin\/sign-in\?.*reason=expired/);
    expect(await page.locator("[data-sign-in-error]").textContent()).toContain("refused the token");
    expect(await page.evaluate(() => sessionStorage.length)).toBe(0);

    await page.getByLabel("Admin token").fill(gw.adminToken);
    await page.keyboard.press("Enter");
    await page.waitForURL(`${gw.url}/admin/keys`);
    await page.locator("body[data-ready='true']").waitFor();
    await page.getByRole("button", { name: "Sign out" }).click();
    await page.waitForURL(/\/admin\/sign-in\?reason=signed-out/);
    expect(await page.evaluate(() => sessionStorage.length)).toBe(0);
    await page.goto(`${gw.url}/admin`);
    await page.waitForURL(/\/admin\/sign-in/);
  });

  it("ran without a script error, a CSP violation or a failed request it did not mean", () => {
    expect(browserErrors).toEqual([]);
    // Expected: the wrong and the revoked token (401) on the sign-in check and the first page calls
    // (the page's data and the token's scope).
    const unexpected = failedResponses.filter((r) => !/^401 \/admin\/v1\/(pools|whoami)$/.test(r));
    expect(unexpected).toEqual([]);
  });
});
