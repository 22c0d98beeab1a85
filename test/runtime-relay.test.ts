// The Codex Responses relay over real HTTP: auth, header hygiene, streaming, failover, refresh,
// terminal errors, request logs.
import { gzipSync } from "node:zlib";
import { beforeAll, describe, expect, it } from "vitest";
import { zstdRawFrame } from "./fake-upstream/index.ts";
import { NO_KEEPALIVE, readSse, type Seeded, TEXT_TURN_BODY, useTestGateway } from "./helpers/gateway.ts";

const { gw } = useTestGateway({ env: NO_KEEPALIVE });

const post = (
  key: string | undefined,
  body: unknown = TEXT_TURN_BODY,
  headers: Record<string, string> = {},
) => gw.turn(key, body, { headers: { accept: "text/event-stream", ...headers } });

describe("pool key auth", () => {
  let seeded: Seeded;
  beforeAll(async () => {
    seeded = await gw.seed({ accounts: 1 });
  });

  it.each([
    ["no header", undefined, "api_key_missing"],
    ["malformed key", "sk-cxp-nothex-abc", "invalid_api_key"],
    ["unknown id", `sk-cxp-000000000000-${"A".repeat(43)}`, "invalid_api_key"],
  ])("rejects %s with an OpenAI-shaped 401", async (_name, key, code) => {
    const response = await post(key);
    expect(response.status).toBe(401);
    const body = await response.json();
    expect(body.error).toMatchObject({ code, type: "invalid_request_error", param: null });
    expect(typeof body.error.message).toBe("string");
    expect(gw.fake.requests.filter((r) => r.path.includes("/codex/responses"))).toHaveLength(0);
  });

  it("rejects the right id with a wrong secret", async () => {
    const wrong = `${seeded.key.slice(0, 20)}${"B".repeat(43)}`;
    const response = await post(wrong);
    expect(response.status).toBe(401);
    expect((await response.json()).error.code).toBe("invalid_api_key");
  });

  it("refuses a paused key, serves it again once resumed, and refuses a revoked key", async () => {
    expect((await gw.admin("POST", `/keys/${seeded.keyId}/pause`)).status).toBe(200);
    const paused = await post(seeded.key);
    expect(paused.status).toBe(401);
    expect((await paused.json()).error).toMatchObject({ code: "api_key_disabled" });

    await gw.admin("POST", `/keys/${seeded.keyId}/resume`);
    const resumed = await post(seeded.key);
    expect(resumed.status).toBe(200);
    await resumed.text();

    const rotated = await gw.admin("POST", `/keys/${seeded.keyId}/rotate`);
    expect((await post(seeded.key)).status).toBe(401);
    const fresh = await post(rotated.body.secret);
    expect(fresh.status).toBe(200);
    await fresh.text();

    await gw.admin("POST", `/keys/${seeded.keyId}/revoke`);
    const revoked = await post(rotated.body.secret);
    expect(revoked.status).toBe(401);
    expect((await revoked.json()).error.message).toContain("revoked");
  });
});

