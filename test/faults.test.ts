// Fault injection. Upstream faults come from the fake (test/fake-upstream/faults.ts) at each point of
// a turn: at connect, before the first byte, mid-stream and at the terminal event. Every client the
// gateway serves must get a complete answer or a well-formed terminal error before its own timeout,
// another account may be tried only before the first byte, and the request log must say what
// happened. Store faults go through a wrapper around the real DynamoDB store; the last part kills the
// gateway process mid-stream and starts it again on the same data.
import { rmSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { KEY_STALE_MS } from "../src/core/keys/credentials.ts";
import { type Behavior, type FakeUpstream, startFakeUpstream } from "./fake-upstream/index.ts";
import { faultyStore } from "./helpers/faulty-store.ts";
import {
  readSse,
  scratchDir,
  TEXT_TURN_BODY,
  type TestGateway,
  useTestGateway,
  waitFor,
} from "./helpers/gateway.ts";
import {
  adminClient,
  type PoolerProcess,
  poolerEnv,
  SseReader,
  seedThroughAdmin,
  spawnPooler,
} from "./helpers/process.ts";
import { sseMessages } from "./helpers/sse.ts";

/** Every client request is bounded by this; the gateway's own limits below are far shorter. */
const CLIENT_TIMEOUT_MS = 10_000;
const GATEWAY_ENV = {
  POOLER_FIRST_EVENT_TIMEOUT_MS: "300",
  POOLER_STREAM_IDLE_TIMEOUT_MS: "1000",
  POOLER_UPSTREAM_HEADERS_TIMEOUT_MS: "500",
  // Keep-alives during a stall must not count as upstream data.
  POOLER_SSE_KEEPALIVE_MS: "200",
};

type Outcome =
  | { kind: "success" }
  | { kind: "error"; status: number; code: string }
  | { kind: "malformed"; detail: string };

const tryJson = (text: string): any => {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
};

/** The SSE events' data, parsed where it is JSON (`[DONE]` kept as the string). */
function sseData(text: string): unknown[] {
  return sseMessages(text)
    .map(({ data }) => (data === "[DONE]" ? data : tryJson(data)))
    .filter((data) => data !== undefined);
}

/** An OpenAI-shaped error body: `{"error":{message,type,code,param}}`. */
function openaiError(status: number, body: any): Outcome {
  const e = body?.error;
  const ok = e && typeof e.message === "string" && typeof e.type === "string" && "code" in e && "param" in e;
  return ok
    ? { kind: "error", status, code: String(e.code) }
    : { kind: "malformed", detail: `HTTP ${status} ${JSON.stringify(body)?.slice(0, 300)}` };
}

interface Client {
  name: string;
  route: string;
  run(gw: TestGateway, key: string, signal: AbortSignal): Promise<Outcome>;
}

const CHAT = { model: "gpt-5.5", messages: [{ role: "user", content: "Say hi" }] };
const RESPONSES = { model: "gpt-5.5", input: "Say hi" };

const CLIENTS: Client[] = [
  {
    name: "Codex SSE",
    route: "/backend-api/codex/responses",
    async run(gw, key, signal) {
      const response = await gw.post("/backend-api/codex/responses", key, TEXT_TURN_BODY, { signal });
      const text = await response.text();
      if (response.status !== 200) {
        // Relayed upstream errors keep the upstream's envelope; the gateway's own are OpenAI-shaped.
        const e = tryJson(text)?.error;
        return e && typeof e.message === "string"
          ? { kind: "error", status: response.status, code: String(e.code ?? e.type) }
          : { kind: "malformed", detail: `HTTP ${response.status} ${text.slice(0, 300)}` };
      }
      const last = sseData(text).at(-1) as any;
      if (last?.type === "response.completed") return { kind: "success" };
      const code = last?.response?.error?.code;
      if (last?.type === "response.failed" && typeof code === "string")
        return { kind: "error", status: 200, code };
      return { kind: "malformed", detail: `last event ${JSON.stringify(last)?.slice(0, 300)}` };
    },
  },
  {
    name: "/v1 chat stream",
    route: "/v1/chat/completions",
    async run(gw, key, signal) {
      const response = await gw.post("/v1/chat/completions", key, { ...CHAT, stream: true }, { signal });
      const text = await response.text();
      if (response.status !== 200) return openaiError(response.status, tryJson(text));
      const data = sseData(text);
      const last = data.at(-1) as any;
      if (last === "[DONE]") {
        const content = data
          .map((d: any) => d?.choices?.[0]?.delta?.content ?? "")
          .join("")
          .trim();
        return content ? { kind: "success" } : { kind: "malformed", detail: "[DONE] without content" };
      }
      // A failure after output: one error chunk and no [DONE].
      return last?.error ? openaiError(200, last) : { kind: "malformed", detail: text.slice(-300) };
    },
  },
  {
    name: "/v1 chat",
    route: "/v1/chat/completions",
    async run(gw, key, signal) {
      const response = await gw.post("/v1/chat/completions", key, CHAT, { signal });
      const body = tryJson(await response.text());
      if (response.status !== 200) return openaiError(response.status, body);
      return body?.object === "chat.completion" && typeof body.choices?.[0]?.message?.content === "string"
        ? { kind: "success" }
        : { kind: "malformed", detail: JSON.stringify(body)?.slice(0, 300) };
    },
  },
  {
    name: "/v1 responses",
    route: "/v1/responses",
    async run(gw, key, signal) {
      const response = await gw.post("/v1/responses", key, RESPONSES, { signal });
      const body = tryJson(await response.text());
      if (response.status !== 200) return openaiError(response.status, body);
      return body?.object === "response" && body.status === "completed"
        ? { kind: "success" }
        : { kind: "malformed", detail: JSON.stringify(body)?.slice(0, 300) };
    },
  },
  {
    name: "/v1 responses stream",
    route: "/v1/responses",
    async run(gw, key, signal) {
      const response = await gw.post("/v1/responses", key, { ...RESPONSES, stream: true }, { signal });
      const text = await response.text();
      if (response.status !== 200) return openaiError(response.status, tryJson(text));
      const last = sseData(text).at(-1) as any;
      if (last?.type === "response.completed") return { kind: "success" };
      if (last?.type === "error" && typeof last.code === "string")
        return { kind: "error", status: 200, code: last.code };
      if (last?.type === "response.failed" && typeof last.response?.error?.code === "string")
        return { kind: "error", status: 200, code: last.response.error.code };
      return { kind: "malformed", detail: text.slice(-300) };
    },
  },
];

/**
 * What must happen. `failover`: the fault comes before the first byte, so both accounts are tried and
 * the client gets an HTTP error with `status`; `committed`: output had started (or the first-event
 * window ran out), so only one account is tried and the turn ends in a terminal error; `success`:
 * the client gets the whole answer. `code` is what the request log records.
 */
type Expectation =
  | { kind: "failover"; status: number; code: string }
  | { kind: "committed"; code: string }
  | { kind: "success" };

interface FaultCase {
  phase: "at connect" | "before the first byte" | "mid-stream" | "at the terminal event";
  name: string;
  behavior: Behavior;
  expect: Expectation;
}

const FAULTS: FaultCase[] = [
  {
    phase: "at connect",
    name: "429 rate limit",
    behavior: { kind: "rate_limit_429" },
    expect: { kind: "failover", status: 429, code: "rate_limit_exceeded" },
  },
  {
    phase: "at connect",
    name: "429 usage limit",
    behavior: { kind: "usage_limit_429" },
    expect: { kind: "failover", status: 429, code: "usage_limit_reached" },
  },
  {
    phase: "at connect",
    name: "503 overloaded",
    behavior: { kind: "overloaded_503" },
    expect: { kind: "failover", status: 503, code: "server_is_overloaded" },
  },
  {
    phase: "at connect",
    name: "500 server error",
    behavior: { kind: "server_error_500" },
    expect: { kind: "failover", status: 500, code: "server_error" },
  },
  {
    phase: "at connect",
    name: "401 after a refresh too",
    behavior: { kind: "unauthorized_401" },
    expect: { kind: "failover", status: 502, code: "token_expired" },
  },
  {
    phase: "at connect",
    name: "connection reset",
    behavior: { kind: "reset_connection" },
    expect: { kind: "failover", status: 502, code: "upstream_unreachable" },
  },
  {
    phase: "at connect",
    name: "no response headers (stall)",
    behavior: { kind: "stall_before_headers" },
    expect: { kind: "failover", status: 502, code: "upstream_unreachable" },
  },
  {
    phase: "before the first byte",
    name: "reset after the headers",
    behavior: { kind: "reset_before_first_byte" },
    expect: { kind: "failover", status: 502, code: "stream_incomplete" },
  },
  {
    phase: "before the first byte",
    name: "truncated SSE before a decisive event",
    behavior: { kind: "truncated_sse", afterEvents: 1 },
    expect: { kind: "failover", status: 502, code: "stream_incomplete" },
  },
  {
    phase: "before the first byte",
    name: "retryable response.failed as the first event",
    behavior: { kind: "response_failed", code: "server_is_overloaded" },
    expect: { kind: "failover", status: 502, code: "server_is_overloaded" },
  },
  {
    phase: "before the first byte",
    name: "malformed first event",
    behavior: { kind: "malformed_event", at: "first" },
    expect: { kind: "success" },
  },
  {
    phase: "before the first byte",
    name: "stall after the headers (past the first-event window)",
    behavior: { kind: "stall_before_first_byte" },
    expect: { kind: "committed", code: "stream_idle_timeout" },
  },
  {
    phase: "mid-stream",
    name: "connection reset",
    behavior: { kind: "reset_mid_stream" },
    expect: { kind: "committed", code: "stream_interrupted" },
  },
  {
    phase: "mid-stream",
    name: "stall",
    behavior: { kind: "stall_mid_stream" },
    expect: { kind: "committed", code: "stream_idle_timeout" },
  },
  {
    phase: "mid-stream",
    name: "truncated SSE (cut inside an event)",
    behavior: { kind: "truncated_sse", afterEvents: 5 },
    expect: { kind: "committed", code: "stream_interrupted" },
  },
  {
    phase: "mid-stream",
    name: "clean end without a terminal event",
    behavior: { kind: "drop_mid_stream" },
    expect: { kind: "committed", code: "stream_interrupted" },
  },
  {
    phase: "mid-stream",
    name: "malformed event",
    behavior: { kind: "malformed_event", at: "mid" },
    expect: { kind: "success" },
  },
  {
    phase: "at the terminal event",
    name: "connection reset",
    behavior: { kind: "reset_at_terminal" },
    expect: { kind: "committed", code: "stream_interrupted" },
  },
  {
    phase: "at the terminal event",
    name: "stall",
    behavior: { kind: "stall_at_terminal" },
    expect: { kind: "committed", code: "stream_idle_timeout" },
  },
  {
    phase: "at the terminal event",
    name: "terminal event cut in half",
    behavior: { kind: "truncated_terminal" },
    expect: { kind: "committed", code: "stream_interrupted" },
  },
  {
    phase: "at the terminal event",
    name: "response.failed (server_error)",
    behavior: { kind: "failed_at_terminal", code: "server_error" },
    expect: { kind: "committed", code: "server_error" },
  },
];

describe("upstream faults: every client gets an answer or a well-formed terminal error", () => {
  const { gw } = useTestGateway({ env: GATEWAY_ENV });
  // (Runs before the fixture stops the gateway.)
  afterAll(() => gw.fake.releasePaused());

  /** One client against a fresh two-account Pool whose accounts both answer with the fault. */
  async function runCase(fault: FaultCase, client: Client) {
    const seeded = await gw.seed({ accounts: 2 });
    for (const account of seeded.accounts) gw.fake.setDefaultBehavior(account.accountId, fault.behavior);
    const signal = AbortSignal.timeout(CLIENT_TIMEOUT_MS);
    const outcome = await client.run(gw, seeded.key, signal).catch(
      (error: Error): Outcome => ({
        kind: "malformed",
        detail: signal.aborted ? `no answer within ${CLIENT_TIMEOUT_MS} ms` : `client error ${error.name}`,
      }),
    );
    const rows = await gw.requestLogs(seeded.keyId);
    const upstream = seeded.accounts.flatMap((a) => gw.fake.responsesFor(a.accountId));
    return { seeded, outcome, rows, upstream };
  }

  for (const fault of FAULTS) {
    it(`${fault.phase}: ${fault.name}`, async () => {
      const results = await Promise.all(CLIENTS.map((client) => runCase(fault, client)));
      for (const [i, { outcome, rows, upstream, seeded }] of results.entries()) {
        const client = CLIENTS[i]!;
        const what = `${client.name}: ${JSON.stringify(outcome)}`;
        const accountsTried = new Set(upstream.map((r) => r.accountId));
        // One row per request, on the client's route, never a client that left.
        expect(rows, what).toHaveLength(1);
        const row = rows[0];
        expect(row.route, what).toBe(client.route);
        expect(row.status, what).not.toBe(499);
        if (fault.expect.kind === "success") {
          expect(outcome, what).toEqual({ kind: "success" });
          expect(upstream, what).toHaveLength(1);
          expect(row, what).toMatchObject({ status: 200, attempts: 1 });
          expect(row.errorCode ?? undefined, what).toBeUndefined();
        } else if (fault.expect.kind === "failover") {
          expect(outcome, what).toMatchObject({ kind: "error", status: fault.expect.status });
          // Both accounts were tried: the fault came before anything reached the client.
          expect([...accountsTried].sort(), what).toEqual(seeded.accounts.map((a) => a.accountId).sort());
          expect(row, what).toMatchObject({
            status: fault.expect.status,
            attempts: 2,
            errorCode: fault.expect.code,
          });
        } else {
          expect(outcome.kind, what).toBe("error");
          // Output had started (or the first-event window ran out): no other account is tried.
          expect(upstream, what).toHaveLength(1);
          expect(row, what).toMatchObject({ status: 200, attempts: 1, errorCode: fault.expect.code });
        }
      }
    });
  }

  it("a Codex client sees the partial output, then one well-formed response.failed", async () => {
    const seeded = await gw.seed({ accounts: 2 });
    for (const account of seeded.accounts) {
      gw.fake.setDefaultBehavior(account.accountId, { kind: "truncated_sse", afterEvents: 5 });
    }
    const response = await gw.post("/backend-api/codex/responses", seeded.key, TEXT_TURN_BODY, {
      signal: AbortSignal.timeout(CLIENT_TIMEOUT_MS),
    });
    const text = await response.text();
    // The half event is closed off, so the failure that follows parses on its own.
    const blocks = text.split("\n\n").filter((b) => b.trim() !== "");
    const last = blocks.at(-1) as string;
    expect(last.startsWith("event: response.failed\n")).toBe(true);
    expect(tryJson(last.split("\n")[1]!.slice(5))?.response?.error?.code).toBe("stream_interrupted");
    expect(text).toContain('"delta":"Hello"');
  });
});

describe("store faults: auth fails closed, cached routing keeps serving, nothing corrupts", () => {
  const store = faultyStore();
  let now = Date.now();
  const clock = { now: () => now };
  const { gw, seeded } = useTestGateway({
    env: GATEWAY_ENV,
    clock,
    wrapStore: (s) => store.wrap(s),
    seed: { accounts: 2 },
  });
  // (Runs before the fixture stops the gateway.)
  afterAll(() => store.clear());

  const turn = (key = seeded.key) =>
    gw.post("/backend-api/codex/responses", key, TEXT_TURN_BODY, {
      signal: AbortSignal.timeout(CLIENT_TIMEOUT_MS),
    });
  const reads = (call: string) =>
    /^(credentials|pools|accounts|routing|pins)\.(get|list|listByPool|load)$/.test(call);

  it("refuses a key it cannot verify with a 5xx, and never calls the upstream", async () => {
    const other = await gw.seed({ accounts: 1 });
    const before = gw.fake.responsesFor(other.accounts[0]!.accountId).length;
    for (const fault of ["throttle", "timeout"] as const) {
      store.inject((call) => call === "credentials.get", fault);
      const refused = await turn(other.key);
      store.clear();
      expect([500, 503]).toContain(refused.status);
      const body = await refused.json();
      expect(body.error).toMatchObject({ type: "server_error" });
      expect(typeof body.error.message).toBe("string");
      expect(JSON.stringify(body)).not.toContain(other.key);
    }
    expect(gw.fake.responsesFor(other.accounts[0]!.accountId)).toHaveLength(before);
    expect(store.failed.filter((c) => c === "credentials.get").length).toBeGreaterThanOrEqual(2);
    // Once the store answers again, the same key works.
    const ok = await turn(other.key);
    expect(ok.status).toBe(200);
    expect((await readSse(ok)).at(-1)?.type).toBe("response.completed");
  });

  it("keeps serving a verified key from its caches while every store read and write is throttled", async () => {
    const warm = await turn();
    expect((await readSse(warm)).at(-1)?.type).toBe("response.completed");
    // The warm turn's own background writes land first.
    await waitFor(async () => {
      const { body } = await gw.admin("GET", `/request-logs?key=${seeded.keyId}&limit=10`);
      return body.data.length === 1 || undefined;
    });
    store.failed.length = 0;
    store.inject(() => true, "throttle");
    try {
      const during = await turn();
      expect(during.status).toBe(200);
      expect((await readSse(during)).at(-1)?.type).toBe("response.completed");
    } finally {
      store.clear();
    }
    expect(store.failed.some((call) => call === "requestLogs.append")).toBe(true);
    expect(store.failed.filter(reads)).toEqual([]);
    await waitFor(() => gw.logLines.some((line) => line.includes("request log write failed")) || undefined);
  });

  it("serves from the last routing state when refreshing it fails, but not an unverifiable key", async () => {
    store.inject((call) => /^(routing\.load|accounts\.listByPool)$/.test(call), "throttle");
    try {
      // Past the routing caches' lifetime (2 s), within the key cache's (5 s).
      now += 3_000;
      const stale = await turn();
      expect(stale.status).toBe(200);
      expect((await readSse(stale)).at(-1)?.type).toBe("response.completed");
      expect(store.failed.some((call) => call === "routing.load" || call === "accounts.listByPool")).toBe(
        true,
      );
      // Past the key's stale bound too (served at most 30 s after its last successful read), with
      // key reads failing: closed.
      store.inject((call) => call === "credentials.get", "timeout");
      now += KEY_STALE_MS;
      const refused = await turn();
      expect([500, 503]).toContain(refused.status);
      await refused.text();
    } finally {
      store.clear();
    }
  });

  it("reads back whole, consistent state once the store recovers", async () => {
    now += 10_000;
    const ok = await turn();
    expect((await readSse(ok)).at(-1)?.type).toBe("response.completed");
    const keys = await gw.admin("GET", `/keys?pool=${seeded.pool}`);
    expect(keys.status).toBe(200);
    expect(keys.body.data.map((k: { id: string }) => k.id)).toContain(seeded.keyId);
    const accounts = await gw.admin("GET", `/accounts?pool=${seeded.pool}`);
    expect(accounts.status).toBe(200);
    expect(accounts.body.data).toHaveLength(2);
    const logs = await gw.requestLogs(seeded.keyId, 3);
    for (const row of logs) expect(row).toMatchObject({ keyId: seeded.keyId, pool: seeded.pool });
  });
});

describe("SIGKILL during streaming, then a restart on the same data", () => {
  let fake: FakeUpstream;
  let dataDir: string;
  let proc: PoolerProcess | undefined;

  beforeAll(async () => {
    fake = await startFakeUpstream();
    dataDir = scratchDir("sigkill");
  });
  afterAll(async () => {
    proc?.kill();
    fake?.releasePaused();
    await fake?.close();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it("keeps every record readable and the same key working", async () => {
    proc = spawnPooler(poolerEnv(fake, dataDir));
    const url = await proc.listening();
    const adminToken = proc.bootstrapToken() as string;
    const admin = adminClient(url, adminToken);
    const seeded = await seedThroughAdmin(admin, fake, "killed", 2);
    const turn = (signal?: AbortSignal) =>
      fetch(`${url}/backend-api/codex/responses`, {
        method: "POST",
        headers: { authorization: `Bearer ${seeded.key}`, "content-type": "application/json" },
        body: JSON.stringify(TEXT_TURN_BODY),
        signal,
      });
    // Finished turns (their log rows are written in the background), then streams held open mid-way.
    for (let i = 0; i < 5; i++) expect((await readSse(await turn())).at(-1)?.type).toBe("response.completed");
    await waitFor(async () => {
      const { body } = await admin("GET", "/request-logs?limit=50");
      return body.data.length >= 5 || undefined;
    });
    for (const a of seeded.accounts)
      fake.setDefaultBehavior(a.accountId, { kind: "text", pauseAfterEvent: 4 });
    const open = await Promise.all(
      Array.from({ length: 4 }, async () => {
        const reader = new SseReader(await turn());
        await reader.until(1);
        return reader;
      }),
    );
    // Writes in flight too: a key created as the process dies may or may not land, but never half.
    const racing = admin("POST", "/keys", { pool: seeded.pool, label: "racing" }).catch(() => undefined);
    proc.child.kill("SIGKILL");
    expect((await proc.waitForExit()).signal).toBe("SIGKILL");
    await racing;
    for (const reader of open) {
      await reader.rest().catch(() => undefined);
      await reader.cancel();
    }
    fake.releasePaused();
    for (const a of seeded.accounts) fake.setDefaultBehavior(a.accountId, { kind: "text" });

    proc = spawnPooler(poolerEnv(fake, dataDir));
    const url2 = await proc.listening();
    expect(proc.bootstrapToken()).toBeUndefined();
    const admin2 = adminClient(url2, adminToken);
    for (const path of [
      "/pools",
      `/accounts?pool=${seeded.pool}`,
      `/keys?pool=${seeded.pool}`,
      "/request-logs?limit=200",
      "/audit-events?limit=200",
    ]) {
      const read = await admin2("GET", path);
      expect(read.status, path).toBe(200);
      expect(Array.isArray(read.body.data), path).toBe(true);
    }
    const pools = await admin2("GET", "/pools");
    expect(pools.body.data.map((p: { name: string }) => p.name)).toContain(seeded.pool);
    const accounts = await admin2("GET", `/accounts?pool=${seeded.pool}`);
    expect(accounts.body.data.map((a: { id: string }) => a.id).sort()).toEqual(
      seeded.accounts.map((a) => a.id).sort(),
    );
    const keys = await admin2("GET", `/keys?pool=${seeded.pool}`);
    for (const key of keys.body.data) expect(key).toMatchObject({ pool: seeded.pool, status: "active" });
    const logs = await admin2("GET", "/request-logs?limit=200");
    expect(logs.body.data.length).toBeGreaterThanOrEqual(5);
    for (const row of logs.body.data) expect(row).toMatchObject({ pool: seeded.pool, keyId: seeded.keyId });

    // The same key, the same accounts (tokens from the encrypted store), after the restart.
    const after = await fetch(`${url2}/backend-api/codex/responses`, {
      method: "POST",
      headers: { authorization: `Bearer ${seeded.key}`, "content-type": "application/json" },
      body: JSON.stringify(TEXT_TURN_BODY),
    });
    expect(after.status).toBe(200);
    expect((await readSse(after)).at(-1)?.type).toBe("response.completed");
    proc.child.kill("SIGTERM");
    expect((await proc.waitForExit()).code).toBe(0);
  });
});
