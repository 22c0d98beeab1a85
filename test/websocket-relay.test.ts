// The local host's Responses WebSocket relay through a `ws` client (as an SDK would use it): the
// handshake answers, pinned upstream sockets, continuity recovery, failover, revocation and logs.
import { request as httpRequest, type IncomingHttpHeaders } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { type Seeded, startTestGateway, type TestGateway, waitFor } from "./helpers/gateway.ts";

let gw: TestGateway;

beforeAll(async () => {
  gw = await startTestGateway();
});
afterAll(async () => {
  await gw?.stop();
});

type Event = Record<string, any>;

/** A connected client that collects every frame and the close. */
class Client {
  readonly events: Event[] = [];
  readonly upgradeHeaders: IncomingHttpHeaders;
  closed?: { code: number; reason: string };
  #waiters: (() => void)[] = [];

  private constructor(
    readonly ws: WebSocket,
    headers: IncomingHttpHeaders,
  ) {
    this.upgradeHeaders = headers;
    ws.on("message", (data) => {
      this.events.push(JSON.parse(data.toString()));
      this.#wake();
    });
    ws.on("close", (code, reason) => {
      this.closed = { code, reason: reason.toString() };
      this.#wake();
    });
  }

  static open(path: string, key: string, headers: Record<string, string> = {}): Promise<Client> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(`${gw.url.replace("http", "ws")}${path}`, {
        headers: { authorization: `Bearer ${key}`, ...headers },
      });
      let upgrade: IncomingHttpHeaders = {};
      ws.once("upgrade", (res) => {
        upgrade = res.headers;
      });
      ws.once("open", () => resolve(new Client(ws, upgrade)));
      ws.once("unexpected-response", (_req, res) => reject(new Error(`upgrade answered ${res.statusCode}`)));
      ws.once("error", reject);
    });
  }

  #wake() {
    for (const waiter of this.#waiters.splice(0)) waiter();
  }

  /** Waits until an event matches (searching from `from`), or the socket closes. */
  async next(predicate: (e: Event) => boolean, from = 0): Promise<Event> {
    for (;;) {
      const found = this.events.slice(from).find(predicate);
      if (found) return found;
      if (this.closed) throw new Error(`closed ${this.closed.code} ${this.closed.reason}`);
      await new Promise<void>((resolve) => this.#waiters.push(resolve));
    }
  }

  /** Sends a response.create and waits for its terminal event. */
  async turn(body: Record<string, unknown>): Promise<{ events: Event[]; terminal: Event }> {
    const from = this.events.length;
    this.ws.send(JSON.stringify({ type: "response.create", model: "gpt-5.5", ...body }));
    const terminal = await this.next(
      (e) => ["response.completed", "response.failed", "response.incomplete", "error"].includes(e.type),
      from,
    );
    return { events: this.events.slice(from), terminal };
  }

  async closedWith(): Promise<{ code: number; reason: string }> {
    while (!this.closed) await new Promise<void>((resolve) => this.#waiters.push(resolve));
    return this.closed;
  }

  close() {
    this.ws.close();
  }
}

const userInput = (text: string) => [
  { type: "message", role: "user", content: [{ type: "input_text", text }] },
];

/** A raw upgrade request, to see exactly what the server answers (status, headers, body). */
function rawUpgrade(
  path: string,
  headers: Record<string, string>,
): Promise<{ status: number; headers: IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(`${gw.url}${path}`, {
      headers: {
        connection: "Upgrade",
        upgrade: "websocket",
        "sec-websocket-version": "13",
        "sec-websocket-key": "dGhlIHNhbXBsZSBub25jZQ==",
        ...headers,
      },
    });
    req.on("response", (res) => {
      let body = "";
      res.on("data", (chunk) => {
        body += chunk;
      });
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on("upgrade", (res, socket) => {
      socket.destroy();
      resolve({ status: res.statusCode ?? 101, headers: res.headers, body: "" });
    });
    req.on("error", reject);
    req.end();
  });
}

const logsOf = async (seeded: Seeded) =>
  (await gw.admin("GET", `/request-logs?key=${seeded.keyId}`)).body.data as Record<string, any>[];

describe("handshake", () => {
  let seeded: Seeded;
  beforeAll(async () => {
    seeded = await gw.seed({ accounts: 1 });
  });

  it("answers 401 JSON without sec-websocket-accept when the Pool key is missing or wrong", async () => {
    const missing = await rawUpgrade("/backend-api/codex/responses", {});
    expect(missing.status).toBe(401);
    expect(missing.headers["sec-websocket-accept"]).toBeUndefined();
    expect(JSON.parse(missing.body)).toMatchObject({ error: { code: "api_key_missing" } });

    const wrong = await rawUpgrade("/v1/responses", { authorization: "Bearer sk-cxp-000000000000-nope" });
    expect(wrong.status).toBe(401);
    expect(wrong.headers["sec-websocket-accept"]).toBeUndefined();
    expect(JSON.parse(wrong.body)).toMatchObject({ error: { code: "invalid_api_key" } });
    expect(
      gw.fake.websocketSessions.filter((s) => s.accountId === seeded.accounts[0]!.accountId),
    ).toHaveLength(0);
  });

  it("answers 400 websocket_upgrade_required to a GET without an upgrade", async () => {
    const response = await fetch(`${gw.url}/backend-api/codex/responses`, {
      headers: { authorization: `Bearer ${seeded.key}` },
    });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ error: { code: "websocket_upgrade_required" } });
  });

  it("accepts with permessage-deflate and passes the upstream's turn state back", async () => {
    const accepted = await rawUpgrade("/backend-api/codex/responses", {
      authorization: `Bearer ${seeded.key}`,
      "sec-websocket-extensions": "permessage-deflate; client_max_window_bits",
      "x-codex-turn-state": "ts_client_1",
    });
    expect(accepted.status).toBe(101);
    expect(accepted.headers["sec-websocket-accept"]).toBe("s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
    expect(accepted.headers["sec-websocket-extensions"]).toContain("permessage-deflate");
    // The fake echoes the turn state it receives, so this one went upstream and came back.
    expect(accepted.headers["x-codex-turn-state"]).toBe("ts_client_1");
    const upstream = await waitFor(() =>
      gw.fake.websocketSessions.find((s) => s.headers["x-codex-turn-state"] === "ts_client_1"),
    );
    expect(upstream.headers["openai-beta"]).toBe("responses_websockets=2026-02-06");
    expect(upstream.headers["sec-websocket-extensions"]).toContain("permessage-deflate");
  });

  it("ensures the beta token upstream and drops responses=experimental", async () => {
    const client = await Client.open("/backend-api/codex/responses", seeded.key, {
      "openai-beta": "responses=experimental, other=1",
      "session-id": "beta-check",
    });
    client.close();
    const upstream = await waitFor(() =>
      gw.fake.websocketSessions.find((s) => s.headers["session-id"] === "beta-check"),
    );
    expect(upstream.headers["openai-beta"]).toBe("other=1, responses_websockets=2026-02-06");
  });

  it("hands other upgrade requests to the HTTP app", async () => {
    const other = await rawUpgrade("/v1/realtime", { authorization: `Bearer ${seeded.key}` });
    expect(other.status).toBe(404);
    expect(other.headers["sec-websocket-accept"]).toBeUndefined();
    const health = await rawUpgrade("/healthz", {});
    expect(health.status).toBe(200);
  });

  it("refreshes the account token once when the upstream refuses the upgrade with 401", async () => {
    const pool = await gw.seed({ accounts: 1 });
    const account = pool.accounts[0]!;
    gw.fake.expireAccessToken(account.accountId);
    const client = await Client.open("/backend-api/codex/responses", pool.key);
    const { terminal } = await client.turn({ input: userInput("hi") });
    expect(terminal.type).toBe("response.completed");
    expect(gw.fake.refreshCount(account.accountId)).toBe(1);
    client.close();
  });
});