describe("streaming relay", () => {
  let seeded: Seeded;
  beforeAll(async () => {
    seeded = await gw.seed({ accounts: 1 });
  });

  it("delivers events before the upstream has finished, then the whole golden turn", async () => {
    const [account] = seeded.accounts;
    gw.fake.enqueue(account!.accountId, { kind: "text", pauseAfterEvent: 4 });
    const response = await post(seeded.key);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toContain("text/event-stream");
    expect(response.headers.get("x-codex-primary-used-percent")).toBe("12.5");
    const reader = response.body!.getReader();
    let seen = "";
    while (!seen.includes("response.output_text.delta")) {
      const { value, done } = await reader.read();
      expect(done).toBe(false);
      seen += new TextDecoder().decode(value);
    }
    // The upstream is still paused: nothing terminal can have arrived yet.
    expect(seen).not.toContain("response.completed");
    gw.fake.releasePaused();
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      seen += new TextDecoder().decode(value);
    }
    expect(seen).toContain('"type":"response.completed"');
    expect(seen).toContain("Hello from fake upstream.");

    const [log] = await gw.requestLogs(seeded.keyId);
    expect(log).toMatchObject({
      pool: seeded.pool,
      keyId: seeded.keyId,
      accountLabel: account!.label,
      route: "/backend-api/codex/responses",
      method: "POST",
      transport: "http_sse",
      model: "gpt-5.5",
      status: 200,
      errorCode: null,
      attempts: 1,
      usage: { inputTokens: 120, cachedTokens: 64, outputTokens: 9, reasoningTokens: 0, totalTokens: 129 },
    });
    expect(log.ttfbMs).toBeGreaterThanOrEqual(0);
    expect(log.durationMs).toBeGreaterThanOrEqual(log.ttfbMs);
  });

  it("forwards the account's credentials and the client's identity, never the pool key or forwarding headers", async () => {
    const [account] = seeded.accounts;
    const before = gw.fake.responsesFor(account!.accountId).length;
    const response = await post(seeded.key, TEXT_TURN_BODY, {
      originator: "codex_exec",
      "user-agent": "codex_exec/0.169.0 (Debian 12.0.0; x86_64) xterm (codex_exec; 0.169.0)",
      "session-id": "sess-123",
      "thread-id": "thread-456",
      "x-codex-turn-metadata": '{"turn_id":"t1"}',
      "x-codex-window-id": "win-1",
      "x-forwarded-for": "203.0.113.9",
      "chatgpt-account-id": "acct_spoofed",
      cookie: "session=abc",
    });
    await response.text();
    const recorded = gw.fake.responsesFor(account!.accountId)[before]!;
    expect(recorded.headers.authorization).toMatch(/^Bearer [\w-]+\.[\w-]+\.[\w-]*$/);
    expect(recorded.headers.authorization).not.toContain("sk-cxp-");
    expect(recorded.headers["chatgpt-account-id"]).toBe(account!.accountId);
    expect(recorded.headers).toMatchObject({
      originator: "codex_exec",
      "session-id": "sess-123",
      "thread-id": "thread-456",
      "x-codex-turn-metadata": '{"turn_id":"t1"}',
      "x-codex-window-id": "win-1",
      accept: "text/event-stream",
    });
    expect(recorded.headers["user-agent"]).toContain("codex_exec/0.169.0");
    expect(recorded.headers["x-forwarded-for"]).toBeUndefined();
    expect(recorded.headers.cookie).toBeUndefined();
    // Unknown fields pass through untouched.
    expect(recorded.body).toEqual(TEXT_TURN_BODY);
  });

  it("accepts gzip and zstd request bodies", async () => {
    const json = JSON.stringify(TEXT_TURN_BODY);
    for (const [encoding, bytes] of [
      ["gzip", gzipSync(json)],
      ["zstd", zstdRawFrame(json)],
    ] as const) {
      const response = await post(seeded.key, new Uint8Array(bytes), { "content-encoding": encoding });
      expect(response.status, encoding).toBe(200);
      const events = await readSse(response);
      expect(events.at(-1)?.type).toBe("response.completed");
    }
  });

  it("rejects bad bodies clearly without calling upstream", async () => {
    const before = gw.fake.requests.length;
    const notJson = await post(seeded.key, "{nope");
    expect(notJson.status).toBe(400);
    expect((await notJson.json()).error).toMatchObject({
      code: "invalid_request",
      message: "request body must be valid JSON",
    });
    const array = await post(seeded.key, "[1]");
    expect((await array.json()).error.message).toBe("request body must be a JSON object");
    const badGzip = await post(seeded.key, new Uint8Array([1, 2, 3]), { "content-encoding": "gzip" });
    expect(badGzip.status).toBe(400);
    const unknown = await post(seeded.key, "{}", { "content-encoding": "compress" });
    expect(unknown.status).toBe(415);
    const huge = await post(seeded.key, new Uint8Array(gzipSync(Buffer.alloc(70 * 1024 * 1024, 32))), {
      "content-encoding": "gzip",
    });
    expect(huge.status).toBe(413);
    expect((await huge.json()).error.code).toBe("request_too_large");
    expect(gw.fake.requests.length).toBe(before);
  });

  it("ends a stream the upstream drops with a well-formed response.failed, and logs it", async () => {
    const [account] = seeded.accounts;
    gw.fake.enqueue(account!.accountId, { kind: "drop_mid_stream" });
    const response = await post(seeded.key);
    expect(response.status).toBe(200);
    const events = await readSse(response);
    expect(events.some((e) => e.type === "response.output_text.delta")).toBe(true);
    const last = events.at(-1)!;
    expect(last.type).toBe("response.failed");
    expect(last.data.response.error.code).toBe("stream_interrupted");
    const logs = await gw.requestLog(
      seeded.keyId,
      (l: { errorCode: string }) => l.errorCode === "stream_interrupted",
    );
    expect(logs.status).toBe(200);
  });

  it("aborts the upstream call when the client goes away", async () => {
    const [account] = seeded.accounts;
    gw.fake.enqueue(account!.accountId, { kind: "text", pauseAfterEvent: 4 });
    const response = await post(seeded.key);
    const reader = response.body!.getReader();
    await reader.read();
    await reader.cancel();
    const log = await gw.requestLog(
      seeded.keyId,
      (l: { errorCode: string }) => l.errorCode === "client_closed",
    );
    expect(log.status).toBe(499);
  });

  it("answers other /backend-api routes with 404 and never calls upstream", async () => {
    const before = gw.fake.requests.length;
    for (const path of [
      "/backend-api/codex/analytics-events/events",
      "/backend-api/wham/accounts/check",
      "/backend-api/x",
    ]) {
      const response = await fetch(`${gw.url}${path}`, {
        method: "POST",
        headers: { authorization: `Bearer ${seeded.key}` },
        body: "{}",
      });
      expect(response.status).toBe(404);
      expect((await response.json()).error).toMatchObject({
        code: "not_found",
        type: "invalid_request_error",
      });
    }
    expect(gw.fake.requests.length).toBe(before);
  });
});

