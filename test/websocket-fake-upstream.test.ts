// The fake upstream's Responses WebSocket (codex-protocol §5, §9.4), which the relay tests rely on.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { type FakeAccount, type FakeUpstream, startFakeUpstream } from "./fake-upstream/index.ts";

let fake: FakeUpstream;
let account: FakeAccount;

beforeAll(async () => {
  fake = await startFakeUpstream();
  account = fake.createAccount({ accountId: "local_ws" });
});
afterAll(async () => {
  await fake?.close();
});

const BETA = { "openai-beta": "responses_websockets=2026-02-06" };

function connect(headers: Record<string, string>): Promise<WebSocket | { status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${fake.upstreamBaseUrl.replace("http", "ws")}/codex/responses`, { headers });
    ws.once("open", () => resolve(ws));
    ws.once("unexpected-response", (_req, res) => {
      let body = "";
      res.on("data", (chunk) => {
        body += chunk;
      });
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
    });
    ws.once("error", reject);
  });
}

/** Sends one frame and collects the answer up to its terminal event. */
function exchange(ws: WebSocket, frame: Record<string, unknown>): Promise<Record<string, any>[]> {
  return new Promise((resolve) => {
    const events: Record<string, any>[] = [];
    const onMessage = (data: WebSocket.RawData) => {
      const event = JSON.parse(data.toString());
      events.push(event);
      if (["response.completed", "response.failed", "error"].includes(event.type)) {
        ws.off("message", onMessage);
        resolve(events);
      }
    };
    ws.on("message", onMessage);
    ws.send(JSON.stringify({ type: "response.create", model: "gpt-5.5", ...frame }));
  });
}

const user = (text: string) => [{ type: "message", role: "user", content: [{ type: "input_text", text }] }];

describe("fake upstream WebSocket", () => {
  it("refuses the upgrade with 401 for an unknown token and 400 without the beta token", async () => {
    const unknown = await connect({ authorization: "Bearer nope", ...BETA });
    expect(unknown).toMatchObject({ status: 401 });
    const token = account.authJson.tokens.access_token;
    const noBeta = await connect({ authorization: `Bearer ${token}` });
    expect(noBeta).toMatchObject({ status: 400 });
    const http = await connect({ authorization: `Bearer ${token}`, "openai-beta": "responses=experimental" });
    expect(http).toMatchObject({ status: 400 });
  });

  it("answers warm-up, a tool call and its continuation from per-connection history", async () => {
    const ws = (await connect({
      authorization: `Bearer ${account.authJson.tokens.access_token}`,
      ...BETA,
    })) as WebSocket;
    const warmup = await exchange(ws, { generate: false, input: [] });
    expect(warmup.map((e) => e.type)).toEqual(["response.created", "response.completed"]);
    expect(warmup[1]!.response.output).toEqual([]);

    const tool = await exchange(ws, {
      previous_response_id: warmup[1]!.response.id,
      input: user("RUN_TOOL"),
    });
    expect(tool[0]!.type).toBe("codex.rate_limits");
    const toolDone = tool.at(-1)!;
    expect(toolDone.response.output.map((i: { type: string }) => i.type)).toEqual([
      "reasoning",
      "function_call",
    ]);

    const callId = toolDone.response.output[1].call_id;
    const text = await exchange(ws, {
      previous_response_id: toolDone.response.id,
      input: [{ type: "function_call_output", call_id: callId, output: "hi" }],
    });
    expect(text.at(-1)!.type).toBe("response.completed");
    expect(
      text
        .filter((e) => e.type === "response.output_text.delta")
        .map((e) => e.delta)
        .join(""),
    ).toBe("Hello from fake upstream.");

    const lost = await exchange(ws, { previous_response_id: "resp_unknown", input: user("hi") });
    expect(lost).toEqual([
      {
        type: "error",
        status_code: 400,
        error: expect.objectContaining({
          code: "previous_response_not_found",
          param: "previous_response_id",
        }),
        headers: {},
      },
    ]);

    fake.enqueue(account.accountId, { kind: "usage_limit_429" });
    const limited = await exchange(ws, { input: user("hi") });
    expect(limited).toEqual([
      expect.objectContaining({
        type: "error",
        status_code: 429,
        error: expect.objectContaining({ type: "usage_limit_reached", resets_at: expect.any(Number) }),
        headers: expect.objectContaining({ "x-codex-primary-used-percent": "100.0" }),
      }),
    ]);
    ws.close();

    const session = fake.websocketSessions.at(-1)!;
    expect(session).toMatchObject({ accountId: "local_ws", frames: 5 });
    expect(session.requests).toHaveLength(5);
  });
});
