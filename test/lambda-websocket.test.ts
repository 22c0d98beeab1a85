// The WebSocket API entries (lambdas/websocket.ts routes, lambdas/websocket-worker.ts turns) as API
// Gateway runs them, through the API Gateway WebSocket emulator (test/helpers/api-gateway-websocket.ts):
// $connect's answers, warm-ups and continuations answered without an upstream call, turns posted
// back event by event, the frame and message limits, disconnects, key revocation, the grants.
import { DynamoDBDocumentClient, GetCommand } from "@aws-sdk/lib-dynamodb";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { startApiGatewayEmulator } from "./helpers/api-gateway-websocket.ts";
import {
  type AwsWebSocketStack,
  isConnected,
  SmallFrameClient,
  startAwsWebSocketStack,
} from "./helpers/aws-websocket.ts";
import { waitFor } from "./helpers/gateway.ts";

let stack: AwsWebSocketStack;
let seeded: Awaited<ReturnType<AwsWebSocketStack["seed"]>>;

const CODEX_HEADERS = {
  originator: "codex_exec",
  "user-agent": "codex_exec/0.169.0 (Debian 12.0.0; x86_64) xterm (codex_exec; 0.169.0)",
  "openai-beta": "responses_websockets=2026-02-06",
};
const USER_INPUT = [{ type: "message", role: "user", content: [{ type: "input_text", text: "Say hi" }] }];

async function connect(headers: Record<string, string> = {}, key = seeded.key): Promise<SmallFrameClient> {
  const client = await SmallFrameClient.connect(stack.emulator.url, {
    authorization: `Bearer ${key}`,
    ...headers,
  });
  if (!isConnected(client)) throw new Error(`upgrade answered ${client.status}`);
  return client;
}

/** The connection item DynamoDB holds for the most recent connection. */
async function connectionItem(connectionId = latestConnectionId()) {
  const { Item } = await DynamoDBDocumentClient.from(stack.env.client).send(
    new GetCommand({
      TableName: stack.env.tables.state,
      Key: { pk: `WSCONN#${connectionId}`, sk: "C" },
      ConsistentRead: true,
    }),
  );
  return Item;
}

const latestConnectionId = () => [...stack.emulator.connections.keys()].at(-1)!;
const upstreamPosts = () => seeded.accountIds.flatMap((id) => stack.fake.responsesFor(id));
const logs = async () =>
  (await stack.admin("GET", `/request-logs?key=${seeded.keyId}&limit=100`)).body.data as Record<
    string,
    any
  >[];

beforeAll(async () => {
  stack = await startAwsWebSocketStack();
});
beforeEach(async () => {
  stack.routes.handler = stack.routes.deployed;
  Object.assign(stack.emulator.limits, { idleTimeoutMs: 10 * 60_000, integrationTimeoutMs: 29_000 });
  seeded = await stack.seed();
});
afterAll(async () => {
  await stack?.stop();
});

