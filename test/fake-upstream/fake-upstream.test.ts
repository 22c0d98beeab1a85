import { spawnSync } from "node:child_process";
import { deflateSync, gzipSync } from "node:zlib";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { sseStream } from "../helpers/sse.ts";
import {
  decodeJwtPayload,
  type FakeAccount,
  type FakeUpstream,
  startFakeUpstream,
  TEXT_USAGE,
  TOOL_USAGE,
  zstdRawFrame,
} from "./index.ts";

type Json = Record<string, unknown>;
interface Ev {
  event: string;
  data: Json;
}

let fake: FakeUpstream;
let acct: FakeAccount;

beforeEach(async () => {
  fake = await startFakeUpstream();
  acct = fake.createAccount({ planType: "plus", email: "a@example.test" });
});
afterEach(async () => {
  await fake.close();
});

function authHeaders(a: FakeAccount, token = a.authJson.tokens.access_token): Record<string, string> {
  return { authorization: `Bearer ${token}`, "chatgpt-account-id": a.accountId };
}

function userMessage(text: string): Json {
  return { type: "message", role: "user", content: [{ type: "input_text", text }] };
}

function turnBody(input: unknown[], extra: Json = {}): Json {
  return { model: "gpt-5.5", stream: true, store: false, input, ...extra };
}

function postResponses(
  body: unknown,
  opts: { a?: FakeAccount; headers?: Record<string, string>; raw?: Uint8Array; signal?: AbortSignal } = {},
): Promise<Response> {
  const a = opts.a ?? acct;
  return fetch(`${fake.upstreamBaseUrl}/codex/responses`, {
    method: "POST",
    headers: {
      ...authHeaders(a),
      "content-type": "application/json",
      accept: "text/event-stream",
      ...opts.headers,
    },
    body: opts.raw ? Uint8Array.from(opts.raw) : JSON.stringify(body),
    signal: opts.signal,
  });
}

/** The `response` object of an event (empty when absent). */
function responseOf(ev: Ev | undefined): Json {
  return (ev?.data.response ?? {}) as Json;
}

async function* sseEvents(res: Response): AsyncGenerator<Ev> {
  for await (const { event, data } of sseStream(res.body))
    yield { event: event ?? "", data: JSON.parse(data) as Json };
}

async function allEvents(res: Response): Promise<Ev[]> {
  const out: Ev[] = [];
  for await (const ev of sseEvents(res)) out.push(ev);
  return out;
}

const TEXT_TYPES = [
  "response.created",
  "response.in_progress",
  "response.output_item.added",
  "response.content_part.added",
  "response.output_text.delta",
  "response.output_text.delta",
  "response.output_text.done",
  "response.content_part.done",
  "response.output_item.done",
  "response.completed",
];

const TOOL_TYPES = [
  "response.created",
  "response.output_item.added",
  "response.reasoning_summary_part.added",
  "response.reasoning_summary_text.delta",
  "response.reasoning_summary_text.done",
  "response.reasoning_summary_part.done",
  "response.output_item.done",
  "response.output_item.added",
  "response.function_call_arguments.delta",
  "response.function_call_arguments.done",
  "response.output_item.done",
  "response.completed",
];