describe("failover before the first byte", () => {
  it("moves to the next account on a usage-limit 429 and skips the exhausted account afterwards", async () => {
    const seeded = await gw.seed({ accounts: 2 });
    const [a, b] = seeded.accounts;
    gw.fake.setDefaultBehavior(a!.accountId, { kind: "usage_limit_429" });
    gw.fake.setDefaultBehavior(b!.accountId, { kind: "text" });
    const send = async () => {
      const response = await post(seeded.key);
      expect(response.status).toBe(200);
      expect((await readSse(response)).at(-1)?.type).toBe("response.completed");
    };
    // Until routing first picks A (requests spread over both), then three more.
    let sent = 0;
    for (; sent < 30 && gw.fake.responsesFor(a!.accountId).length === 0; sent++) await send();
    for (let i = 0; i < 3; i++, sent++) await send();
    // A was tried exactly once: after its 429 it is out until reset.
    expect(gw.fake.responsesFor(a!.accountId).length).toBe(1);
    expect(gw.fake.responsesFor(b!.accountId).length).toBe(sent);
    const logs = await gw.requestLogs(seeded.keyId, sent);
    expect(logs.filter((l: { attempts: number }) => l.attempts === 2)).toHaveLength(1);
    const accounts = await gw.admin("GET", `/accounts?pool=${seeded.pool}`);
    const exhausted = accounts.body.data.find((x: { id: string }) => x.id === a!.id);
    expect(exhausted.lastErrorCode).toBe("usage_limit_reached");
    expect(exhausted.quota.exhaustedUntil).not.toBeNull();
  });

  it("relays the usage-limit 429 in Codex's shape when every account is exhausted", async () => {
    const seeded = await gw.seed({ accounts: 2 });
    for (const account of seeded.accounts)
      gw.fake.setDefaultBehavior(account.accountId, { kind: "usage_limit_429" });
    const response = await post(seeded.key);
    expect(response.status).toBe(429);
    expect(response.headers.get("x-codex-primary-used-percent")).toBe("100");
    const body = await response.json();
    expect(body.error).toMatchObject({ type: "usage_limit_reached", plan_type: "plus" });
    expect(body.error.resets_at).toBeGreaterThan(Date.now() / 1000);
    expect(body.error.resets_in_seconds).toBeGreaterThan(0);
    // Now nothing is routable until reset: answered locally, in the same shape, without an upstream call.
    const calls = gw.fake.requests.length;
    const again = await post(seeded.key);
    expect(again.status).toBe(429);
    expect((await again.json()).error).toMatchObject({
      type: "usage_limit_reached",
      resets_at: body.error.resets_at,
    });
    expect(gw.fake.requests.length).toBe(calls);
  });

  it("fails over on 5xx and connection resets, and relays the last failure when all fail", async () => {
    const seeded = await gw.seed({ accounts: 2 });
    const [a, b] = seeded.accounts;
    gw.fake.enqueue(a!.accountId, { kind: "reset_connection" });
    gw.fake.enqueue(b!.accountId, { kind: "overloaded_503" });
    const response = await post(seeded.key);
    expect([502, 503]).toContain(response.status);
    const body = await response.json();
    expect(body.error.code).toMatch(/server_is_overloaded|upstream_unreachable/);

    gw.fake.enqueue(a!.accountId, { kind: "server_error_500" });
    gw.fake.enqueue(b!.accountId, { kind: "server_error_500" });
    // Rotation starts on the other account now; both fail, then the next request succeeds.
    expect((await post(seeded.key)).status).toBe(500);
    const ok = await post(seeded.key);
    expect(ok.status).toBe(200);
    await ok.text();
  });

  it("does not fail over a request the upstream rejects as invalid", async () => {
    const seeded = await gw.seed({ accounts: 2 });
    const response = await post(seeded.key, { ...TEXT_TURN_BODY, stream: false });
    expect(response.status).toBe(400);
    const total = seeded.accounts.reduce((n, a) => n + gw.fake.responsesFor(a.accountId).length, 0);
    expect(total).toBe(1);
  });
});