describe("$connect", () => {
  it.each([
    ["no key", {}],
    ["a wrong key", { authorization: "Bearer sk-cxp-000000000000-wrong" }],
  ])("answers an upgrade with %s 401 and registers nothing", async (_name, headers) => {
    const before = stack.emulator.upgrades.length;
    const answer = await SmallFrameClient.connect(stack.emulator.url, headers);
    expect(answer).toEqual({ status: 401 });
    expect(stack.emulator.upgrades.slice(before).map((u) => u.status)).toEqual([401]);
    expect(stack.emulator.connections.size).toBe(0);
  });

  it("answers a client outside the runtime firewall 403 before its key is checked", async () => {
    const set = (allow: string[]) => stack.admin("PATCH", "/settings", { firewall: { allow } });
    expect((await set(["10.0.0.0/8"])).status).toBe(200);
    try {
      // The function's settings cache takes up to 5 s to see a change made through the admin function.
      const denied = await waitFor(async () => {
        const answer = await SmallFrameClient.connect(stack.emulator.url, {
          authorization: `Bearer ${seeded.key}`,
        });
        if (isConnected(answer)) answer.close();
        return !isConnected(answer) && answer.status === 403 ? answer : undefined;
      }, 8_000);
      expect(denied).toEqual({ status: 403 });
      expect(await SmallFrameClient.connect(stack.emulator.url, {})).toEqual({ status: 403 });
    } finally {
      expect((await set([])).status).toBe(200);
    }
    await waitFor(async () => {
      const answer = await SmallFrameClient.connect(stack.emulator.url, {
        authorization: `Bearer ${seeded.key}`,
      });
      if (!isConnected(answer)) return undefined;
      answer.close();
      return true;
    }, 8_000);
  });

  it("answers a Codex client 426 (HTTP fallback at once) after checking its key", async () => {
    const answer = await SmallFrameClient.connect(stack.emulator.url, {
      authorization: `Bearer ${seeded.key}`,
      ...CODEX_HEADERS,
    });
    expect(answer).toEqual({ status: 426 });
    // Codex with a wrong key is told so first.
    const wrongKey = await SmallFrameClient.connect(stack.emulator.url, {
      authorization: "Bearer sk-cxp-000000000000-wrong",
      ...CODEX_HEADERS,
    });
    expect(wrongKey).toEqual({ status: 401 });
  });

  it("accepts other clients, and a Codex-style client without Codex's identity, storing metadata only", async () => {
    const client = await connect({
      "openai-beta": "responses_websockets=2026-02-06",
      "session-id": "sess-123",
      "x-stainless-lang": "js",
    });
    const item = await connectionItem();
    expect(item).toMatchObject({
      keyId: seeded.keyId,
      pool: seeded.pool,
      headers: { "session-id": "sess-123" },
      keyCheck: expect.any(String),
    });
    // Expires with API Gateway's 2-hour connection limit (DynamoDB TTL).
    expect(item!.expiresAt - item!.createdAt / 1000).toBeGreaterThan(2 * 3600);
    expect(item!.expiresAt - item!.createdAt / 1000).toBeLessThan(2 * 3600 + 300);
    // The 43-character secret (base64url, so it may contain "-" itself).
    expect(JSON.stringify(item)).not.toContain(seeded.key.slice(-43));
    expect(JSON.stringify(item)).not.toMatch(/authorization|x-stainless/i);
    await client.close();
  });
});

