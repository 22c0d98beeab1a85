// The key holder's dashboard over plain HTTP with cookies (the browser test is in
// observatory-browser.test.ts): sign-in with the key in a form field, the session cookie's
// attributes, only the key's own figures, the one failure message, at most ten sessions, the
// 14-day end, CSRF-safe sign-out, and every event that ends a session.
import { createHash } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type Seeded,
  startTestGateway,
  TEXT_TURN_BODY,
  type TestGateway,
  waitFor,
} from "./helpers/gateway.ts";

const FAILURE = "The API key is invalid or unavailable.";
const DAY_MS = 86_400_000;

let gw: TestGateway;
let clockOffset = 0;

beforeAll(async () => {
  gw = await startTestGateway({}, { clock: { now: () => Date.now() + clockOffset } });
});
afterAll(async () => {
  await gw?.stop();
});

function signIn(key: string, headers: Record<string, string> = {}) {
  return fetch(`${gw.url}/observatory/login`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded", ...headers },
    body: new URLSearchParams({ api_key: key }).toString(),
    redirect: "manual",
  });
}

/** The session cookie's `name=value` from a sign-in answer. */
function sessionCookie(response: Response): string {
  const cookie = response.headers.getSetCookie().find((c) => c.startsWith("pooler_observatory="));
  if (!cookie) throw new Error(`no session cookie (status ${response.status})`);
  return cookie.split(";")[0] as string;
}

async function signedIn(key: string): Promise<string> {
  const response = await signIn(key);
  expect(response.status).toBe(303);
  return sessionCookie(response);
}

const dashboard = (cookie?: string) =>
  fetch(`${gw.url}/observatory`, { headers: cookie ? { cookie } : {}, redirect: "manual" });

async function expectSignedOut(cookie: string) {
  const response = await dashboard(cookie);
  expect(response.status).toBe(303);
  expect(response.headers.get("location")).toBe("/observatory/login");
  // The dead cookie is cleared.
  expect(response.headers.getSetCookie().join("\n")).toMatch(/pooler_observatory=;.*Max-Age=0/);
}

async function expectFailure(response: Response, status = 401) {
  expect(response.status).toBe(status);
  expect(response.headers.getSetCookie()).toEqual([]);
  const page = await response.text();
  expect(page).toContain(FAILURE);
  return page;
}

/** A fresh Pool with one account and a key whose dashboard access is on. */
async function keyWithDashboard(): Promise<Seeded> {
  const seeded = await gw.seed({ accounts: 1 });
  const patched = await gw.admin("PATCH", `/keys/${seeded.keyId}`, { dashboardAccess: true });
  expect(patched.status).toBe(200);
  expect(patched.body.key.dashboardAccess).toBe(true);
  return seeded;
}

const turn = (key: string) =>
  fetch(`${gw.url}/backend-api/codex/responses`, {
    method: "POST",
    headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
    body: JSON.stringify(TEXT_TURN_BODY),
  }).then((r) => r.text());

