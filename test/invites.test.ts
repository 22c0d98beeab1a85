// Invites end to end on the local host against the fake auth server: an operator creates an invite
// (the one-time URL is shown once, only the hash of its token is stored), the teammate opens the
// landing page, runs the device-code sign-in there, and the account lands in the invite's Pool and
// serves its keys. Expired, revoked, used and forged invites are refused; every change is audited.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readSse, startTestGateway, TEXT_TURN_BODY, type TestGateway } from "./helpers/gateway.ts";
import { inDynamo } from "./helpers/leveldb.ts";

let gw: TestGateway;
/** The gateway's clock runs this far ahead of real time (invite expiry, poll throttling). */
let offsetMs = 0;
const later = (seconds: number) => {
  offsetMs += seconds * 1000;
};

beforeAll(async () => {
  gw = await startTestGateway(
    { POOLER_SSE_KEEPALIVE_MS: "0" },
    { clock: { now: () => Date.now() + offsetMs } },
  );
  for (const name of ["team", "other"]) expect((await gw.admin("POST", "/pools", { name })).status).toBe(201);
});
afterAll(async () => {
  await gw?.stop();
});

async function createInvite(pool = "team", email = "pal@example.com") {
  const created = await gw.admin("POST", "/invites", { pool, email });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  return created.body as { invite: { id: string; status: string }; url: string; path: string };
}

/** The landing page, as a browser that follows redirects would see it. */
async function page(url: string, method = "GET") {
  const response = await fetch(url, { method, redirect: "manual" });
  if (response.status === 303) {
    const next = new URL(response.headers.get("location") as string, url).toString();
    return page(next);
  }
  const html = await response.text();
  const state = /data-invite-state="([a-z]+)"/.exec(html)?.[1];
  return { status: response.status, html, state, headers: response.headers };
}

const userCodeOf = (html: string) => /data-user-code>([^<]+)</.exec(html)?.[1] as string;