describe("token refresh", () => {
  it("refreshes on a 401 and retries on the same account, persisting the rotated token", async () => {
    const seeded = await gw.seed({ accounts: 1 });
    const [account] = seeded.accounts;
    gw.fake.expireAccessToken(account!.accountId);
    const response = await post(seeded.key);
    expect(response.status).toBe(200);
    await response.text();
    expect(gw.fake.refreshCount(account!.accountId)).toBe(1);
    const second = await post(seeded.key);
    await second.text();
    expect(gw.fake.refreshCount(account!.accountId)).toBe(1);
    const calls = gw.fake.responsesFor(account!.accountId);
    expect(calls.at(-1)!.headers.authorization).toBe(calls.at(-2)!.headers.authorization);
    const audit = await gw.admin("GET", "/accounts");
    const view = audit.body.data.find((x: { id: string }) => x.id === account!.id);
    expect(view.status).toBe("active");
    expect(view.lastRefreshAt).not.toBeNull();
  });

  it("refreshes an expired access token before use, once, however many requests race", async () => {
    const seeded = await gw.seed({ accounts: 1, initialAccessTokenTtlSeconds: 0 });
    const [account] = seeded.accounts;
    const responses = await Promise.all(Array.from({ length: 6 }, () => post(seeded.key)));
    for (const response of responses) {
      expect(response.status).toBe(200);
      await response.text();
    }
    expect(gw.fake.refreshCount(account!.accountId)).toBe(1);
    // No request went out with the expired token.
    const unauthorized = gw.fake.responsesFor(account!.accountId).length;
    expect(unauthorized).toBe(6);
  });

  it("marks an account reauth_required when its refresh token was reused elsewhere, and fails over", async () => {
    const seeded = await gw.seed({ accounts: 2 });
    const [a, b] = seeded.accounts;
    // Someone else refreshed A's login (as a laptop still using the same auth.json would).
    const refreshResponse = await fetch(`${gw.fake.authBaseUrl}/oauth/token`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        grant_type: "refresh_token",
        refresh_token: a!.refreshToken,
        client_id: "x",
      }),
    });
    expect(refreshResponse.status).toBe(200);
    gw.fake.expireAccessToken(a!.accountId);
    gw.fake.setDefaultBehavior(b!.accountId, { kind: "text" });
    // Requests spread over both accounts; keep going until A has been tried (then it fails over).
    for (let i = 0; i < 30 && gw.fake.responsesFor(a!.accountId).length === 0; i++) {
      const response = await post(seeded.key);
      expect(response.status).toBe(200);
      await response.text();
    }
    expect(gw.fake.responsesFor(a!.accountId)).toHaveLength(1);
    const view = (await gw.admin("GET", `/accounts?pool=${seeded.pool}`)).body.data.find(
      (x: { id: string }) => x.id === a!.id,
    );
    expect(view).toMatchObject({ status: "reauth_required", lastErrorCode: "refresh_token_reused" });
    const resume = await gw.admin("POST", `/accounts/${a!.id}/resume`);
    expect(resume.status).toBe(409);
    expect(resume.body.error.message).toContain("codex login");
  });
});

