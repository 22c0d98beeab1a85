// Routing through HTTP against the fake upstream: first-event failover, demotion, circuit breaker
// with a half-open probe, pool-wide exhaustion, session affinity and pinned continuations.
import { describe, expect, it } from "vitest";
import { readSse, type Seeded, TEXT_TURN_BODY, useTestGateway, waitFor } from "./helpers/gateway.ts";

let offset = 0;
const clock = { now: () => Date.now() + offset };

const { gw } = useTestGateway({
  env: { POOLER_SSE_KEEPALIVE_MS: "100", POOLER_FIRST_EVENT_TIMEOUT_MS: "400" },
  clock,
});

async function turn(key: string, body: unknown = TEXT_TURN_BODY, headers: Record<string, string> = {}) {
  const response = await gw.turn(key, body, { headers });
  return {
    response,
    events: response.ok ? await readSse(response) : [],
    error: response.ok ? undefined : await response.json(),
  };
}

const callsOf = (accountId: string) => gw.fake.responsesFor(accountId).length;

/** Two-account pool whose first candidate for `headers` is known: returns [first, second]. */
async function pair(strategy = "bridge_ring") {
  const seeded = await gw.seed({ accounts: 2 });
  await gw.admin("PATCH", `/pools/${seeded.pool}`, { strategy });
  return seeded;
}

describe("first-event failover", () => {
  it("moves on when the first SSE event is a retryable failure, before any byte reaches the client", async () => {
    const seeded = await pair();
    // A first turn pins the session to its account; that account then fails at its first event.
    await turn(seeded.key, TEXT_TURN_BODY, { "session-id": "ff-1" });
    const first = seeded.accounts.find((a) => callsOf(a.accountId) === 1)!;
    const other = seeded.accounts.find((a) => a !== first)!;
    await waitFor(async () => {
      gw.fake.enqueue(first.accountId, { kind: "text" });
      const probe = await turn(seeded.key, TEXT_TURN_BODY, { "session-id": "ff-1" });
      return callsOf(other.accountId) === 0 && probe.response.ok ? true : undefined;
    });
    gw.fake.enqueue(first.accountId, { kind: "response_failed", code: "server_is_overloaded" });
    const { response, events } = await turn(seeded.key, TEXT_TURN_BODY, { "session-id": "ff-1" });
    expect(response.status).toBe(200);
    // Exactly one answer reached the client, a whole one, with no trace of the failed attempt.
    expect(events.filter((e) => e.type === "response.created")).toHaveLength(1);
    expect(events.some((e) => e.type === "response.failed")).toBe(false);
    expect(events.at(-1)?.type).toBe("response.completed");
    expect(callsOf(other.accountId)).toBe(1);
    const log = await gw.requestLog(seeded.keyId, (r: { attempts: number }) => r.attempts === 2);
    expect(log).toMatchObject({ status: 200, accountLabel: other.label });
  });

  it("relays a non-retryable first-event failure instead of trying another account", async () => {
    const seeded = await pair();
    for (const a of seeded.accounts)
      gw.fake.enqueue(a.accountId, { kind: "response_failed", code: "context_length_exceeded" });
    const { events } = await turn(seeded.key);
    expect(events.at(-1)?.type).toBe("response.failed");
    expect(events.at(-1)?.data.response.error.code).toBe("context_length_exceeded");
    expect(seeded.accounts.reduce((n, a) => n + callsOf(a.accountId), 0)).toBe(1);
  });

  it("sends keep-alive events while a committed stream is silent", async () => {
    const seeded = await pair();
    for (const a of seeded.accounts) gw.fake.enqueue(a.accountId, { kind: "text", pauseAfterEvent: 4 });
    const response = await gw.turn(seeded.key);
    const reader = response.body!.getReader();
    let text = "";
    while (!text.includes("codex.keepalive")) text += new TextDecoder().decode((await reader.read()).value);
    gw.fake.releasePaused();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      text += new TextDecoder().decode(value);
    }
    expect(text).toContain('"type":"response.completed"');
    // Keep-alives are whole events between upstream events.
    for (const block of text.split("\n\n").filter(Boolean))
      expect(block).toMatch(/^event: [\w.]+\ndata: \{.*\}$/s);
  });
});

describe("demotion and circuit breaker", () => {
  it("demotes a failed account for 60 s, opens its circuit after 3 failures, then lets one probe through", async () => {
    const seeded = await pair("deterministic_rotation");
    const [a, b] = seeded.accounts as [Seeded["accounts"][0], Seeded["accounts"][0]];
    gw.fake.setDefaultBehavior(a.accountId, { kind: "server_error_500" });
    // Each request fails over to B when it tries A first.
    for (let i = 0; i < 6; i++) {
      const { response } = await turn(seeded.key, TEXT_TURN_BODY, { "session-id": `s${i}` });
      expect(response.status).toBe(200);
    }
    // A was tried once, then demoted (tried after B), so it saw far fewer than 6 calls.
    expect(callsOf(a.accountId)).toBeLessThanOrEqual(1);
    expect(callsOf(b.accountId)).toBe(6);

    // Force three more failures on A while B is paused, to open A's circuit.
    await gw.admin("POST", `/accounts/${b.id}/pause`);
    for (let i = 0; i < 3; i++) await turn(seeded.key);
    const beforeOpen = callsOf(a.accountId);
    const blocked = await turn(seeded.key);
    expect(blocked.response.status).toBe(503);
    expect(blocked.error.error.code).toBe("no_eligible_backend");
    expect(blocked.error.error.message).toMatch(/circuit open/);
    expect(blocked.error.error.message).toMatch(/paused/);
    expect(callsOf(a.accountId)).toBe(beforeOpen);

    // After 60 s the circuit is half-open: one probe; it succeeds and the circuit closes.
    gw.fake.setDefaultBehavior(a.accountId, { kind: "text" });
    offset += 61_000;
    const probe = await turn(seeded.key);
    expect(probe.response.status).toBe(200);
    const after = await turn(seeded.key);
    expect(after.response.status).toBe(200);
    expect(callsOf(a.accountId)).toBe(beforeOpen + 2);
  });
});