describe("$default", () => {
  it("answers a generate:false warm-up itself, without an upstream call", async () => {
    const client = await connect();
    const events = await client.turn({ model: "gpt-5.5", generate: false, input: USER_INPUT });
    expect(events.map((e) => e.type)).toEqual(["response.created", "response.completed"]);
    expect(events[1]!.response).toMatchObject({
      id: events[0]!.response.id,
      status: "completed",
      output: [],
    });
    expect(upstreamPosts()).toHaveLength(0);
    await client.close();
    const row = await waitFor(async () => (await logs())[0]);
    expect(row).toMatchObject({ status: 200, transport: "websocket", method: "GET", route: "/v1/responses" });
  });

  it("answers a previous_response_id it cannot serve with the wrapped previous_response_not_found", async () => {
    const client = await connect();
    const [error] = await client.turn({
      model: "gpt-5.5",
      previous_response_id: "resp_abc",
      input: USER_INPUT,
    });
    expect(error).toEqual({
      type: "error",
      status_code: 400,
      error: expect.objectContaining({ code: "previous_response_not_found", param: "previous_response_id" }),
      headers: {},
    });
    expect(upstreamPosts()).toHaveLength(0);
    // The same connection stays usable: the full request is served.
    const events = await client.turn({ model: "gpt-5.5", input: USER_INPUT });
    expect(events.at(-1)).toMatchObject({ type: "response.completed" });
    await client.close();
  });

  it("relays a turn as one message per upstream event, in order, as an HTTP SSE turn upstream", async () => {
    const client = await connect({ "session-id": "sess-turn", originator: "my_app" });
    const events = await client.turn({
      model: "gpt-5.5",
      input: USER_INPUT,
      previous_response_id: "",
      stream: false,
      store: true,
      client_metadata: { a: "b" },
    });
    expect(events.map((e) => e.type)).toEqual([
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
    ]);
    expect(events.at(-1)!.response.usage).toMatchObject({ input_tokens: 120 });
    const [post] = upstreamPosts();
    expect(post!.body).toMatchObject({ model: "gpt-5.5", input: USER_INPUT, stream: true, store: false });
    expect(post!.body).not.toHaveProperty("type");
    expect(post!.body).not.toHaveProperty("previous_response_id");
    expect((post!.body as Record<string, unknown>).client_metadata).toEqual({ a: "b" });
    expect(post!.headers).toMatchObject({ "session-id": "sess-turn", originator: "my_app" });
    expect(post!.headers.authorization).not.toContain(seeded.key);
    await client.close();
    const row = await waitFor(async () => (await logs()).find((l) => l.usage?.inputTokens === 120));
    expect(row).toMatchObject({ status: 200, transport: "websocket", method: "GET", attempts: 1 });
  });

  it("posts an upstream event over 32 KB as one message in frames of at most 32 KB", async () => {
    stack.fake.enqueue(seeded.accountIds[0]!, { kind: "large_text", bytes: 150_000, chunkBytes: 60_000 });
    const client = await connect();
    const events = await client.turn({ model: "gpt-5.5", input: USER_INPUT });
    const deltas = events.filter((e) => e.type === "response.output_text.delta");
    expect(deltas.length).toBeGreaterThan(1);
    expect(deltas.every((d) => d.delta.length === 60_000)).toBe(true);
    const record = stack.emulator.connections.get(latestConnectionId())!;
    expect(Math.max(...record.postedMessages)).toBeGreaterThan(32 * 1024);
    expect(Math.max(...record.outboundFrames)).toBeLessThanOrEqual(32 * 1024);
    await client.close();
  });

  it("ends a turn whose upstream event the front cannot carry with response.failed, logged as that and not as a client that left", async () => {
    stack.fake.enqueue(seeded.accountIds[0]!, { kind: "large_text", bytes: 150_000, chunkBytes: 140_000 });
    const client = await connect();
    const events = await client.turn({ model: "gpt-5.5", input: USER_INPUT });
    expect(events.at(-1)).toMatchObject({
      type: "response.failed",
      response: { error: { code: "event_too_large" } },
    });
    await client.close();
    await stack.emulator.settled();
    const row = await waitFor(async () => (await logs()).find((l) => l.errorCode === "event_too_large"));
    expect(row).toMatchObject({ transport: "websocket", status: 200 });
    expect((await logs()).some((l) => l.errorCode === "client_closed")).toBe(false);
  });

  it("refuses a second response.create while a turn is running on the connection (409 turn_in_progress)", async () => {
    stack.fake.enqueue(seeded.accountIds[0]!, { kind: "text", pauseAfterEvent: 3 });
    const client = await connect();
    client.send({ type: "response.create", model: "gpt-5.5", input: USER_INPUT });
    // The upstream is paused after this event.
    await client.until(0, (m) => m.type === "response.content_part.added");
    const [busy] = await client.turn({ model: "gpt-5.5", input: USER_INPUT });
    expect(busy).toMatchObject({ type: "error", status_code: 409, error: { code: "turn_in_progress" } });
    stack.fake.releasePaused();
    await client.until(0, (m) => m.type === "response.completed");
    // Once the turn has ended, the next one is taken.
    await stack.emulator.settled();
    const next = await client.turn({ model: "gpt-5.5", input: USER_INPUT });
    expect(next.at(-1)).toMatchObject({ type: "response.completed" });
    await client.close();
  });

  it("answers other frames with a wrapped 400 and ignores response.interrupt", async () => {
    const client = await connect();
    client.send({ type: "response.interrupt" });
    const [error] = await client.turn({ type: "response.append" } as never);
    expect(error).toMatchObject({ type: "error", status_code: 400, error: { param: "type" } });
    expect(client.messages).toHaveLength(1);
    await client.close();
  });

  it("a client that leaves mid-turn stops the turn: the upstream call is aborted and logged 499", async () => {
    stack.fake.enqueue(seeded.accountIds[0]!, { kind: "text", pauseAfterEvent: 3 });
    const client = await connect();
    client.send({ type: "response.create", model: "gpt-5.5", input: USER_INPUT });
    await client.until(0, (m) => m.type === "response.output_item.added");
    await client.close();
    stack.fake.releasePaused();
    await stack.emulator.settled();
    const row = await waitFor(async () => (await logs()).find((l) => l.errorCode === "client_closed"));
    expect(row).toMatchObject({ status: 499, transport: "websocket" });
  });

  it("a revoked key gets the wrapped 401 on its next response.create and the connection is closed", async () => {
    const client = await connect();
    expect((await client.turn({ model: "gpt-5.5", input: USER_INPUT })).at(-1)!.type).toBe(
      "response.completed",
    );
    expect((await stack.admin("POST", `/keys/${seeded.keyId}/revoke`)).status).toBe(200);
    const [error] = await client.turn({ model: "gpt-5.5", input: USER_INPUT });
    expect(error).toMatchObject({ type: "error", status_code: 401, error: { code: "api_key_disabled" } });
    expect((await client.closed).code).toBe(1000);
    expect(upstreamPosts()).toHaveLength(1);
    // $disconnect runs after the client has seen the close, as on API Gateway.
    await stack.emulator.settled();
    expect(await waitFor(async () => ((await connectionItem()) === undefined ? true : undefined))).toBe(true);
  });

  it("a rotated key no longer serves connections opened with the old secret", async () => {
    const client = await connect();
    expect((await stack.admin("POST", `/keys/${seeded.keyId}/rotate`)).status).toBe(200);
    const [error] = await client.turn({ model: "gpt-5.5", input: USER_INPUT });
    expect(error).toMatchObject({ status_code: 401, error: { code: "api_key_disabled" } });
    await client.closed;
  });
});

