// Real clients against the AWS deployment's WebSocket path, run locally: the WebSocket API entries
// behind the API Gateway emulator, the runtime function behind a CloudFront + function URL stand-in
// (one front, as a host serving both: upgrades on the Responses paths go to the WebSocket API,
// everything else to the runtime), one DynamoDB. See docs/adr/0001-websocket-on-aws.md.
//
// The runtime function (rather than the local host) serves the HTTPS side so that what Codex falls
// back to is the same deployment, sharing keys and store with the WebSocket functions.
import OpenAI from "openai";
import { ResponsesWS } from "openai/resources/responses/ws";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { RouteHandler } from "./helpers/api-gateway-websocket.ts";
import {
  type AwsWebSocketStack,
  isConnected,
  SmallFrameClient,
  startAwsWebSocketStack,
} from "./helpers/aws-websocket.ts";
import { codexHome, runCodex } from "./helpers/codex-cli.ts";

let stack: AwsWebSocketStack;
let seeded: Awaited<ReturnType<AwsWebSocketStack["seed"]>>;

beforeAll(async () => {
  stack = await startAwsWebSocketStack();
});
beforeEach(async () => {
  stack.routes.handler = stack.routes.deployed;
  stack.emulator.limits.integrationTimeoutMs = 29_000;
  seeded = await stack.seed();
});
afterAll(async () => {
  await stack?.stop();
});

const httpTurns = () => seeded.accountIds.flatMap((id) => stack.fake.responsesFor(id));
const upstreamSockets = () =>
  stack.fake.websocketSessions.filter((s) => seeded.accountIds.includes(s.accountId));
const wsUrl = (path: string) => `${stack.front.url.replace(/^http/, "ws")}${path}`;

describe("Codex CLI with supports_websockets = true", () => {
  it("is sent to HTTPS by the first upgrade answer (426) and completes a tool-using session there", async () => {
    // Codex's default retry settings: a 403/404/500 upgrade answer would cost ~7 s of retries here.
    const home = codexHome(stack.front.url, { websockets: true, streamMaxRetries: 5 });
    const upgradesBefore = stack.emulator.upgrades.length;
    const requestsBefore = stack.front.requests.length;

    const result = await runCodex(home, seeded.key, [
      "--dangerously-bypass-approvals-and-sandbox",
      "RUN_TOOL please echo",
    ]);

    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain("Hello from fake upstream.");
    // One upgrade attempt, answered 426 after the key check: no retries.
    const upgrades = stack.emulator.upgrades.slice(upgradesBefore);
    expect(upgrades.map((u) => [u.path, u.status])).toEqual([["/backend-api/codex/responses", 426]]);
    expect(upgrades[0]!.headers).toMatchObject({
      originator: "codex_exec",
      "openai-beta": expect.stringContaining("responses_websockets="),
    });
    // Both requests of the tool loop went over HTTPS to the runtime function; no WebSocket upstream.
    const posts = stack.front.requests
      .slice(requestsBefore)
      .filter((r) => r.method === "POST" && r.path === "/backend-api/codex/responses");
    expect(posts).toHaveLength(2);
    expect(httpTurns()).toHaveLength(2);
    expect(upstreamSockets()).toHaveLength(0);
    const followUp = httpTurns()[1]!.body as { input: { type: string }[] };
    expect(followUp.input.map((i) => i.type)).toContain("function_call_output");
    // A behavioural bound, not a benchmark: the retry path would take ~7 s before this request.
    expect(posts[0]!.at - upgrades[0]!.at).toBeLessThan(3_000);
  });

  it("without the 426 rule, Codex's full request breaks the 32 KB frame limit (1009) and it falls back only after its retries", async () => {
    // Hide Codex's identity from $connect so the routes accept it, as a plain WebSocket API would.
    stack.routes.handler = (async (event) => {
      if (event.requestContext.routeKey !== "$connect") return stack.routes.deployed(event);
      const headers = Object.fromEntries(
        Object.entries(event.headers as Record<string, string>).filter(
          ([name]) => !/^(originator|user-agent)$/i.test(name),
        ),
      );
      return stack.routes.deployed({ ...event, headers });
    }) satisfies RouteHandler;
    const home = codexHome(stack.front.url, { websockets: true, streamMaxRetries: 5 });
    const upgradesBefore = stack.emulator.upgrades.length;
    const connectionsBefore = new Set(stack.emulator.connections.keys());

    const result = await runCodex(home, seeded.key, ["Say hi"]);

    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain("Hello from fake upstream.");
    await stack.emulator.settled();
    const opened = [...stack.emulator.connections.values()].filter(
      (c) => !connectionsBefore.has(c.connectionId),
    );
    // The warm-up fits (about 31 KB); its continuation gets previous_response_not_found, and the full
    // request Codex then resends in one frame is over 32 KB, on every reconnect.
    const [first, ...retries] = opened;
    expect(Math.max(...first!.inboundFrames)).toBeLessThanOrEqual(32 * 1024);
    expect(retries.length).toBeGreaterThan(1);
    for (const retry of retries) {
      expect(retry.inboundFrames[0]).toBeGreaterThan(32 * 1024);
      expect(retry.closeSent).toBe(1009);
    }
    expect(stack.emulator.upgrades.length - upgradesBefore).toBe(opened.length);
    // It got there over HTTPS in the end, without a WebSocket upstream.
    expect(httpTurns()).toHaveLength(1);
    expect(upstreamSockets()).toHaveLength(0);
  });
});