describe("pool-wide exhaustion", () => {
  it("answers 429 usage_limit_reached with the soonest reset and Retry-After, without calling upstream again", async () => {
    const seeded = await pair();
    const [a, b] = seeded.accounts;
    gw.fake.setDefaultBehavior(a!.accountId, { kind: "usage_limit_429", resetsInSeconds: 1800 });
    gw.fake.setDefaultBehavior(b!.accountId, { kind: "usage_limit_429", resetsInSeconds: 600 });
    const first = await turn(seeded.key);
    expect(first.response.status).toBe(429);
    const calls = gw.fake.requests.length;
    const second = await turn(seeded.key);
    expect(second.response.status).toBe(429);
    expect(gw.fake.requests.length).toBe(calls);
    expect(second.error.error).toMatchObject({ type: "usage_limit_reached", code: "usage_limit_reached" });
    const retryAfter = Number(second.response.headers.get("retry-after"));
    expect(retryAfter).toBeGreaterThan(500);
    expect(retryAfter).toBeLessThanOrEqual(600);
    expect(second.error.error.resets_in_seconds).toBe(retryAfter);
  });
});

describe("mixed failures", () => {
  it("answers the usage limit when the only other account cannot be used (needs a new login)", async () => {
    const seeded = await pair();
    const [broken, limited] = seeded.accounts;
    // Someone else rotated the broken account's refresh token, and its access token is dead.
    await fetch(`${gw.fake.authBaseUrl}/oauth/token`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        grant_type: "refresh_token",
        refresh_token: broken!.refreshToken,
        client_id: "x",
      }),
    });
    gw.fake.expireAccessToken(broken!.accountId);
    gw.fake.setDefaultBehavior(limited!.accountId, { kind: "usage_limit_429" });
    const results = [await turn(seeded.key), await turn(seeded.key)];
    for (const { response, error } of results) {
      expect(response.status).toBe(429);
      expect(error.error.type).toBe("usage_limit_reached");
    }
    expect(results[0]!.response.headers.get("x-codex-primary-used-percent")).toBe("100");
  });
});

describe("continuity", () => {
  it("keeps a Codex session on the account that served it", async () => {
    const seeded = await pair();
    const served = new Set<string>();
    for (let i = 0; i < 5; i++) {
      const before = seeded.accounts.map((a) => callsOf(a.accountId));
      await turn(seeded.key, TEXT_TURN_BODY, { "session-id": "sticky-session" });
      seeded.accounts.forEach((a, idx) => {
        if (callsOf(a.accountId) > (before[idx] ?? 0)) served.add(a.id);
      });
    }
    expect(served.size).toBe(1);
  });

  it("pins previous_response_id to its account and refuses to move it silently", async () => {
    const seeded = await pair();
    const first = await turn(seeded.key);
    const responseId = first.events.find((e) => e.type === "response.completed")?.data.response.id;
    expect(responseId).toMatch(/^resp_/);
    const owner = seeded.accounts.find((a) => gw.fake.responsesFor(a.accountId).length === 1)!;
    await waitFor(async () => {
      const follow = await turn(seeded.key, { ...TEXT_TURN_BODY, previous_response_id: responseId });
      return follow.response.status === 200 ? true : undefined;
    });
    expect(callsOf(owner.accountId)).toBeGreaterThanOrEqual(2);

    await gw.admin("POST", `/accounts/${owner.id}/pause`);
    const moved = await turn(seeded.key, { ...TEXT_TURN_BODY, previous_response_id: responseId });
    expect(moved.response.status).toBe(503);
    expect(moved.response.headers.get("x-codex-recovery-kind")).toBe("restart_with_full_context");
    expect(moved.error.error).toMatchObject({
      code: "pinned_continuation_unavailable",
      param: "previous_response_id",
    });
    const other = seeded.accounts.find((a) => a.id !== owner.id)!;
    expect(callsOf(other.accountId)).toBe(0);
  });
});

describe("pool routing settings", () => {
  it("changes strategy and ring size through the admin API and validates them", async () => {
    const seeded = await gw.seed({ accounts: 1 });
    const ok = await gw.admin("PATCH", `/pools/${seeded.pool}`, { strategy: "quota_first", ringSize: 2 });
    expect(ok.status).toBe(200);
    expect(ok.body.pool).toMatchObject({ strategy: "quota_first", ringSize: 2 });
    const bad = await gw.admin("PATCH", `/pools/${seeded.pool}`, { ringSize: 0 });
    expect(bad.status).toBe(400);
    expect(bad.body.error.param).toBe("ringSize");
    const unknown = await gw.admin("PATCH", `/pools/${seeded.pool}`, { strategy: "random" });
    expect(unknown.status).toBe(400);
    const audit = await gw.admin("GET", "/audit-events?limit=5");
    expect(audit.body.data.map((e: { action: string }) => e.action)).toContain("pool.routing_update");
  });
});