describe("turns", () => {
  it("serves an SDK-style client on GET /v1/responses: a turn, then a continuation", async () => {
    const seeded = await gw.seed({ accounts: 1 });
    const client = await Client.open("/v1/responses", seeded.key);
    expect(client.ws.extensions).toContain("permessage-deflate");
    const canary = `canary-${seeded.pool}-prompt`;
    const first = await client.turn({ input: `Say hi ${canary}` });
    expect(first.terminal.type).toBe("response.completed");
    const text = first.events.filter((e) => e.type === "response.output_text.delta").map((e) => e.delta);
    expect(text.join("")).toBe("Hello from fake upstream.");
    const second = await client.turn({
      previous_response_id: first.terminal.response.id,
      input: userInput("more"),
    });
    expect(second.terminal.type).toBe("response.completed");
    // Both turns went over the one upstream socket, the second with only its new input.
    const sessions = gw.fake.websocketSessions.filter((s) => s.accountId === seeded.accounts[0]!.accountId);
    expect(sessions).toHaveLength(1);
    expect(sessions[0]!.requests[1]).toMatchObject({ previous_response_id: first.terminal.response.id });
    client.close();

    const rows = await waitFor(async () => {
      const logs = await logsOf(seeded);
      return logs.length >= 2 ? logs : undefined;
    });
    expect(rows).toHaveLength(2);
    for (const row of rows) {
      expect(row).toMatchObject({
        transport: "websocket",
        route: "/v1/responses",
        method: "GET",
        model: "gpt-5.5",
        status: 200,
        attempts: 1,
        usage: { inputTokens: 120, outputTokens: 9 },
      });
      expect(row.ttfbMs).toEqual(expect.any(Number));
    }
    // Metadata only: the prompt is in no log row and no log line.
    expect(JSON.stringify(rows)).not.toContain(canary);
    expect(gw.logLines.join("\n")).not.toContain(canary);
  });

  it("serves pipelined turns one after another, in order", async () => {
    const seeded = await gw.seed({ accounts: 1 });
    const client = await Client.open("/v1/responses", seeded.key);
    for (const text of ["one", "two"]) {
      client.ws.send(JSON.stringify({ type: "response.create", model: "gpt-5.5", input: userInput(text) }));
    }
    await client.next(
      (e) =>
        e.type === "response.completed" &&
        client.events.filter((x) => x.type === "response.completed").length === 2,
    );
    const completed = client.events.filter((e) => e.type === "response.completed");
    // Each turn's events are contiguous: the second turn started after the first completed.
    const created = client.events.filter((e) => e.type === "response.created").map((e) => e.response.id);
    expect(completed.map((e) => e.response.id)).toEqual(created);
    const firstDone = client.events.indexOf(completed[0]!);
    const secondCreated = client.events.findIndex(
      (e) => e.type === "response.created" && e.response.id === created[1],
    );
    expect(secondCreated).toBeGreaterThan(firstDone);
    const session = gw.fake.websocketSessions.find((s) => s.accountId === seeded.accounts[0]!.accountId)!;
    expect(session.requests.map((r) => JSON.stringify(r.input))).toEqual([
      JSON.stringify(userInput("one")),
      JSON.stringify(userInput("two")),
    ]);
    client.close();
  });

  it("serves 30 turns on one connection without piling up listeners on any socket", async () => {
    const seeded = await gw.seed({ accounts: 1 });
    const warnings: Error[] = [];
    const onWarning = (warning: Error) => warnings.push(warning);
    process.on("warning", onWarning);
    try {
      const client = await Client.open("/v1/responses", seeded.key);
      const closeListeners = client.ws.listenerCount("close");
      let previous: string | undefined;
      for (let i = 0; i < 30; i++) {
        // Every fifth turn is refused by the gateway itself (an error frame), the rest are served.
        const refused = i % 5 === 4;
        const { terminal } = await client.turn({
          ...(refused ? { model: "not a model" } : {}),
          ...(previous ? { previous_response_id: previous } : {}),
          input: userInput(`turn ${i}`),
        });
        if (refused) {
          expect(terminal).toMatchObject({ type: "error", status_code: 400, error: { param: "model" } });
        } else {
          expect(terminal.type).toBe("response.completed");
          previous = terminal.response.id;
        }
      }
      expect(client.ws.listenerCount("close")).toBe(closeListeners);
      // Still one upstream socket: every served turn went over it.
      const sessions = gw.fake.websocketSessions.filter((s) => s.accountId === seeded.accounts[0]!.accountId);
      expect(sessions).toHaveLength(1);
      expect(sessions[0]!.requests).toHaveLength(24);
      client.close();
      await client.closedWith();
      // The gateway's sockets (client side and upstream side) live in this process too.
      await new Promise((resolve) => setImmediate(resolve));
      expect(warnings.filter((w) => w.name === "MaxListenersExceededWarning")).toEqual([]);
    } finally {
      process.off("warning", onWarning);
    }
  });

  it("answers ping with pong", async () => {
    const seeded = await gw.seed({ accounts: 1 });
    const client = await Client.open("/v1/responses", seeded.key);
    const pong = new Promise<string>((resolve) => client.ws.once("pong", (data) => resolve(data.toString())));
    client.ws.ping("are-you-there");
    expect(await pong).toBe("are-you-there");
    client.close();
  });

  it("answers a continuation with previous_response_not_found after the upstream socket died, then serves the full resend", async () => {
    const seeded = await gw.seed({ accounts: 1 });
    const account = seeded.accounts[0]!;
    const client = await Client.open("/backend-api/codex/responses", seeded.key);
    const first = await client.turn({ input: userInput("hi") });
    expect(first.terminal.type).toBe("response.completed");
    expect(gw.fake.dropWebSockets(account.accountId)).toBe(1);
    await waitFor(() => gw.fake.websocketSessions.every((s) => !s.open));

    const continuation = await client.turn({
      previous_response_id: first.terminal.response.id,
      input: userInput("more"),
    });
    expect(continuation.terminal).toMatchObject({
      type: "error",
      status_code: 400,
      error: { code: "previous_response_not_found", param: "previous_response_id" },
    });
    expect(client.closed).toBeUndefined();

    const resend = await client.turn({ input: [...userInput("hi"), ...userInput("more")] });
    expect(resend.terminal.type).toBe("response.completed");
    const sessions = gw.fake.websocketSessions.filter((s) => s.accountId === account.accountId);
    expect(sessions).toHaveLength(2);
    expect(sessions[1]!.requests).toHaveLength(1);
    expect(sessions[1]!.requests[0]!.previous_response_id).toBeUndefined();
    client.close();
  });

  it("closes with 1011 when the upstream drops in the middle of a turn", async () => {
    const seeded = await gw.seed({ accounts: 1 });
    gw.fake.enqueue(seeded.accounts[0]!.accountId, { kind: "drop_mid_stream" });
    const client = await Client.open("/backend-api/codex/responses", seeded.key);
    client.ws.send(JSON.stringify({ type: "response.create", model: "gpt-5.5", input: userInput("hi") }));
    const closed = await client.closedWith();
    expect(closed.code).toBe(1011);
    // The deltas that were already relayed, and no invented terminal event.
    expect(client.events.some((e) => e.type === "response.output_text.delta")).toBe(true);
    expect(client.events.some((e) => e.type === "response.completed")).toBe(false);
    const row = await waitFor(async () => (await logsOf(seeded))[0]);
    expect(row).toMatchObject({ status: 502, errorCode: "stream_interrupted", transport: "websocket" });
  });

  it("moves a fresh socket's first turn to another account when the upstream closes before any event", async () => {
    const seeded = await gw.seed({ accounts: 2 });
    const session = { "session-id": `failover-${seeded.pool}` };
    // A served turn pins the session to its account, so the next connection tries that one first.
    const first = await Client.open("/backend-api/codex/responses", seeded.key, session);
    expect((await first.turn({ input: userInput("hi") })).terminal.type).toBe("response.completed");
    first.close();
    const pinned = gw.fake.websocketSessions.find((s) => s.headers["session-id"] === session["session-id"])!;
    gw.fake.enqueue(pinned.accountId, { kind: "reset_connection" });

    const client = await Client.open("/backend-api/codex/responses", seeded.key, session);
    const { terminal } = await client.turn({ input: userInput("hi") });
    expect(terminal.type).toBe("response.completed");
    const other = seeded.accounts.find((a) => a.accountId !== pinned.accountId)!;
    const served = gw.fake.websocketSessions.filter((s) => s.accountId === other.accountId);
    expect(served.flatMap((s) => s.requests)).toHaveLength(1);
    client.close();
    const row = await waitFor(async () => (await logsOf(seeded)).find((r) => r.attempts === 2));
    expect(row).toMatchObject({ status: 200, transport: "websocket" });
  });

  it("tries every account before the first event, then answers the usage limit as a wrapped 429", async () => {
    const seeded = await gw.seed({ accounts: 2 });
    for (const account of seeded.accounts)
      gw.fake.setDefaultBehavior(account.accountId, { kind: "usage_limit_429" });
    const client = await Client.open("/backend-api/codex/responses", seeded.key);
    const { events, terminal } = await client.turn({ generate: false, input: [] });
    expect(events).toHaveLength(1);
    expect(terminal).toMatchObject({
      type: "error",
      status_code: 429,
      error: { type: "usage_limit_reached", code: "usage_limit_reached", resets_at: expect.any(Number) },
      headers: { "retry-after": expect.any(String) },
    });
    for (const account of seeded.accounts) {
      const sessions = gw.fake.websocketSessions.filter((s) => s.accountId === account.accountId);
      expect(sessions.reduce((n, s) => n + s.requests.length, 0)).toBe(1);
    }
    const row = await waitFor(async () => (await logsOf(seeded))[0]);
    expect(row).toMatchObject({ status: 429, errorCode: "usage_limit_reached", attempts: 2 });
    client.close();
  });

  it("refuses a turn the key's policy forbids with a wrapped error and keeps the socket", async () => {
    const seeded = await gw.seed({ accounts: 1 });
    const policy = await gw.admin("PATCH", `/keys/${seeded.keyId}`, {
      policy: { allowedModels: ["gpt-5.4"] },
    });
    expect(policy.status).toBe(200);
    const client = await Client.open("/backend-api/codex/responses", seeded.key);
    const denied = await client.turn({ input: userInput("hi") });
    expect(denied.terminal).toMatchObject({
      type: "error",
      status_code: 403,
      error: { code: "model_not_allowed" },
    });
    const allowed = await client.turn({ model: "gpt-5.4", input: userInput("hi") });
    expect(allowed.terminal.type).toBe("response.completed");
    client.close();
  });
});