describe("sign-in", () => {
  it("serves a form whose api_key field posts to /observatory/login", async () => {
    const response = await fetch(`${gw.url}/observatory/login`);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-security-policy")).toContain("frame-ancestors 'none'");
    expect(response.headers.get("cache-control")).toBe("no-store");
    const page = await response.text();
    expect(page).toMatch(/<form method="post" action="\/observatory\/login"/);
    expect(page).toMatch(/name="api_key" type="password"/);
  });

  it("answers every failure with the same message and no cookie", async () => {
    const seeded = await gw.seed({ accounts: 1 });
    // Dashboard access is off by default.
    expect((await gw.admin("GET", `/keys?pool=${seeded.pool}`)).body.data[0].dashboardAccess).toBe(false);
    await expectFailure(await signIn(seeded.key));
    const wrongSecret = `${seeded.key.slice(0, -4)}AAAA`;
    await expectFailure(await signIn(wrongSecret));
    await expectFailure(await signIn("sk-cxp-000000000000-nope"));
    await expectFailure(await signIn("not a key"));
    const empty = await fetch(`${gw.url}/observatory/login`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: "",
      redirect: "manual",
    });
    await expectFailure(empty);
    // The key in the address is never read.
    const inUrl = await fetch(`${gw.url}/observatory/login?api_key=${encodeURIComponent(seeded.key)}`, {
      method: "POST",
      redirect: "manual",
    });
    await expectFailure(inUrl);
    // A paused key with access on fails the same way.
    await gw.admin("PATCH", `/keys/${seeded.keyId}`, { dashboardAccess: true });
    await gw.admin("POST", `/keys/${seeded.keyId}/pause`);
    await expectFailure(await signIn(seeded.key));
  });

  it("sets an HttpOnly, SameSite=Strict cookie on /observatory for at most 14 days, Secure behind HTTPS", async () => {
    const seeded = await keyWithDashboard();
    const response = await signIn(seeded.key);
    expect(response.status).toBe(303);
    expect(response.headers.get("location")).toBe("/observatory");
    const cookie = response.headers.getSetCookie()[0] as string;
    expect(cookie).toMatch(/^pooler_observatory=[0-9a-f]{12}\.[0-9a-f]{16}\.[A-Za-z0-9_-]{43};/);
    expect(cookie).toContain("Path=/observatory");
    expect(cookie).toContain("HttpOnly");
    expect(cookie).toContain("SameSite=Strict");
    expect(cookie).not.toContain("Secure");
    const maxAge = Number(/Max-Age=(\d+)/.exec(cookie)?.[1]);
    expect(maxAge).toBeGreaterThan(14 * 86_400 - 60);
    expect(maxAge).toBeLessThanOrEqual(14 * 86_400);
    // The key itself is nowhere in the cookie.
    expect(cookie).not.toContain(seeded.key.split("-").pop());

    const behindTls = await signIn(seeded.key, { "x-forwarded-proto": "https" });
    expect(behindTls.headers.getSetCookie()[0]).toContain("Secure");
  });

  it("stores only the SHA-256 of the session secret, and audits the sign-in without it", async () => {
    const seeded = await keyWithDashboard();
    const cookie = await signedIn(seeded.key);
    const [keyId, sessionId, secret] = cookie.slice("pooler_observatory=".length).split(".") as [
      string,
      string,
      string,
    ];
    const stored = await gw.local.gateway.ctx.store.observatorySessions.get(keyId, sessionId);
    expect(stored?.tokenHash).toBe(createHash("sha256").update(secret).digest("hex"));
    expect(JSON.stringify(stored)).not.toContain(secret);
    const audit = (await gw.admin("GET", "/audit-events?limit=50")).body.data;
    const event = audit.find(
      (e: { action: string; targetId: string }) =>
        e.action === "observatory_session.create" && e.targetId === seeded.keyId,
    );
    expect(event).toMatchObject({ actor: `api_key:${seeded.keyId}`, targetType: "api_key" });
    expect(JSON.stringify(audit)).not.toContain(secret);
    expect(gw.logLines.join("\n")).not.toContain(secret);
  });

  it("answers an oversized, compressed or non-form body the same way", async () => {
    const seeded = await keyWithDashboard();
    const post = (body: string, headers: Record<string, string>) =>
      fetch(`${gw.url}/observatory/login`, { method: "POST", headers, body, redirect: "manual" });
    const form = new URLSearchParams({ api_key: seeded.key }).toString();
    await expectFailure(
      await post(`${form}&pad=${"x".repeat(8192)}`, { "content-type": "application/x-www-form-urlencoded" }),
    );
    await expectFailure(
      await post(form, { "content-type": "application/x-www-form-urlencoded", "content-encoding": "gzip" }),
    );
    await expectFailure(
      await post(JSON.stringify({ api_key: seeded.key }), { "content-type": "application/json" }),
    );
    // The same key in a proper form still signs in.
    expect((await signIn(seeded.key)).status).toBe(303);
  });

  it("refuses a sign-in posted from another site", async () => {
    const seeded = await keyWithDashboard();
    await expectFailure(await signIn(seeded.key, { origin: "https://evil.example" }), 403);
    // The pages send no referrer, so a browser's form says `Origin: null`: Sec-Fetch-Site decides.
    await expectFailure(await signIn(seeded.key, { origin: "null", "sec-fetch-site": "cross-site" }), 403);
    await expectFailure(await signIn(seeded.key, { origin: "null" }), 403);
    expect((await signIn(seeded.key, { origin: "null", "sec-fetch-site": "same-origin" })).status).toBe(303);
  });
});

