// The key holder's dashboard in a real browser (headless Chromium that test/helpers/browser.ts finds,
// through playwright-core, as in console.test.ts): the operator turns a key's dashboard access on from the console's keys page, the
// holder signs in with the key in the form, sees that key's figures only, and is signed out when the
// operator turns the access off. The same flow over plain HTTP, with every event that ends a session,
// is in observatory.test.ts.
import { rmSync } from "node:fs";
import type { BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { browserForTests, launchChromium } from "./helpers/browser.ts";
import { scratchDir, startTestGateway, TEXT_TURN_BODY, type TestGateway } from "./helpers/gateway.ts";

// Skipped (one line in the run summary) where no browser can be had; CI requires one.
const browser = browserForTests();

let gw: TestGateway;
let context: BrowserContext;
let operator: Page;
let holder: Page;
let profile: string;
const browserErrors: string[] = [];

beforeAll(async () => {
  if (!browser) return;
  gw = await startTestGateway({ POOLER_SSE_KEEPALIVE_MS: "0" });
  profile = scratchDir("chromium-observatory");
  context = await launchChromium(browser, profile, {
    viewport: { width: 1280, height: 900 },
    timeout: 30_000,
  });
  context.setDefaultTimeout(10_000);
  operator = context.pages()[0] ?? (await context.newPage());
  holder = await context.newPage();
  for (const page of [operator, holder]) {
    page.on("pageerror", (error) => browserErrors.push(`pageerror: ${error.message}`));
    page.on("console", (message) => {
      if (message.type() === "error" && !message.text().startsWith("Failed to load resource")) {
        browserErrors.push(`console: ${message.text()}`);
      }
    });
    page.on("dialog", (dialog) => void dialog.accept());
  }
});

afterAll(async () => {
  await context?.close();
  if (profile) rmSync(profile, { recursive: true, force: true });
  await gw?.stop();
});

const turn = (key: string) =>
  fetch(`${gw.url}/backend-api/codex/responses`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${key}` },
    body: JSON.stringify(TEXT_TURN_BODY),
  }).then((r) => r.text());

describe.skipIf(!browser)("the key holder's dashboard in a browser", () => {
  it("is turned on from the keys page, shows the key's own figures and ends when turned off", async () => {
    const seeded = await gw.seed({ accounts: 1 });
    const other = await gw.admin("POST", "/keys", { pool: seeded.pool, label: "other" });
    await turn(seeded.key);
    await turn(other.body.secret);

    // The operator signs in to the console and turns the key's dashboard access on.
    await operator.goto(`${gw.url}/admin/keys`);
    await operator.getByLabel("Admin token").fill(gw.adminToken);
    await operator.getByRole("button", { name: "Sign in" }).click();
    await operator.locator("body[data-ready='true']").waitFor();
    const row = operator.locator(`tr[data-key="${seeded.keyId}"]`);
    await row.getByRole("button", { name: "Dashboard on" }).click();
    await expect.poll(() => row.getAttribute("data-dashboard")).toBe("on");
    expect((await gw.admin("GET", `/keys?pool=${seeded.pool}`)).body.data[0].dashboardAccess).toBe(true);

    // The holder signs in with the key typed into the form.
    await holder.goto(`${gw.url}/observatory`);
    await holder.waitForURL(/\/observatory\/login$/);
    await holder.getByLabel("Pool API key").fill(seeded.key);
    await holder.getByRole("button", { name: "Sign in" }).click();
    await holder.waitForURL(/\/observatory$/);
    expect(holder.url()).not.toContain("api_key");
    const text = (await holder.locator("main").textContent()) ?? "";
    expect(text).toContain(`sk-cxp-${seeded.keyId}`);
    expect(text).not.toContain(other.body.key.id);
    await expect.poll(async () => (await holder.locator("tr[data-request]").count()) >= 1).toBe(true);
    const cookies = await context.cookies(`${gw.url}/observatory`);
    const session = cookies.find((c) => c.name === "pooler_observatory");
    expect(session).toMatchObject({ httpOnly: true, sameSite: "Strict", path: "/observatory" });
    // The page runs no script (nothing can read the cookie there anyway).
    expect(await holder.evaluate(() => document.cookie)).toBe("");

    // The operator turns access off: the holder's next load lands on the sign-in page.
    await row.getByRole("button", { name: "Dashboard off" }).click();
    await expect.poll(() => row.getAttribute("data-dashboard")).toBe("off");
    await holder.reload();
    await holder.waitForURL(/\/observatory\/login$/);
    await holder.getByLabel("Pool API key").fill(seeded.key);
    await holder.getByRole("button", { name: "Sign in" }).click();
    expect(await holder.locator("[data-error]").textContent()).toBe("The API key is invalid or unavailable.");
    expect(browserErrors).toEqual([]);
  });

  it("signs out with the page's button", async () => {
    const seeded = await gw.seed({ accounts: 1 });
    await gw.admin("PATCH", `/keys/${seeded.keyId}`, { dashboardAccess: true });
    await holder.goto(`${gw.url}/observatory/login`);
    await holder.getByLabel("Pool API key").fill(seeded.key);
    await holder.getByRole("button", { name: "Sign in" }).click();
    await holder.waitForURL(/\/observatory$/);
    await holder.getByRole("button", { name: "Sign out" }).click();
    await holder.waitForURL(/\/observatory\/login$/);
    await holder.goto(`${gw.url}/observatory`);
    await holder.waitForURL(/\/observatory\/login$/);
    expect((await context.cookies(gw.url)).some((c) => c.name === "pooler_observatory")).toBe(false);
  });
});
