// WebSocket API turns on AWS (lambdas/websocket.ts routes, lambdas/websocket-worker.ts turns, through
// the API Gateway emulator) with the optional per-Pool cap set to 1 (POOLER_POOL_CONCURRENCY_CAP, as
// the stack's PoolConcurrencyCap gives it to the runtime and the worker): a WebSocket turn takes the
// Pool's slot like an HTTP turn and gives it back however it ends (completed, client gone, failed),
// and a failure inside the worker's turn (the management API failing a post mid-turn) ends the turn
// with a terminal `response.failed`, gives back the slot and the claim, and the worker keeps serving.
import { DynamoDBDocumentClient, GetCommand } from "@aws-sdk/lib-dynamodb";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import {
  type AwsWebSocketStack,
  isConnected,
  SmallFrameClient,
  startAwsWebSocketStack,
} from "./helpers/aws-websocket.ts";
import { TEXT_TURN_BODY } from "./helpers/gateway.ts";

let stack: AwsWebSocketStack;
let seeded: Awaited<ReturnType<AwsWebSocketStack["seed"]>>;
/** Every Pool the tests ran turns in. */
const pools: string[] = [];

const USER_INPUT = [{ type: "message", role: "user", content: [{ type: "input_text", text: "Say hi" }] }];
const TURN = { model: "gpt-5.5", input: USER_INPUT };

async function connect(key = seeded.key): Promise<SmallFrameClient> {
  const client = await SmallFrameClient.connect(stack.emulator.url, { authorization: `Bearer ${key}` });
  if (!isConnected(client)) throw new Error(`upgrade answered ${client.status}`);
  return client;
}

const upstreamPosts = () => seeded.accountIds.flatMap((id) => stack.fake.responsesFor(id));

/** An HTTP SSE turn of the same Pool, through the runtime function behind the CloudFront stand-in. */
const httpTurn = (key = seeded.key) =>
  fetch(`${stack.front.url}/backend-api/codex/responses`, {
    method: "POST",
    headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
    body: JSON.stringify(TEXT_TURN_BODY),
  });

/** Starts a turn whose upstream pauses mid-stream; resolves once the client has seen output. */
async function pausedTurn(client: SmallFrameClient): Promise<number> {
  stack.fake.enqueue(seeded.accountIds[0]!, { kind: "text", pauseAfterEvent: 3 });
  const from = client.messages.length;
  client.send({ type: "response.create", ...TURN });
  await client.until(from, (m) => m.type === "response.content_part.added");
  return from;
}

beforeAll(async () => {
  stack = await startAwsWebSocketStack({ env: { POOLER_POOL_CONCURRENCY_CAP: "1" } });
});
beforeEach(async () => {
  seeded = await stack.seed();
  pools.push(seeded.pool);
});
afterAll(async () => {
  stack?.fake.releasePaused();
  await stack?.stop();
});