describe("API Gateway limits", () => {
  it("a message split into frames of at most 32 KB gets through; one frame over 32 KB closes with 1009", async () => {
    const history = Array.from({ length: 40 }, (_, i) => ({
      type: "message",
      role: i % 2 ? "assistant" : "user",
      content: [{ type: i % 2 ? "output_text" : "input_text", text: `${i} ${"x".repeat(1_500)}` }],
    }));
    const request = { type: "response.create", model: "gpt-5.5", input: [...history, ...USER_INPUT] };
    expect(JSON.stringify(request).length).toBeGreaterThan(48 * 1024);

    const small = await connect();
    const events = await small.turn(request);
    expect(events.at(-1)).toMatchObject({ type: "response.completed" });
    expect((upstreamPosts()[0]!.body as { input: unknown[] }).input).toHaveLength(41);
    expect(
      Math.max(...stack.emulator.connections.get(latestConnectionId())!.inboundFrames),
    ).toBeLessThanOrEqual(16 * 1024);
    await small.close();

    const big = await connect();
    big.ws.send(JSON.stringify(request)); // one frame, as Codex sends it
    expect((await big.closed).code).toBe(1009);
    const record = stack.emulator.connections.get(latestConnectionId())!;
    expect(Math.max(...record.inboundFrames)).toBeGreaterThan(32 * 1024);
    await record.done;
    // Nothing was run for it, and $disconnect removed the connection item.
    expect(upstreamPosts()).toHaveLength(1);
    expect(await connectionItem(record.connectionId)).toBeUndefined();
  });

  it("a message over 128 KB closes with 1009 even in small frames", async () => {
    const client = await connect();
    client.send({ type: "response.create", model: "gpt-5.5", input: "x".repeat(140 * 1024) });
    expect((await client.closed).code).toBe(1009);
    expect(upstreamPosts()).toHaveLength(0);
  });

  it("an idle connection is closed by the front and its item deleted", async () => {
    stack.emulator.limits.idleTimeoutMs = 300;
    const client = await connect();
    const id = latestConnectionId();
    expect(await connectionItem(id)).toBeDefined();
    expect((await client.closed).code).toBe(1001);
    await stack.emulator.connections.get(id)!.done;
    expect(await connectionItem(id)).toBeUndefined();
  });

  it("a turn far longer than the integration timeout completes: $default returns at once", async () => {
    // Shrunk to keep the test short: a 2 s integration timeout and a turn of about 4 s.
    stack.emulator.limits.integrationTimeoutMs = 2_000;
    stack.fake.enqueue(seeded.accountIds[0]!, { kind: "text", delayMsBetweenEvents: 450 });
    const client = await connect();
    const started = Date.now();
    const events = await client.turn({ model: "gpt-5.5", input: USER_INPUT });
    expect(Date.now() - started).toBeGreaterThan(2_000);
    expect(events.at(-1)).toMatchObject({ type: "response.completed" });
    expect(events.some((e) => e.message === "Endpoint request timed out")).toBe(false);
    expect(stack.emulator.integrationTimeouts).toBe(0);
    await client.close();
  });
});