describe("text turn", () => {
  it("streams the golden §9.1 events in order with usage and headers", async () => {
    const res = await postResponses(turnBody([userMessage("Say hi")], { model: "gpt-5.4-mini" }));
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/event-stream");
    expect(res.headers.get("cache-control")).toBe("no-cache");
    expect(res.headers.get("x-codex-primary-used-percent")).toBe("12.5");
    expect(res.headers.get("x-codex-secondary-used-percent")).toBe("40");
    expect(res.headers.get("x-codex-primary-window-minutes")).toBe("300");
    expect(res.headers.get("x-codex-secondary-window-minutes")).toBe("10080");
    expect(res.headers.get("x-codex-primary-reset-after-seconds")).toBe("3600");
    expect(res.headers.get("x-codex-secondary-reset-after-seconds")).toBe("86400");
    const now = Math.floor(Date.now() / 1000);
    expect(Number(res.headers.get("x-codex-primary-reset-at"))).toBeGreaterThan(now + 3500);
    expect(Number(res.headers.get("x-codex-secondary-reset-at"))).toBeGreaterThan(now + 86000);
    expect(res.headers.get("x-codex-credits-has-credits")).toBe("false");
    expect(res.headers.get("x-codex-credits-unlimited")).toBe("false");
    expect(res.headers.get("x-codex-plan-type")).toBe("plus");
    expect(res.headers.get("x-models-etag")).toBe('"W/fake-1"');
    expect(res.headers.get("x-request-id")).toMatch(/^req_fake_\d+$/);
    expect(res.headers.get("x-codex-turn-state")).toMatch(/^ts_[0-9a-f]+$/);

    const events = await allEvents(res);
    expect(events.map((e) => e.event)).toEqual(TEXT_TYPES);
    expect(events.map((e) => e.data.type)).toEqual(TEXT_TYPES);
    expect(events.map((e) => e.data.sequence_number)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    const deltas = events.filter((e) => e.event === "response.output_text.delta").map((e) => e.data.delta);
    expect(deltas).toEqual(["Hello", " from fake upstream."]);
    const completed = responseOf(events.at(-1));
    expect(completed).toMatchObject({ object: "response", status: "completed", model: "gpt-5.4-mini" });
    expect(completed.usage).toEqual(TEXT_USAGE);
    expect(completed.id).toBe(responseOf(events[0]).id);
    expect(completed.output).toEqual([
      {
        id: expect.any(String),
        type: "message",
        status: "completed",
        role: "assistant",
        content: [{ type: "output_text", annotations: [], text: "Hello from fake upstream." }],
      },
    ]);
  });

  it("uses unique response ids, echoes turn state, honours setUsage and custom text", async () => {
    fake.setUsage(acct.accountId, { primaryUsedPercent: 77, secondaryUsedPercent: 5.5, planType: "pro" });
    fake.enqueue(acct.accountId, { kind: "text", text: "Custom answer here" });
    const r1 = await postResponses(turnBody([userMessage("a")]), {
      headers: { "x-codex-turn-state": "ts_keep" },
    });
    expect(r1.headers.get("x-codex-primary-used-percent")).toBe("77");
    expect(r1.headers.get("x-codex-secondary-used-percent")).toBe("5.5");
    expect(r1.headers.get("x-codex-plan-type")).toBe("pro");
    expect(r1.headers.get("x-codex-turn-state")).toBe("ts_keep");
    const e1 = await allEvents(r1);
    expect(e1.find((e) => e.event === "response.output_text.done")?.data.text).toBe("Custom answer here");
    const e2 = await allEvents(await postResponses(turnBody([userMessage("b")])));
    const id1 = responseOf(e1[0]).id;
    const id2 = responseOf(e2[0]).id;
    expect(id1).toMatch(/^resp_\d+$/);
    expect(id2).toMatch(/^resp_\d+$/);
    expect(id1).not.toBe(id2);
  });

  it("accepts requests with and without top-level instructions", async () => {
    const a = await postResponses(turnBody([userMessage("x")], { instructions: "be nice" }));
    expect(a.status).toBe(200);
    await allEvents(a);
    const b = await postResponses(turnBody([userMessage("x")]));
    expect(b.status).toBe(200);
    await allEvents(b);
  });

  it("writes each event separately (pauseAfterEvent holds the stream until releasePaused)", async () => {
    fake.enqueue(acct.accountId, { kind: "text", pauseAfterEvent: 4, delayMsBetweenEvents: 5 });
    const res = await postResponses(turnBody([userMessage("x")]));
    const seen: string[] = [];
    const it = sseEvents(res);
    for (let i = 0; i < 5; i++) {
      const next = await it.next();
      if (!next.done) seen.push(next.value.event);
    }
    expect(seen).toEqual(TEXT_TYPES.slice(0, 5));
    const pending = it.next();
    const raced = await Promise.race([pending, new Promise((r) => setTimeout(() => r("timeout"), 150))]);
    expect(raced).toBe("timeout");
    fake.releasePaused();
    const first = await pending;
    if (!first.done) seen.push(first.value.event);
    for await (const ev of it) seen.push(ev.event);
    expect(seen).toEqual(TEXT_TYPES);
  });

  it("rejects non-streaming and store:true requests like the real backend", async () => {
    const r1 = await postResponses({ model: "gpt-5.5", stream: false, input: [] });
    expect(r1.status).toBe(400);
    expect(await r1.json()).toEqual({ detail: "Stream must be set to true" });
    const r2 = await postResponses({ model: "gpt-5.5", stream: true, store: true, input: [] });
    expect(r2.status).toBe(400);
  });
});

describe("tool turns", () => {
  it("RUN_TOOL gives the §9.2 tool-call turn, and function_call_output gets a text turn", async () => {
    const first = [userMessage("please RUN_TOOL now")];
    const events = await allEvents(await postResponses(turnBody(first)));
    expect(events.map((e) => e.event)).toEqual(TOOL_TYPES);
    const completed = responseOf(events.at(-1));
    expect(completed.usage).toEqual(TOOL_USAGE);
    const output = completed.output as Json[];
    expect(output[0]).toMatchObject({
      type: "reasoning",
      summary: [{ type: "summary_text", text: "Planning to run echo." }],
    });
    expect(String(output[0]?.encrypted_content)).toMatch(/^gAAAA/);
    expect(output[1]).toMatchObject({
      type: "function_call",
      status: "completed",
      name: "exec_command",
      arguments: '{"cmd":"echo hi"}',
    });
    const argsDelta = events.find((e) => e.event === "response.function_call_arguments.delta");
    expect(argsDelta?.data).toMatchObject({ output_index: 1, delta: '{"cmd":"echo hi"}' });

    const followUp = [
      ...first,
      output[0],
      output[1],
      { type: "function_call_output", call_id: output[1]?.call_id, output: "hi\n" },
    ];
    const second = await allEvents(await postResponses(turnBody(followUp)));
    expect(second.map((e) => e.event)).toEqual(TEXT_TYPES);

    // A later user turn in the same history without RUN_TOOL stays a text turn.
    const later = [...followUp, responseOf(second.at(-1)).output, userMessage("thanks")].flat();
    expect((await allEvents(await postResponses(turnBody(later)))).map((e) => e.event)).toEqual(TEXT_TYPES);
  });

  it("queued tool_call uses the given command; queue is FIFO, then the default applies", async () => {
    fake.setDefaultBehavior(acct.accountId, { kind: "text", text: "default text" });
    fake.enqueue(acct.accountId, { kind: "tool_call", command: "ls -la" }, { kind: "overloaded_503" });
    const tool = await allEvents(await postResponses(turnBody([userMessage("x")])));
    const done = tool.find((e) => e.event === "response.function_call_arguments.done");
    expect(done?.data.arguments).toBe('{"cmd":"ls -la"}');
    expect((await postResponses(turnBody([userMessage("x")]))).status).toBe(503);
    const text = await allEvents(await postResponses(turnBody([userMessage("RUN_TOOL")])));
    expect(text.find((e) => e.event === "response.output_text.done")?.data.text).toBe("default text");
  });
});

describe("error behaviours", () => {
  it("usage_limit_429 matches §9.3", async () => {
    fake.setUsage(acct.accountId, { secondaryUsedPercent: 63 });
    fake.enqueue(acct.accountId, { kind: "usage_limit_429", resetsInSeconds: 1800 });
    const res = await postResponses(turnBody([userMessage("x")]));
    expect(res.status).toBe(429);
    const now = Math.floor(Date.now() / 1000);
    expect(res.headers.get("content-type")).toBe("application/json");
    expect(res.headers.get("x-codex-primary-used-percent")).toBe("100");
    expect(res.headers.get("x-codex-primary-window-minutes")).toBe("300");
    expect(res.headers.get("x-codex-primary-reset-after-seconds")).toBe("1800");
    expect(res.headers.get("x-codex-secondary-used-percent")).toBe("63");
    expect(res.headers.get("x-codex-secondary-window-minutes")).toBe("10080");
    expect(res.headers.get("x-codex-secondary-reset-at")).toMatch(/^\d+$/);
    expect(res.headers.get("x-codex-active-limit")).toBe("codex");
    expect(res.headers.get("x-codex-rate-limit-reached-type")).toBe("rate_limit_reached");
    const body = (await res.json()) as { error: Json };
    expect(body.error).toMatchObject({
      type: "usage_limit_reached",
      message: "The usage limit has been reached",
      plan_type: "plus",
      resets_in_seconds: 1800,
    });
    expect(Math.abs(Number(body.error.resets_at) - (now + 1800))).toBeLessThanOrEqual(2);
    expect(res.headers.get("x-codex-primary-reset-at")).toBe(String(body.error.resets_at));
  });

  it("rate_limit_429, overloaded_503, server_error_500 and unauthorized_401", async () => {
    fake.enqueue(
      acct.accountId,
      { kind: "rate_limit_429" },
      { kind: "overloaded_503" },
      { kind: "server_error_500" },
      { kind: "unauthorized_401" },
      { kind: "unauthorized_401", code: "invalid_api_key" },
    );
    const body = turnBody([userMessage("x")]);
    const r429 = await postResponses(body);
    expect(r429.status).toBe(429);
    expect(r429.headers.get("retry-after")).toBe("2");
    expect(await r429.json()).toEqual({
      error: {
        type: "rate_limit_error",
        code: "rate_limit_exceeded",
        message: "Rate limit reached. Please try again in 2s.",
      },
    });
    const r503 = await postResponses(body);
    expect(r503.status).toBe(503);
    expect(((await r503.json()) as { error: Json }).error.code).toBe("server_is_overloaded");
    const r500 = await postResponses(body);
    expect(r500.status).toBe(500);
    expect(((await r500.json()) as { error: Json }).error.code).toBe("server_error");
    const r401 = await postResponses(body);
    expect(r401.status).toBe(401);
    expect(((await r401.json()) as { error: Json }).error.code).toBe("token_expired");
    const r401b = await postResponses(body);
    expect(((await r401b.json()) as { error: Json }).error.code).toBe("invalid_api_key");
    // Queue drained: back to a normal turn.
    expect((await postResponses(body)).status).toBe(200);
  });

  it("drop_mid_stream ends the body without response.completed", async () => {
    fake.enqueue(acct.accountId, { kind: "drop_mid_stream" });
    const events = await allEvents(await postResponses(turnBody([userMessage("x")])));
    expect(events.map((e) => e.event)).toEqual([
      "response.created",
      "response.output_item.added",
      "response.output_text.delta",
      "response.output_text.delta",
    ]);
  });

  it("response_failed is an SSE 200 whose first event is response.failed", async () => {
    fake.enqueue(acct.accountId, { kind: "response_failed", code: "context_length_exceeded" });
    const res = await postResponses(turnBody([userMessage("x")]));
    expect(res.status).toBe(200);
    const events = await allEvents(res);
    expect(events).toHaveLength(1);
    expect(events[0]?.event).toBe("response.failed");
    expect(responseOf(events[0]).error).toMatchObject({ code: "context_length_exceeded" });
  });

  it("stall sends response.created then nothing until the client leaves", async () => {
    fake.enqueue(acct.accountId, { kind: "stall" });
    const ac = new AbortController();
    const res = await postResponses(turnBody([userMessage("x")]), { signal: ac.signal });
    const it = sseEvents(res);
    const first = await it.next();
    expect(first.done ? undefined : first.value.event).toBe("response.created");
    const pending = it.next().catch(() => "aborted");
    const raced = await Promise.race([pending, new Promise((r) => setTimeout(() => r("timeout"), 200))]);
    expect(raced).toBe("timeout");
    ac.abort();
    expect(await pending).toBe("aborted");
  });

  it("close() does not hang on a stalled stream", async () => {
    fake.enqueue(acct.accountId, { kind: "stall" });
    const res = await postResponses(turnBody([userMessage("x")]));
    const it = sseEvents(res);
    await it.next();
    await fake.close();
    await expect(it.next()).rejects.toThrow();
    fake = await startFakeUpstream(); // afterEach closes it
  });

  it("reset_connection destroys the socket before any response", async () => {
    fake.enqueue(acct.accountId, { kind: "reset_connection" });
    await expect(postResponses(turnBody([userMessage("x")]))).rejects.toThrow();
    expect(fake.responsesFor(acct.accountId)).toHaveLength(1);
  });
});

describe("auth", () => {
  async function refresh(refreshToken: string, form = false): Promise<Response> {
    const fields = {
      client_id: "app_EMoamEEZ73f0CkXaXp7hrann",
      grant_type: "refresh_token",
      refresh_token: refreshToken,
    };
    return fetch(`${fake.authBaseUrl}/oauth/token`, {
      method: "POST",
      headers: { "content-type": form ? "application/x-www-form-urlencoded" : "application/json" },
      body: form ? new URLSearchParams(fields).toString() : JSON.stringify(fields),
    });
  }

  it("issues JWT-shaped tokens and a Codex auth.json", () => {
    const { authJson } = acct;
    expect(authJson).toMatchObject({ auth_mode: "chatgpt", OPENAI_API_KEY: null });
    expect(authJson.tokens.account_id).toBe(acct.accountId);
    expect(acct.accountId).toMatch(/^acct_[0-9a-f]+$/);
    expect(authJson.tokens.refresh_token).toMatch(/^rt_/);
    expect(Number.isNaN(Date.parse(authJson.last_refresh))).toBe(false);
    for (const token of [authJson.tokens.id_token, authJson.tokens.access_token]) {
      expect(token.split(".")).toHaveLength(3);
      const claims = decodeJwtPayload(token) as Json;
      expect(claims.email).toBe("a@example.test");
      expect(Number(claims.exp) - Number(claims.iat)).toBe(3600);
      expect(claims["https://api.openai.com/auth"]).toMatchObject({
        chatgpt_account_id: acct.accountId,
        chatgpt_plan_type: "plus",
        chatgpt_user_id: expect.any(String),
      });
      expect(claims["https://api.openai.com/profile"]).toMatchObject({ email: "a@example.test" });
    }
  });

  it("rotates refresh tokens and detects reuse (JSON and form bodies)", async () => {
    const oldRt = acct.authJson.tokens.refresh_token;
    const oldAt = acct.authJson.tokens.access_token;
    const r1 = await refresh(oldRt);
    expect(r1.status).toBe(200);
    const t1 = (await r1.json()) as Json;
    expect(t1).toMatchObject({
      expires_in: 3600,
      token_type: "Bearer",
      scope: "openid profile email offline_access",
    });
    expect(t1.refresh_token).toMatch(/^rt_/);
    expect(t1.refresh_token).not.toBe(oldRt);
    expect(decodeJwtPayload(String(t1.id_token))?.email).toBe("a@example.test");
    expect(fake.refreshCount(acct.accountId)).toBe(1);

    const reused = await refresh(oldRt);
    expect(reused.status).toBe(401);
    expect(await reused.json()).toEqual({
      error: {
        message:
          "Your refresh token has already been used to generate a new access token. Please try signing in again.",
        type: "invalid_request_error",
        param: null,
        code: "refresh_token_reused",
      },
    });
    const unknown = await refresh("rt_nope");
    expect(unknown.status).toBe(401);
    expect(((await unknown.json()) as { error: Json }).error.code).toBe("refresh_token_invalidated");

    const r2 = await refresh(String(t1.refresh_token), true);
    expect(r2.status).toBe(200);
    const t2 = (await r2.json()) as Json;
    expect(fake.refreshCount(acct.accountId)).toBe(2);

    // Only the newest access token works; superseded ones read as expired.
    const stale = await postResponses(turnBody([userMessage("x")]), { headers: authHeaders(acct, oldAt) });
    expect(stale.status).toBe(401);
    expect(((await stale.json()) as { error: Json }).error.code).toBe("token_expired");
    const fresh = await postResponses(turnBody([userMessage("x")]), {
      headers: authHeaders(acct, String(t2.access_token)),
    });
    expect(fresh.status).toBe(200);
    await allEvents(fresh);

    const tokenCalls = fake.requests.filter((r) => r.path === "/oauth/token");
    expect(tokenCalls).toHaveLength(4);
    expect(tokenCalls[3]?.body).toMatchObject({ grant_type: "refresh_token" });
    expect(tokenCalls[0]?.accountId).toBe(acct.accountId);
  });

  it("expireAccessToken forces a 401 token_expired until refresh", async () => {
    fake.expireAccessToken(acct.accountId);
    const res = await postResponses(turnBody([userMessage("x")]));
    expect(res.status).toBe(401);
    expect(await res.json()).toEqual({
      error: {
        code: "token_expired",
        message: "Provided authentication token is expired. Please try signing in again.",
        type: "invalid_request_error",
      },
    });
    const t = (await (await refresh(acct.authJson.tokens.refresh_token)).json()) as Json;
    const ok = await postResponses(turnBody([userMessage("x")]), {
      headers: authHeaders(acct, String(t.access_token)),
    });
    expect(ok.status).toBe(200);
    await allEvents(ok);
  });

  it("rejects tokens past exp, unknown tokens and a mismatched chatgpt-account-id", async () => {
    const expired = fake.createAccount({ accessTokenTtlSeconds: 0 });
    const r1 = await postResponses(turnBody([userMessage("x")]), { a: expired });
    expect(r1.status).toBe(401);
    expect(((await r1.json()) as { error: Json }).error.code).toBe("token_expired");

    const r2 = await postResponses(turnBody([userMessage("x")]), {
      headers: { authorization: "Bearer nope" },
    });
    expect(r2.status).toBe(401);
    expect(((await r2.json()) as { error: Json }).error.code).toBe("invalid_api_key");

    const other = fake.createAccount();
    const r3 = await postResponses(turnBody([userMessage("x")]), {
      headers: { "chatgpt-account-id": other.accountId },
    });
    expect(r3.status).toBe(401);
    expect(r3.headers.get("x-fake-auth-error")).toBe("account_mismatch");
  });
});

describe("other routes", () => {
  it("serves the models catalog with etags and client_version gating", async () => {
    const res = await fetch(`${fake.upstreamBaseUrl}/codex/models?client_version=0.169.0`, {
      headers: authHeaders(acct),
    });
    expect(res.status).toBe(200);
    expect(res.headers.get("x-models-etag")).toBe('"W/fake-1"');
    expect(res.headers.get("etag")).toBe('"W/fake-1"');
    const body = (await res.json()) as { models: Json[] };
    expect(body.models.map((m) => m.slug)).toEqual(["gpt-5.5", "gpt-5.4-mini"]);
    expect(body.models[0]).toMatchObject({ context_window: 272000, shell_type: "shell_command" });

    const old = await fetch(`${fake.upstreamBaseUrl}/codex/models?client_version=0.100.0`, {
      headers: authHeaders(acct),
    });
    expect(((await old.json()) as { models: Json[] }).models.map((m) => m.slug)).toEqual(["gpt-5.4-mini"]);
    expect(fake.requests.at(-1)?.query).toEqual({ client_version: "0.100.0" });

    const unauth = await fetch(`${fake.upstreamBaseUrl}/codex/models`);
    expect(unauth.status).toBe(401);
  });

  it("serves wham usage from setUsage values", async () => {
    fake.setUsage(acct.accountId, { primaryUsedPercent: 100, secondaryUsedPercent: 55, planType: "pro" });
    const res = await fetch(`${fake.upstreamBaseUrl}/wham/usage`, {
      headers: { ...authHeaders(acct), accept: "application/json" },
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as Json;
    expect(body).toMatchObject({
      plan_type: "pro",
      rate_limit: {
        allowed: false,
        limit_reached: true,
        primary_window: { used_percent: 100, limit_window_seconds: 18000, reset_after_seconds: 3600 },
        secondary_window: { used_percent: 55, limit_window_seconds: 604800, reset_after_seconds: 86400 },
      },
      credits: { has_credits: false, unlimited: false, balance: "0" },
      rate_limit_reached_type: "rate_limit_reached",
    });
    const primary = (body.rate_limit as Json).primary_window as Json;
    expect(Number(primary.reset_at)).toBeGreaterThan(Math.floor(Date.now() / 1000));
  });

  it("answers 404 JSON for unknown routes", async () => {
    const res = await fetch(`${fake.url}/backend-api/nope`, { headers: authHeaders(acct) });
    expect(res.status).toBe(404);
    expect(((await res.json()) as { error: Json }).error.code).toBe("not_found");
  });

  it("records requests with headers, decompressed bodies and account ids", async () => {
    const body = turnBody([userMessage("compressed hello")]);
    const json = JSON.stringify(body);
    const encodings: [string, Uint8Array][] = [
      ["gzip", gzipSync(json)],
      ["deflate", deflateSync(json)],
      ["zstd", zstdRawFrame(json)],
    ];
    const cli = spawnSync("zstd", ["-q", "-c"], { input: json });
    if (cli.status === 0 && cli.stdout.length > 0) encodings.push(["zstd", new Uint8Array(cli.stdout)]);
    for (const [encoding, raw] of encodings) {
      const res = await postResponses(undefined, { raw, headers: { "content-encoding": encoding } });
      expect(res.status, encoding).toBe(200);
      await allEvents(res);
    }
    const recorded = fake.responsesFor(acct.accountId);
    expect(recorded).toHaveLength(encodings.length);
    for (const r of recorded) {
      expect(r.body).toEqual(body);
      expect(r.method).toBe("POST");
      expect(r.headers["chatgpt-account-id"]).toBe(acct.accountId);
      expect(r.headers["content-encoding"]).toBeDefined();
    }

    const bad = await postResponses(undefined, {
      raw: new Uint8Array([1, 2, 3]),
      headers: { "content-encoding": "zstd" },
    });
    expect(bad.status).toBe(400);
  });
});