describe("key lifecycle", () => {
  it("closes the key's open sockets with 1008 when the key is revoked", async () => {
    const seeded = await gw.seed({ accounts: 1 });
    const client = await Client.open("/backend-api/codex/responses", seeded.key);
    const other = await gw.seed({ accounts: 1 });
    const bystander = await Client.open("/backend-api/codex/responses", other.key);
    expect((await client.turn({ input: userInput("hi") })).terminal.type).toBe("response.completed");
    const revoked = await gw.admin("POST", `/keys/${seeded.keyId}/revoke`);
    expect(revoked.status).toBe(200);
    const closed = await client.closedWith();
    expect(closed.code).toBe(1008);
    expect(closed.reason).toContain("revoked");
    // Another key's socket stays open and keeps working.
    expect((await bystander.turn({ input: userInput("hi") })).terminal.type).toBe("response.completed");
    bystander.close();
    // The upstream socket went with it.
    await waitFor(() =>
      gw.fake.websocketSessions
        .filter((s) => s.accountId === seeded.accounts[0]!.accountId)
        .every((s) => !s.open),
    );
  });

  it("closes with 1008 when the key is rotated: the old secret no longer holds the socket", async () => {
    const seeded = await gw.seed({ accounts: 1 });
    const client = await Client.open("/backend-api/codex/responses", seeded.key);
    const rotated = await gw.admin("POST", `/keys/${seeded.keyId}/rotate`);
    expect(rotated.status).toBe(200);
    const closed = await client.closedWith();
    expect(closed.code).toBe(1008);
    expect(closed.reason).toContain("rotated");
    const renewed = await Client.open("/backend-api/codex/responses", rotated.body.secret);
    expect((await renewed.turn({ input: userInput("hi") })).terminal.type).toBe("response.completed");
    renewed.close();
  });

  it("closes with 1008 when the key is paused, and refuses new upgrades until it is resumed", async () => {
    const seeded = await gw.seed({ accounts: 1 });
    const client = await Client.open("/backend-api/codex/responses", seeded.key);
    expect((await gw.admin("POST", `/keys/${seeded.keyId}/pause`)).status).toBe(200);
    expect((await client.closedWith()).code).toBe(1008);
    const refused = await rawUpgrade("/backend-api/codex/responses", {
      authorization: `Bearer ${seeded.key}`,
    });
    expect(refused.status).toBe(401);
    expect(JSON.parse(refused.body)).toMatchObject({ error: { code: "api_key_disabled" } });
  });
});