describe("the emulator itself", () => {
  it("cuts an integration at its timeout and tells the client, as API Gateway does", async () => {
    const emulator = await startApiGatewayEmulator({
      handler: async (event) => {
        if (event.requestContext.routeKey === "$default") await new Promise((r) => setTimeout(r, 400));
        return { statusCode: 200 };
      },
      limits: { integrationTimeoutMs: 100 },
    });
    const ws = new WebSocket(emulator.url);
    await new Promise((resolve) => ws.once("open", resolve));
    ws.send("hello");
    const message = await new Promise<string>((resolve) => ws.once("message", (d) => resolve(d.toString())));
    expect(JSON.parse(message)).toMatchObject({ message: "Endpoint request timed out" });
    expect(emulator.integrationTimeouts).toBe(1);
    ws.close();
    await emulator.close();
  });

  it("passes $connect's status to the client and answers other paths 403", async () => {
    const emulator = await startApiGatewayEmulator({ handler: async () => ({ statusCode: 418 }) });
    const status = (url: string) =>
      new Promise<number>((resolve) => {
        const ws = new WebSocket(url);
        ws.on("error", () => undefined);
        ws.once("unexpected-response", (_req, res) => resolve(res.statusCode ?? 0));
      });
    expect(await status(emulator.url)).toBe(418);
    expect(await status(emulator.url.replace(/\/v1$/, "/v1/responses"))).toBe(403);
    await emulator.close();
  });
});

describe("privacy", () => {
  it("no frame content or key reaches the logs, the request logs or the connection item", async () => {
    const canary = "CANARY-7f3a-prompt-text";
    const client = await connect({ "session-id": "privacy-session" });
    const input = [{ type: "message", role: "user", content: [{ type: "input_text", text: canary }] }];
    await client.turn({ model: "gpt-5.5", generate: false, input });
    await client.turn({ model: "gpt-5.5", previous_response_id: "resp_x", input });
    await client.turn({ model: "gpt-5.5", input });
    const item = await connectionItem();
    await client.close();
    await stack.emulator.settled();
    const rows = await waitFor(async () => {
      const all = await logs();
      return all.length >= 3 ? all : undefined;
    });
    expect(stack.output.lines.length).toBeGreaterThan(0);
    const secret = seeded.key.slice(-43); // base64url: it may contain "-" itself
    for (const text of [JSON.stringify(rows), JSON.stringify(item), stack.output.lines.join("\n")]) {
      expect(text).not.toContain(canary);
      expect(text).not.toContain(secret);
    }
  });
});

describe("grants", () => {
  it("the WebSocket routes and worker stay within their IAM grants (lib/grants.ts)", async () => {
    await stack.emulator.settled();
    expect(stack.recorder.calls.get("websocket")?.size).toBeGreaterThan(0);
    expect(stack.recorder.calls.get("websocketWorker")?.size).toBeGreaterThan(0);
    expect(stack.recorder.outsideGrants("websocket")).toEqual([]);
    expect(stack.recorder.outsideGrants("websocketWorker")).toEqual([]);
  });
});