describe("invites", () => {
  it("runs the device-code sign-in from the one-time URL and puts the account in the invite's Pool", async () => {
    const { invite, url, path } = await createInvite();
    expect(invite.status).toBe("active");
    expect(url).toBe(`${gw.url}${path}`);
    expect(path).toMatch(/^\/onboarding\/invites\/inv_[0-9a-f]{16}-[A-Za-z0-9_-]{43}$/);
    const secret = path.split("-").slice(1).join("-");

    // Only the token's hash is stored; listings never show the URL again, and the email is masked.
    const listed = await gw.admin("GET", "/invites?pool=team");
    expect(JSON.stringify(listed.body)).not.toContain(secret);
    expect(listed.body.data[0]).toMatchObject({
      id: invite.id,
      pool: "team",
      status: "active",
      email: "p***@example.com",
    });
    expect(inDynamo(gw.dataDir, secret)).toBe(false);
    expect(inDynamo(gw.dataDir, invite.id)).toBe(true); // the scan does find what the item holds

    const opened = await page(url);
    expect(opened.status).toBe(200);
    expect(opened.state).toBe("ready");
    expect(opened.html).toContain("team");
    expect(opened.headers.get("referrer-policy")).toBe("no-referrer");
    expect(opened.headers.get("content-security-policy")).toContain("default-src 'none'");

    const started = await page(`${url}/start`, "POST");
    expect(started.state).toBe("pending");
    const userCode = userCodeOf(started.html);
    expect(userCode).toBeTruthy();
    expect(started.html).toContain(`${gw.fake.authBaseUrl}/codex/device`);

    // Not approved yet: still pending.
    later(6);
    expect((await page(url)).state).toBe("pending");

    gw.fake.approveDevice(userCode, { planType: "plus", email: "pal@example.com" });
    later(6);
    const done = await page(url);
    expect(done.state, done.html).toBe("accepted");

    const after = (await gw.admin("GET", `/invites/${invite.id}`)).body.invite;
    expect(after).toMatchObject({ status: "accepted" });
    const accounts = (await gw.admin("GET", "/accounts?pool=team")).body.data;
    expect(accounts.map((a: { id: string }) => a.id)).toEqual([after.accountId]);
    expect(accounts[0].pools).toEqual(["team"]);
    expect((await gw.admin("GET", "/accounts?pool=other")).body.data).toEqual([]);

    // The account serves the Pool's keys.
    const key = (await gw.admin("POST", "/keys", { pool: "team", label: "t" })).body.secret;
    const turn = await fetch(`${gw.url}/backend-api/codex/responses`, {
      method: "POST",
      headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
      body: JSON.stringify(TEXT_TURN_BODY),
    });
    expect(turn.status).toBe(200);
    expect((await readSse(turn)).at(-1)?.type).toBe("response.completed");

    // Used once: opening it again says so, and it cannot start another sign-in.
    expect((await page(url)).state).toBe("accepted");
    const again = await page(`${url}/start`, "POST");
    expect(again.status).toBe(410);
    expect(again.html).toContain("already used");

    const actions = (await gw.admin("GET", "/audit-events?limit=50")).body.data
      .filter(
        (e: { targetId: string | null; details: { flow?: string } }) =>
          e.targetId === invite.id || e.targetId === after.accountId,
      )
      .map((e: { action: string; actor: string }) => `${e.action} ${e.actor.split(":")[0]}`);
    expect(actions).toEqual(
      expect.arrayContaining([
        "invite.create admin",
        "invite.accept invite",
        "upstream_account.oauth_device_link invite",
      ]),
    );
  });

  it("refuses an expired invite, even with a sign-in under way", async () => {
    const { url, invite } = await createInvite();
    const started = await page(`${url}/start`, "POST");
    expect(started.state).toBe("pending");
    gw.fake.approveDevice(userCodeOf(started.html));
    later(24 * 3600 + 1);
    const expired = await page(url);
    expect(expired.status).toBe(410);
    expect(expired.html).toContain("expired");
    expect((await gw.admin("GET", `/invites/${invite.id}`)).body.invite.status).toBe("expired");
    expect(
      (await gw.admin("GET", "/invites?status=expired")).body.data.map((i: { id: string }) => i.id),
    ).toContain(invite.id);
    const revoke = await gw.admin("POST", `/invites/${invite.id}/revoke`);
    expect(revoke.status).toBe(409);
    expect(revoke.body.error.code).toBe("invite_not_active");
  });

  it("revoke takes effect at once, also for a sign-in already approved", async () => {
    const before = (await gw.admin("GET", "/accounts")).body.data.length;
    const { url, invite } = await createInvite("other");
    const started = await page(`${url}/start`, "POST");
    gw.fake.approveDevice(userCodeOf(started.html));
    later(6);
    const revoked = await gw.admin("POST", `/invites/${invite.id}/revoke`);
    expect(revoked.status).toBe(200);
    expect(revoked.body.invite.status).toBe("revoked");
    const refused = await page(url);
    expect(refused.status).toBe(410);
    expect(refused.html).toContain("revoked");
    expect((await page(`${url}/start`, "POST")).status).toBe(410);
    expect((await gw.admin("GET", "/accounts")).body.data.length).toBe(before);
    const audit = (await gw.admin("GET", "/audit-events?limit=20")).body.data.find(
      (e: { action: string; targetId: string }) => e.action === "invite.revoke" && e.targetId === invite.id,
    );
    expect(audit.details).toEqual({ pool: "other" });
  });

  it("answers one 404 for a forged, altered or unknown token", async () => {
    const { path } = await createInvite();
    const tampered = `${path.slice(0, -1)}${path.endsWith("A") ? "B" : "A"}`;
    for (const p of [
      tampered,
      `/onboarding/invites/inv_0000000000000000-${"A".repeat(43)}`,
      "/onboarding/invites/nope",
    ]) {
      const answer = await page(`${gw.url}${p}`);
      expect(answer.status, p).toBe(404);
      expect(answer.html).toContain("not valid");
    }
    const bad = await gw.admin("POST", "/invites", { pool: "team", email: "not-an-email" });
    expect(bad.status).toBe(400);
    expect((await gw.admin("POST", "/invites", { pool: "nope", email: "a@example.com" })).status).toBe(404);
  });

  it("the console has an Invites page whose script the page loads, and marks owner-only views", async () => {
    const html = await (await fetch(`${gw.url}/admin/invites`)).text();
    expect(html).toContain('data-form="create-invite"');
    expect(html).toContain('data-page="invites"');
    expect(html).toMatch(/<li data-owner-only><a href="\/admin\/audit"/);
    const tokens = await (await fetch(`${gw.url}/admin/tokens`)).text();
    expect(tokens).toContain('name="pools"');
    expect(tokens).toMatch(/<section aria-labelledby="h-admin-tokens" data-owner-only>/);
    const script = await fetch(`${gw.url}/admin/assets/page-invites.js`);
    expect(script.status).toBe(200);
    expect(await script.text()).toContain('api("POST", "/invites", body)');
  });

  it("puts POOLER_PUBLIC_BASE_URL in the link when the gateway sits behind a proxy", async () => {
    const behind = await startTestGateway({ POOLER_PUBLIC_BASE_URL: "https://pooler.example.com/" });
    try {
      expect((await behind.admin("POST", "/pools", { name: "team" })).status).toBe(201);
      const created = await behind.admin("POST", "/invites", { pool: "team", email: "pal@example.com" });
      expect(created.body.url).toBe(`https://pooler.example.com${created.body.path}`);
    } finally {
      await behind.stop();
    }
  });
});