describe("Responses WebSocket clients over the WebSocket API", () => {
  it("an OpenAI SDK client (ResponsesWS) on GET /v1/responses completes a turn", async () => {
    const client = new OpenAI({ apiKey: seeded.key, baseURL: `${stack.front.url}/v1` });
    const socket = new ResponsesWS(client);
    const completed = new Promise<any>((resolve) => socket.on("response.completed", resolve));
    const text: string[] = [];
    socket.on("response.output_text.delta", (event: any) => text.push(event.delta));

    socket.send({ type: "response.create", model: "gpt-5.5", input: "Say hi" } as never);
    const event = await completed;

    expect(text.join("")).toBe("Hello from fake upstream.");
    expect(event.response).toMatchObject({ status: "completed", usage: { input_tokens: 120 } });
    expect(stack.emulator.upgrades.at(-1)).toMatchObject({ path: "/v1/responses", status: 101 });
    expect(httpTurns()).toHaveLength(1);
    socket.close();
  });

  it("a client with small frames completes multi-turn sessions, including a turn longer than the integration timeout", async () => {
    // Shrunk to keep the test short: a 2 s integration timeout (API Gateway: 29 s) and a ~4 s turn.
    stack.emulator.limits.integrationTimeoutMs = 2_000;
    const connected = await SmallFrameClient.connect(wsUrl("/backend-api/codex/responses"), {
      authorization: `Bearer ${seeded.key}`,
      "openai-beta": "responses_websockets=2026-02-06",
      "session-id": "small-frames-1",
    });
    if (!isConnected(connected)) throw new Error(`upgrade answered ${connected.status}`);
    const client = connected;
    // A Codex-sized first message: ~40 KB of tool definitions, sent in 16 KB frames.
    const tools = Array.from({ length: 20 }, (_, i) => ({
      type: "function",
      name: `tool_${i}`,
      description: `Tool ${i}. ${"Explains what the tool does in detail. ".repeat(50)}`,
      parameters: { type: "object", properties: { arg: { type: "string" } } },
      strict: false,
    }));
    const base = { model: "gpt-5.5", tools, instructions: "You are a test." };
    const user = (text: string) => ({
      type: "message",
      role: "user",
      content: [{ type: "input_text", text }],
    });

    const warmup = await client.turn({ ...base, generate: false, input: [] });
    expect(warmup.map((e) => e.type)).toEqual(["response.created", "response.completed"]);
    // Codex-style continuation: not servable without stored state, so the full request follows.
    const [notFound] = await client.turn({
      ...base,
      previous_response_id: warmup[1]!.response.id,
      input: [user("Say hi")],
    });
    expect(notFound).toMatchObject({ status_code: 400, error: { code: "previous_response_not_found" } });
    const first = await client.turn({ ...base, input: [user("Say hi")] });
    expect(first.at(-1)).toMatchObject({ type: "response.completed" });

    // Second turn: the history so far plus new input, against a slow upstream (~4 s).
    stack.fake.enqueue(seeded.accountIds[0]!, {
      kind: "text",
      text: "Slow answer here.",
      delayMsBetweenEvents: 450,
    });
    const assistant = first.find((e) => e.type === "response.output_item.done")!.item;
    const started = Date.now();
    const second = await client.turn({ ...base, input: [user("Say hi"), assistant, user("And more?")] });
    const elapsed = Date.now() - started;
    expect(second.at(-1)).toMatchObject({ type: "response.completed" });
    expect(
      second
        .filter((e) => e.type === "response.output_text.delta")
        .map((e) => e.delta)
        .join(""),
    ).toBe("Slow answer here.");
    expect(elapsed).toBeGreaterThan(stack.emulator.limits.integrationTimeoutMs);
    expect(stack.emulator.integrationTimeouts).toBe(0);

    // Every frame stayed within API Gateway's limit; the upstream saw whole requests.
    const record = [...stack.emulator.connections.values()].at(-1)!;
    expect(Math.max(...record.inboundFrames)).toBeLessThanOrEqual(16 * 1024);
    const bodies = httpTurns().map((t) => t.body as { tools: unknown[]; input: unknown[] });
    expect(bodies.map((b) => [b.tools.length, b.input.length])).toEqual([
      [20, 1],
      [20, 3],
    ]);
    expect(JSON.stringify(bodies[0]).length).toBeGreaterThan(32 * 1024);
    await client.close();
  });
});