describe("the per-Pool cap on WebSocket API turns", () => {
  it("a running WebSocket turn holds the Pool's slot: another turn of the Pool, WebSocket or HTTP, gets 503 server_is_overloaded", async () => {
    const first = await connect();
    const from = await pausedTurn(first);

    const second = await connect();
    const [refused] = await second.turn(TURN);
    expect(refused).toEqual({
      type: "error",
      status_code: 503,
      error: expect.objectContaining({ code: "server_is_overloaded", type: "server_error" }),
      headers: { "retry-after": "1" },
    });
    const http = await httpTurn();
    expect(http.status).toBe(503);
    expect(http.headers.get("retry-after")).toBe("1");
    expect(((await http.json()) as { error: { code: string } }).error.code).toBe("server_is_overloaded");
    expect(upstreamPosts()).toHaveLength(1);

    // Another Pool has its own slots.
    const other = await stack.seed();
    const elsewhere = await connect(other.key);
    expect((await elsewhere.turn(TURN)).at(-1)).toMatchObject({ type: "response.completed" });

    // Completed: the slot comes back, for WebSocket and HTTP turns alike.
    stack.fake.releasePaused();
    await first.until(from, (m) => m.type === "response.completed");
    await stack.emulator.settled();
    expect((await second.turn(TURN)).at(-1)).toMatchObject({ type: "response.completed" });
    await stack.emulator.settled();
    const served = await httpTurn();
    expect(served.status).toBe(200);
    expect(await served.text()).toContain("response.completed");
    for (const client of [first, second, elsewhere]) await client.close();
  });

  it("a client that leaves mid-turn gives the slot back", async () => {
    const leaving = await connect();
    await pausedTurn(leaving);
    await leaving.close();
    stack.fake.releasePaused();
    await stack.emulator.settled();
    const next = await connect();
    expect((await next.turn(TURN)).at(-1)).toMatchObject({ type: "response.completed" });
    await next.close();
  });

  it("a turn the upstream fails gives the slot back", async () => {
    stack.fake.enqueue(seeded.accountIds[0]!, {
      kind: "response_failed",
      code: "context_length_exceeded",
    });
    const client = await connect();
    expect((await client.turn(TURN)).at(-1)).toMatchObject({ type: "response.failed" });
    await stack.emulator.settled();
    expect((await client.turn(TURN)).at(-1)).toMatchObject({ type: "response.completed" });
    await client.close();
  });
});

describe("a failure inside the worker's turn", () => {
  it("ends the turn with a terminal response.failed, gives back the slot and the claim, logs metadata only, and the worker keeps serving", async () => {
    const canary = "CANARY-worker-fault-prompt";
    const client = await connect();
    // The management API fails the first text delta's post, and the SDK's one retry of it.
    stack.emulator.failPosts((text) => text.includes('"response.output_text.delta"'), 2);
    const failures = stack.emulator.asyncFailures;
    const events = await client.turn({
      model: "gpt-5.5",
      input: [{ type: "message", role: "user", content: [{ type: "input_text", text: canary }] }],
    });
    const created = events.find((e) => e.type === "response.created");
    expect(events.at(-1)).toEqual({
      type: "response.failed",
      response: expect.objectContaining({
        id: created!.response.id,
        status: "failed",
        error: expect.objectContaining({ code: "internal_error" }),
      }),
    });
    expect(events.filter((e) => e.type === "response.output_text.delta")).toEqual([]);
    await stack.emulator.settled();
    // The invocation itself succeeded: nothing for Lambda to report or retry.
    expect(stack.emulator.asyncFailures).toBe(failures);
    const logged = stack.output.lines.filter((line) => line.includes("websocket turn failed"));
    expect(logged.length).toBeGreaterThan(0);
    expect(stack.output.lines.join("\n")).not.toContain(canary);

    // The claim and the Pool's only slot were given back: the same connection's next turn is served.
    expect((await client.turn(TURN)).at(-1)).toMatchObject({ type: "response.completed" });
    await client.close();
  });
});

describe("grants", () => {
  it("the worker's Pool slot writes stay within its IAM grants (lib/grants.ts), and no slot is left held", async () => {
    await stack.emulator.settled();
    const db = DynamoDBDocumentClient.from(stack.env.client);
    for (const pool of pools.filter((p) => p !== seeded.pool)) {
      const { Item } = await db.send(
        new GetCommand({
          TableName: stack.env.tables.state,
          Key: { pk: `POOLSLOTS#${pool}`, sk: "S" },
          ConsistentRead: true,
        }),
      );
      // The item exists once a slot was taken; every slot in it has been given back.
      expect(Item, pool).toBeDefined();
      expect(Object.keys(Item?.slots ?? {}), pool).toEqual([]);
    }
    expect(stack.recorder.calls.get("websocketWorker")?.size).toBeGreaterThan(0);
    expect(stack.recorder.outsideGrants("websocketWorker")).toEqual([]);
  });
});