describe("the dashboard", () => {
  it("shows only the signed-in key's figures", async () => {
    const seeded = await keyWithDashboard();
    const other = await gw.admin("POST", "/keys", { pool: seeded.pool, label: "other" });
    await turn(seeded.key);
    await turn(seeded.key);
    for (let i = 0; i < 3; i++) await turn(other.body.secret);
    await gw.admin("PATCH", `/keys/${seeded.keyId}`, { policy: { tokensPerDay: 1_000_000 } });
    const cookie = await signedIn(seeded.key);
    const page = await waitFor(async () => {
      const response = await dashboard(cookie);
      expect(response.status).toBe(200);
      const text = await response.text();
      return text.includes("<dd data-requests>2</dd>") && text.split("<tr data-request>").length === 3
        ? text
        : undefined;
    });
    expect(page).toContain(`sk-cxp-${seeded.keyId}`);
    expect(page).not.toContain(other.body.key.id);
    expect(page).toContain(`<strong data-pool>${seeded.pool}</strong>`);
    expect(page).toContain('<td class="num" data-limit>1,000,000</td>');
    expect(page).toContain("/backend-api/codex/responses");
    // Tokens are counted; the page shows the day's use against the limit.
    expect(page).toMatch(/<tr data-window="day"><th>Tokens today<\/th><td class="num" data-used>[1-9]/);
    // A form posts sign-out; no script runs on the page.
    expect(page).toContain('<form method="post" action="/observatory/logout">');
    expect(page).not.toContain("<script");
  });

  it("sends a visitor without a session to the sign-in page", async () => {
    const response = await dashboard();
    expect(response.status).toBe(303);
    expect(response.headers.get("location")).toBe("/observatory/login");
    await expectSignedOut(
      "pooler_observatory=000000000000.0000000000000000.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
    );
    await expectSignedOut("pooler_observatory=garbage");
  });

  it("keeps at most ten sessions per key, dropping the oldest", async () => {
    const seeded = await keyWithDashboard();
    const cookies: string[] = [];
    for (let i = 0; i < 11; i++) cookies.push(await signedIn(seeded.key));
    await expectSignedOut(cookies[0] as string);
    for (const cookie of cookies.slice(1)) expect((await dashboard(cookie)).status).toBe(200);
    expect(await gw.local.gateway.ctx.store.observatorySessions.list(seeded.keyId)).toHaveLength(10);
  });
});

describe("signing out", () => {
  it("ends the session with a POST and refuses one from another site", async () => {
    const seeded = await keyWithDashboard();
    const cookie = await signedIn(seeded.key);
    const forged = await fetch(`${gw.url}/observatory/logout`, {
      method: "POST",
      headers: { cookie, origin: "https://evil.example" },
      redirect: "manual",
    });
    expect(forged.status).toBe(403);
    expect((await dashboard(cookie)).status).toBe(200);
    // A GET cannot sign out.
    expect((await fetch(`${gw.url}/observatory/logout`, { headers: { cookie } })).status).toBe(404);
    expect((await dashboard(cookie)).status).toBe(200);

    const out = await fetch(`${gw.url}/observatory/logout`, {
      method: "POST",
      headers: { cookie, origin: gw.url },
      redirect: "manual",
    });
    expect(out.status).toBe(303);
    expect(out.headers.get("location")).toBe("/observatory/login");
    expect(out.headers.getSetCookie().join("\n")).toMatch(/pooler_observatory=;.*Max-Age=0/);
    await expectSignedOut(cookie);
  });
});

