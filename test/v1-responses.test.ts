// /v1/responses through the official OpenAI SDK: collected and streamed answers, the public stream
// normalization, interrupted streams as errors, and refused parameters and tools.
import OpenAI from "openai";
import { beforeAll, describe, expect, it } from "vitest";
import { NO_KEEPALIVE, readSse, useTestGateway } from "./helpers/gateway.ts";
import { openaiFor } from "./helpers/openai.ts";

const { gw, seeded } = useTestGateway({ env: NO_KEEPALIVE, seed: { accounts: 1 } });
let client: OpenAI;
beforeAll(() => {
  client = openaiFor(gw, seeded.key);
});

const account = () => seeded.accounts[0]!.accountId;
const post = (body: unknown) => gw.post("/v1/responses", seeded.key, body);

describe("non-stream", () => {
  it("collects the streamed turn into one Response object", async () => {
    const response = await client.responses.create({
      model: "gpt-5.5",
      input: "Say hi",
      instructions: "Be brief.",
    });
    expect(response.object).toBe("response");
    expect(response.status).toBe("completed");
    expect(response.id).toMatch(/^resp_/);
    expect(response.output_text).toBe("Hello from fake upstream.");
    expect(response.usage).toMatchObject({ input_tokens: 120, output_tokens: 9, total_tokens: 129 });
  });

  it("returns tool calls as output items", async () => {
    const response = await client.responses.create({
      model: "gpt-5.5",
      input: "RUN_TOOL",
      tools: [{ type: "function", name: "exec_command", parameters: { type: "object" }, strict: false }],
    });
    const call = response.output.find((item) => item.type === "function_call");
    expect(call).toMatchObject({ name: "exec_command", arguments: JSON.stringify({ cmd: "echo hi" }) });
    expect(response.output.map((item) => item.type)).toEqual(["reasoning", "function_call"]);
  });

  it("answers an upstream failure with its status instead of a 200", async () => {
    gw.fake.enqueue(account(), { kind: "response_failed", code: "context_length_exceeded" });
    const error = await client.responses.create({ model: "gpt-5.5", input: "hi" }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.BadRequestError);
    expect((error as InstanceType<typeof OpenAI.BadRequestError>).code).toBe("context_length_exceeded");
  });

  it("answers an interrupted upstream stream with a 502, never a partial 200", async () => {
    gw.fake.enqueue(account(), { kind: "drop_mid_stream" });
    const response = await post({ model: "gpt-5.5", input: "hi" });
    expect(response.status).toBe(502);
    expect((await response.json()).error).toMatchObject({ code: "server_error", type: "server_error" });
  });
});

describe("stream", () => {
  it("relays the events with response.completed last and sequence numbers from 0", async () => {
    const stream = await client.responses.create({ model: "gpt-5.5", input: "Say hi", stream: true });
    const events: OpenAI.Responses.ResponseStreamEvent[] = [];
    for await (const event of stream) events.push(event);
    expect(events[0]!.type).toBe("response.created");
    expect(events.at(-1)!.type).toBe("response.completed");
    expect(events.map((e) => e.sequence_number)).toEqual(events.map((_, i) => i));
    const text = events
      .filter((e): e is OpenAI.Responses.ResponseTextDeltaEvent => e.type === "response.output_text.delta")
      .map((e) => e.delta)
      .join("");
    expect(text).toBe("Hello from fake upstream.");
  });

  it("ends an interrupted stream with one error event (flat and nested) and nothing after", async () => {
    gw.fake.enqueue(account(), { kind: "drop_mid_stream" });
    const response = await post({ model: "gpt-5.5", input: "hi", stream: true });
    expect(response.status).toBe(200);
    const events = await readSse(response);
    const last = events.at(-1)!;
    expect(last.type).toBe("error");
    const message = "upstream request failed: stream interrupted before terminal response event";
    expect(last.data).toEqual({
      type: "error",
      sequence_number: events.length - 1,
      code: "server_error",
      message,
      param: null,
      error: { type: "server_error", code: "server_error", message, param: null },
    });
    expect(events.filter((e) => e.type === "error" || e.type === "response.failed")).toHaveLength(1);
    expect(events.some((e) => e.type === "response.output_text.delta")).toBe(true);
  });

  it("makes the SDK throw on an interrupted stream", async () => {
    gw.fake.enqueue(account(), { kind: "drop_mid_stream" });
    const stream = await client.responses.create({ model: "gpt-5.5", input: "hi", stream: true });
    const seen: string[] = [];
    const error = await (async () => {
      for await (const event of stream) seen.push(event.type);
    })().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.APIError);
    expect(seen).toContain("response.output_text.delta");
  });

  it("turns a failure at the first event into an HTTP error", async () => {
    gw.fake.enqueue(account(), { kind: "response_failed", code: "context_length_exceeded" });
    const response = await post({ model: "gpt-5.5", input: "hi", stream: true });
    expect(response.status).toBe(400);
    expect((await response.json()).error.code).toBe("context_length_exceeded");
  });
});

describe("refused input", () => {
  it.each([
    ["background", "unsupported_parameter", { background: true }],
    ["conversation", "unsupported_parameter", { conversation: "conv_1" }],
    ["prompt", "unsupported_parameter", { prompt: { id: "pmpt_1" } }],
    ["max_tool_calls", "unsupported_parameter", { max_tool_calls: 3 }],
    ["top_logprobs", "unsupported_parameter", { top_logprobs: 2 }],
    ["context_management", "unsupported_parameter", { context_management: [{ type: "compaction" }] }],
    ["made_up", "unsupported_parameter", { made_up: 1 }],
    ["truncation", "invalid_request", { truncation: "sometimes" }],
    ["reasoning.context", "invalid_request", { reasoning: { context: "forever" } }],
    ["input", "invalid_request", { input: [] }],
    [
      "input[0].content[0].file_id",
      "unsupported_parameter",
      { input: [{ role: "user", content: [{ type: "input_image", file_id: "file-1" }] }] },
    ],
    [
      // MCP tools are refused,
      "tools[1].type",
      "invalid_request",
      {
        tools: [
          { type: "function", name: "f", parameters: {} },
          { type: "mcp", server_label: "x", server_url: "https://m" },
        ],
      },
    ],
    [
      // also inside additional_tools.
      "input[0].tools[0].type",
      "invalid_request",
      {
        input: [
          { type: "additional_tools", role: "developer", tools: [{ type: "mcp", server_label: "x" }] },
          { role: "user", content: "hi" },
        ],
      },
    ],
  ])("%s is refused: a 400 %s naming it, with no upstream call", async (param, code, extra) => {
    const before = gw.fake.responsesFor(account()).length;
    const response = await post({ model: "gpt-5.5", input: "hi", ...extra });
    expect(response.status).toBe(400);
    expect((await response.json()).error).toMatchObject({ code, param });
    expect(gw.fake.responsesFor(account()).length).toBe(before);
  });
});