describe("models and usage", () => {
  let seeded: Seeded;
  beforeAll(async () => {
    seeded = await gw.seed({ accounts: 2 });
  });
  const get = (path: string, headers: Record<string, string> = {}) =>
    fetch(`${gw.url}${path}`, { headers: { authorization: `Bearer ${seeded.key}`, ...headers } });

  it("serves the pool's catalog with a weak ETag, 304 on a match, and the same body on the alias", async () => {
    const response = await get("/backend-api/codex/models?client_version=0.169.0");
    expect(response.status).toBe(200);
    const etag = response.headers.get("etag")!;
    expect(etag).toMatch(/^W\/"/);
    expect(response.headers.get("x-models-etag")).toBe(etag);
    const body = await response.json();
    expect(body.models.map((m: { slug: string }) => m.slug)).toContain("gpt-5.5");
    const alias = await get("/backend-api/codex/v1/models?client_version=0.169.0");
    expect(await alias.json()).toEqual(body);
    const cached = await get("/backend-api/codex/models?client_version=0.169.0", { "if-none-match": etag });
    expect(cached.status).toBe(304);
    const upstreamCalls = gw.fake.requests.filter((r) => r.path === "/backend-api/codex/models").length;
    expect(upstreamCalls).toBeGreaterThanOrEqual(1);
    await get("/backend-api/codex/models?client_version=0.169.0");
    expect(gw.fake.requests.filter((r) => r.path === "/backend-api/codex/models").length).toBe(upstreamCalls);
  });

  it("answers /wham/usage in the upstream's shape, aggregated over the pool", async () => {
    const [a, b] = seeded.accounts;
    gw.fake.setUsage(a!.accountId, { primaryUsedPercent: 20, secondaryUsedPercent: 50 });
    gw.fake.setUsage(b!.accountId, { primaryUsedPercent: 40, secondaryUsedPercent: 70 });
    const response = await get("/backend-api/wham/usage");
    expect(response.status).toBe(200);
    const body = await response.json();
    expect(body.plan_type).toBe("plus");
    expect(body.rate_limit).toMatchObject({ allowed: true, limit_reached: false });
    expect(body.rate_limit.primary_window.used_percent).toBe(30);
    expect(body.rate_limit.secondary_window.used_percent).toBe(60);
    expect(body.rate_limit.primary_window.reset_at).toBeGreaterThan(Date.now() / 1000);
    expect(body.credits).toMatchObject({ has_credits: false, unlimited: false });
  });
});