describe("events that end a session", () => {
  const events: [string, (s: Seeded) => Promise<{ status: number }>][] = [
    ["pausing the key", (s) => gw.admin("POST", `/keys/${s.keyId}/pause`)],
    ["rotating the key", (s) => gw.admin("POST", `/keys/${s.keyId}/rotate`)],
    ["revoking the key", (s) => gw.admin("POST", `/keys/${s.keyId}/revoke`)],
    ["deleting the key", (s) => gw.admin("DELETE", `/keys/${s.keyId}`)],
    [
      "turning off its dashboard access",
      (s) => gw.admin("PATCH", `/keys/${s.keyId}`, { dashboardAccess: false }),
    ],
    ["disabling the Pool", (s) => gw.admin("POST", `/pools/${s.pool}/disable`)],
  ];
  for (const [name, event] of events) {
    it(`signs the holder out when ${name}`, async () => {
      const seeded = await keyWithDashboard();
      const cookie = await signedIn(seeded.key);
      expect((await dashboard(cookie)).status).toBe(200);
      expect((await event(seeded)).status).toBe(200);
      await expectSignedOut(cookie);
      expect(await gw.local.gateway.ctx.store.observatorySessions.list(seeded.keyId)).toEqual([]);
    });
  }

  it("keeps the holder signed out after the key is resumed or the Pool enabled again", async () => {
    const paused = await keyWithDashboard();
    const first = await signedIn(paused.key);
    await gw.admin("POST", `/keys/${paused.keyId}/pause`);
    await gw.admin("POST", `/keys/${paused.keyId}/resume`);
    await expectSignedOut(first);
    // A new sign-in works again.
    expect((await dashboard(await signedIn(paused.key))).status).toBe(200);

    const disabled = await keyWithDashboard();
    const second = await signedIn(disabled.key);
    const off = await gw.admin("POST", `/pools/${disabled.pool}/disable`);
    expect(off.body.pool.disabled).toBe(true);
    await expectFailure(await signIn(disabled.key));
    const on = await gw.admin("POST", `/pools/${disabled.pool}/enable`);
    expect(on.body.pool.disabled).toBe(false);
    await expectSignedOut(second);
  });

  it("audits each change and refuses a disabled Pool's keys on the runtime routes", async () => {
    const seeded = await keyWithDashboard();
    await gw.admin("POST", `/pools/${seeded.pool}/disable`);
    const refused = await fetch(`${gw.url}/backend-api/codex/responses`, {
      method: "POST",
      headers: { authorization: `Bearer ${seeded.key}`, "content-type": "application/json" },
      body: JSON.stringify(TEXT_TURN_BODY),
    });
    expect(refused.status).toBe(401);
    expect((await refused.json()).error.code).toBe("api_key_disabled");
    await gw.admin("POST", `/pools/${seeded.pool}/enable`);
    expect((await turn(seeded.key)).includes("response.completed")).toBe(true);
    await gw.admin("DELETE", `/keys/${seeded.keyId}`);
    const gone = await fetch(`${gw.url}/backend-api/codex/responses`, {
      method: "POST",
      headers: { authorization: `Bearer ${seeded.key}`, "content-type": "application/json" },
      body: JSON.stringify(TEXT_TURN_BODY),
    });
    expect((await gone.json()).error.code).toBe("invalid_api_key");
    expect((await gw.admin("DELETE", `/keys/${seeded.keyId}`)).status).toBe(404);

    const actions = (await gw.admin("GET", "/audit-events?limit=100")).body.data
      .filter((e: { targetId: string }) => e.targetId === seeded.keyId || e.targetId === seeded.pool)
      .map((e: { action: string }) => e.action);
    expect(actions).toEqual(
      expect.arrayContaining(["api_key.update", "pool.disable", "pool.enable", "api_key.delete"]),
    );
  });
});

describe("the 14-day end", () => {
  it("ends a session 14 days after sign-in, however often it is used", async () => {
    const seeded = await keyWithDashboard();
    const cookie = await signedIn(seeded.key);
    for (const day of [5, 10, 13.9]) {
      clockOffset = day * DAY_MS;
      expect((await dashboard(cookie)).status).toBe(200);
    }
    clockOffset = 14 * DAY_MS + 1000;
    await expectSignedOut(cookie);
    clockOffset = 0;
  });
});