describe("shutdown", () => {
  it("closes open connections with 1001 on shutdown", async () => {
    const local = await startTestGateway();
    const seeded = await local.seed({ accounts: 1 });
    const ws = new WebSocket(`${local.url.replace("http", "ws")}/backend-api/codex/responses`, {
      headers: { authorization: `Bearer ${seeded.key}` },
    });
    await new Promise((resolve, reject) => {
      ws.once("open", resolve);
      ws.once("error", reject);
    });
    const closed = new Promise<number>((resolve) => ws.once("close", (code) => resolve(code)));
    await local.stop();
    expect(await closed).toBe(1001);
  });
});

describe("idle timeout", () => {
  it("closes a connection that stays silent past the idle timeout", async () => {
    const idle = await startTestGateway({ POOLER_WS_IDLE_TIMEOUT_MS: "1000" });
    try {
      const seeded = await idle.seed({ accounts: 1 });
      const ws = new WebSocket(`${idle.url.replace("http", "ws")}/backend-api/codex/responses`, {
        headers: { authorization: `Bearer ${seeded.key}` },
      });
      const closed = await new Promise<{ code: number; reason: string }>((resolve, reject) => {
        ws.once("close", (code, reason) => resolve({ code, reason: reason.toString() }));
        ws.once("error", reject);
      });
      expect(closed.code).toBe(1000);
      expect(closed.reason).toContain("idle");
    } finally {
      await idle.stop();
    }
  });
});
