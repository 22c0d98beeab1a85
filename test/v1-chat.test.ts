// /v1/chat/completions through the official OpenAI SDK against the running gateway: non-stream and
// stream answers, a tool-call round trip, errors before and after output, and refused parameters.
import OpenAI from "openai";
import { beforeAll, describe, expect, it } from "vitest";
import { NO_KEEPALIVE, useTestGateway } from "./helpers/gateway.ts";
import { openaiFor } from "./helpers/openai.ts";
import { sseMessages } from "./helpers/sse.ts";

const { gw, seeded } = useTestGateway({ env: NO_KEEPALIVE, seed: { accounts: 1 } });
let client: OpenAI;
beforeAll(() => {
  client = openaiFor(gw, seeded.key);
});

const account = () => seeded.accounts[0]!.accountId;
const upstreamCount = () => gw.fake.responsesFor(account()).length;

const rawChat = (body: unknown, key = seeded.key, headers?: Record<string, string>) =>
  gw.post("/v1/chat/completions", key, body, { headers });

/** `data:` payloads of an SSE body, in order. */
async function sseData(response: Response): Promise<string[]> {
  return sseMessages(await response.text()).map(({ data }) => data);
}

describe("non-stream", () => {
  it("answers a chat.completion with the joined text, usage and stop", async () => {
    const completion = await client.chat.completions.create({
      model: "gpt-5.5",
      messages: [
        { role: "system", content: "Be brief." },
        { role: "user", content: "Say hi" },
      ],
    });
    expect(completion.object).toBe("chat.completion");
    expect(completion.model).toBe("gpt-5.5");
    expect(completion.id).toMatch(/^resp_/);
    expect(completion.choices).toHaveLength(1);
    expect(completion.choices[0]!.message).toMatchObject({
      role: "assistant",
      content: "Hello from fake upstream.",
    });
    expect(completion.choices[0]!.finish_reason).toBe("stop");
    expect(completion.usage).toEqual({
      prompt_tokens: 120,
      completion_tokens: 9,
      total_tokens: 129,
      prompt_tokens_details: { cached_tokens: 64 },
      completion_tokens_details: { reasoning_tokens: 0 },
    });
  });

  it("round-trips a tool call: tool_calls + finish tool_calls, then the tool result", async () => {
    const tools: OpenAI.Chat.ChatCompletionTool[] = [
      {
        type: "function",
        function: {
          name: "exec_command",
          parameters: { type: "object", properties: { cmd: { type: "string" } } },
        },
      },
    ];
    const first = await client.chat.completions.create({
      model: "gpt-5.5",
      messages: [{ role: "user", content: "RUN_TOOL please" }],
      tools,
    });
    const choice = first.choices[0]!;
    expect(choice.finish_reason).toBe("tool_calls");
    expect(choice.message.content).toBeNull();
    const call = choice.message.tool_calls![0] as OpenAI.Chat.ChatCompletionMessageFunctionToolCall;
    expect(call.type).toBe("function");
    expect(call.id).toMatch(/^call_/);
    expect(call.function).toEqual({ name: "exec_command", arguments: JSON.stringify({ cmd: "echo hi" }) });

    const second = await client.chat.completions.create({
      model: "gpt-5.5",
      messages: [
        { role: "user", content: "RUN_TOOL please" },
        choice.message,
        { role: "tool", tool_call_id: call.id, content: "hi\n" },
      ],
      tools,
    });
    expect(second.choices[0]!.message.content).toBe("Hello from fake upstream.");
    const sent = gw.fake.responsesFor(account()).at(-1)!.body as any;
    expect(sent.input).toEqual([
      { type: "message", role: "user", content: [{ type: "input_text", text: "RUN_TOOL please" }] },
      {
        type: "function_call",
        call_id: call.id,
        name: "exec_command",
        arguments: JSON.stringify({ cmd: "echo hi" }),
      },
      { type: "function_call_output", call_id: call.id, output: "hi\n" },
    ]);
  });

  it("maps an upstream failure to an HTTP error with its status", async () => {
    gw.fake.enqueue(account(), { kind: "response_failed", code: "context_length_exceeded" });
    const error = await client.chat.completions
      .create({ model: "gpt-5.5", messages: [{ role: "user", content: "hi" }] })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.BadRequestError);
    expect((error as InstanceType<typeof OpenAI.BadRequestError>).code).toBe("context_length_exceeded");
  });
});

describe("stream", () => {
  it("sends the role chunk first, content deltas, stop, the usage chunk, then [DONE]", async () => {
    const stream = await client.chat.completions.create({
      model: "gpt-5.5",
      messages: [{ role: "user", content: "Say hi" }],
      stream: true,
      stream_options: { include_usage: true },
    });
    const chunks: OpenAI.Chat.ChatCompletionChunk[] = [];
    for await (const chunk of stream) chunks.push(chunk);
    expect(chunks[0]!.choices[0]!.delta.role).toBe("assistant");
    expect(chunks.every((c) => c.object === "chat.completion.chunk" && c.id === chunks[0]!.id)).toBe(true);
    const text = chunks.map((c) => c.choices[0]?.delta.content ?? "").join("");
    expect(text).toBe("Hello from fake upstream.");
    expect(chunks.filter((c) => (c.choices[0]?.delta.content ?? "") !== "").length).toBe(2);
    const finish = chunks.find((c) => c.choices[0]?.finish_reason);
    expect(finish!.choices[0]!.finish_reason).toBe("stop");
    const last = chunks.at(-1)!;
    expect(last.choices).toEqual([]);
    expect(last.usage).toMatchObject({ prompt_tokens: 120, completion_tokens: 9, total_tokens: 129 });
  });

  it("sends text the final item adds beyond the deltas once, and nothing when it does not continue them", async () => {
    const turn = (deltas: string[], finalText: string) => {
      const item = (text?: string) => ({
        id: "msg_s",
        type: "message",
        role: "assistant",
        status: text === undefined ? "in_progress" : "completed",
        content: text === undefined ? [] : [{ type: "output_text", text, annotations: [] }],
      });
      const response = { id: "resp_s", object: "response", created_at: 1, model: "gpt-5.5", output: [] };
      return [
        { type: "response.created", response: { ...response, status: "in_progress" } },
        { type: "response.output_item.added", output_index: 0, item: item() },
        ...deltas.map((delta) => ({
          type: "response.output_text.delta",
          item_id: "msg_s",
          output_index: 0,
          content_index: 0,
          delta,
        })),
        { type: "response.output_item.done", output_index: 0, item: item(finalText) },
        { type: "response.completed", response: { ...response, status: "completed" } },
      ];
    };
    const text = async () => {
      const data = await sseData(
        await rawChat({ model: "gpt-5.5", messages: [{ role: "user", content: "hi" }], stream: true }),
      );
      return data
        .slice(0, -1)
        .map((d) => JSON.parse(d).choices[0]?.delta.content ?? "")
        .join("");
    };
    gw.fake.enqueue(account(), { kind: "scripted", events: turn(["Hel", "lo"], "Hello, world") });
    expect(await text()).toBe("Hello, world");
    gw.fake.enqueue(account(), { kind: "scripted", events: turn(["Hel", "lo"], "Hello") });
    expect(await text()).toBe("Hello");
    // A final item that does not start with what was streamed adds nothing.
    gw.fake.enqueue(account(), { kind: "scripted", events: turn(["Hel", "lo"], "Goodbye, world") });
    expect(await text()).toBe("Hello");
  });

  it("ends the raw stream with [DONE], and sends no usage chunk unless asked", async () => {
    const data = await sseData(
      await rawChat({ model: "gpt-5.5", messages: [{ role: "user", content: "hi" }], stream: true }),
    );
    expect(data.at(-1)).toBe("[DONE]");
    const chunks = data.slice(0, -1).map((d) => JSON.parse(d));
    expect(chunks.some((c) => "usage" in c)).toBe(false);
    expect(chunks.at(-1).choices[0].finish_reason).toBe("stop");
  });

  it("streams tool-call deltas and finishes with tool_calls", async () => {
    const stream = await client.chat.completions.create({
      model: "gpt-5.5",
      messages: [{ role: "user", content: "RUN_TOOL now" }],
      tools: [{ type: "function", function: { name: "exec_command", parameters: { type: "object" } } }],
      stream: true,
    });
    const calls: Record<number, { id?: string; name?: string; args: string }> = {};
    let finishReason: string | null = null;
    for await (const chunk of stream) {
      for (const delta of chunk.choices[0]?.delta.tool_calls ?? []) {
        calls[delta.index] ??= { args: "" };
        const entry = calls[delta.index]!;
        if (delta.id) entry.id = delta.id;
        if (delta.function?.name) entry.name = delta.function.name;
        entry.args += delta.function?.arguments ?? "";
      }
      finishReason = chunk.choices[0]?.finish_reason ?? finishReason;
    }
    expect(finishReason).toBe("tool_calls");
    expect(Object.keys(calls)).toEqual(["0"]);
    expect(calls[0]).toMatchObject({ name: "exec_command", args: JSON.stringify({ cmd: "echo hi" }) });
    expect(calls[0]!.id).toMatch(/^call_/);
  });

  it("ends an interrupted stream with one error chunk and no [DONE]", async () => {
    gw.fake.enqueue(account(), { kind: "drop_mid_stream" });
    const data = await sseData(
      await rawChat({ model: "gpt-5.5", messages: [{ role: "user", content: "hi" }], stream: true }),
    );
    expect(data).not.toContain("[DONE]");
    const last = JSON.parse(data.at(-1)!);
    expect(last).toEqual({
      error: {
        message: "upstream request failed: stream interrupted before terminal response event",
        type: "server_error",
        code: "server_error",
        param: null,
      },
    });
    const content = data
      .slice(0, -1)
      .map((d) => JSON.parse(d).choices[0]?.delta.content ?? "")
      .join("");
    expect(content).toBe("Hello from a stream that will drop");
    expect(data.filter((d) => d.includes('"error"'))).toHaveLength(1);
  });

  it("makes the SDK throw on an interrupted stream after yielding the text so far", async () => {
    gw.fake.enqueue(account(), { kind: "drop_mid_stream" });
    const stream = await client.chat.completions.create({
      model: "gpt-5.5",
      messages: [{ role: "user", content: "hi" }],
      stream: true,
    });
    let text = "";
    const error = await (async () => {
      for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? "";
    })().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.APIError);
    expect((error as InstanceType<typeof OpenAI.APIError>).code).toBe("server_error");
    expect(text).toBe("Hello from a stream that will drop");
  });

  it("delivers chunks while the upstream is still streaming, and a client that leaves stops the upstream", async () => {
    const fresh = await gw.seed({ accounts: 1 });
    gw.fake.enqueue(fresh.accounts[0]!.accountId, { kind: "text", pauseAfterEvent: 4 });
    const response = await rawChat(
      { model: "gpt-5.5", messages: [{ role: "user", content: "hi" }], stream: true },
      fresh.key,
    );
    expect(response.status).toBe(200);
    const reader = response.body!.getReader();
    let seen = "";
    while (!seen.includes('"content":"Hello"')) {
      const { value, done } = await reader.read();
      expect(done).toBe(false);
      seen += new TextDecoder().decode(value);
    }
    // The upstream is paused after its first delta, so nothing final can have arrived yet.
    expect(seen).not.toContain('finish_reason":"stop');
    expect(seen).not.toContain("[DONE]");
    await reader.cancel();
    const rows = await gw.requestLogs(fresh.keyId);
    expect(rows[0]).toMatchObject({ route: "/v1/chat/completions", status: 499, errorCode: "client_closed" });
    gw.fake.releasePaused();
  });

  it("turns a failure at the first event into an HTTP error, not a 200 stream", async () => {
    gw.fake.enqueue(account(), { kind: "response_failed", code: "context_length_exceeded" });
    const response = await rawChat({
      model: "gpt-5.5",
      messages: [{ role: "user", content: "hi" }],
      stream: true,
    });
    expect(response.status).toBe(400);
    const body = await response.json();
    expect(body.error).toMatchObject({
      code: "context_length_exceeded",
      type: "invalid_request_error",
      param: null,
    });
    expect(body.error.message).toContain("context window");
  });
});

describe("headers sent upstream", () => {
  it("sends the gateway's own Codex identity, not the SDK's, and still forwards the session", async () => {
    const before = upstreamCount();
    const response = await rawChat(
      { model: "gpt-5.5", messages: [{ role: "user", content: "hi" }] },
      seeded.key,
      {
        "User-Agent": "OpenAI/JS 6.0.0",
        Originator: "my-sdk",
        version: "9.9.9",
        "Session-Id": "chat-session-1",
      },
    );
    expect(response.status).toBe(200);
    await response.text();
    const recorded = gw.fake.responsesFor(account())[before]!;
    expect(recorded.headers.originator).toBe("codex_cli_rs");
    expect(recorded.headers["user-agent"]).toMatch(/^codex_cli_rs\//);
    expect(recorded.headers.version).toBeUndefined();
    expect(recorded.headers["session-id"]).toBe("chat-session-1");
  });
});

describe("errors before output", () => {
  it("answers 429 usage_limit_reached in the OpenAI envelope and tells SDKs not to retry", async () => {
    const fresh = await gw.seed({ accounts: 1 });
    gw.fake.enqueue(fresh.accounts[0]!.accountId, { kind: "usage_limit_429", resetsInSeconds: 1800 });
    const response = await rawChat(
      { model: "gpt-5.5", messages: [{ role: "user", content: "hi" }], stream: true },
      fresh.key,
    );
    expect(response.status).toBe(429);
    expect(response.headers.get("x-should-retry")).toBe("false");
    const body = await response.json();
    expect(body.error).toMatchObject({
      code: "usage_limit_reached",
      type: "invalid_request_error",
      param: null,
    });
    expect(body.error.message).toContain("resets at");
    // The account is now known to be out: the next request is refused without an upstream call.
    const before = gw.fake.responsesFor(fresh.accounts[0]!.accountId).length;
    const again = await rawChat({ model: "gpt-5.5", messages: [{ role: "user", content: "hi" }] }, fresh.key);
    expect(again.status).toBe(429);
    expect((await again.json()).error.type).toBe("invalid_request_error");
    expect(gw.fake.responsesFor(fresh.accounts[0]!.accountId).length).toBe(before);
  });

  it("logs the turn under the public route with its transport and usage", async () => {
    const fresh = await gw.seed({ accounts: 1 });
    const ownClient = openaiFor(gw, fresh.key);
    await ownClient.chat.completions.create({
      model: "gpt-5.5",
      messages: [{ role: "user", content: "hi" }],
    });
    const stream = await ownClient.chat.completions.create({
      model: "gpt-5.5",
      messages: [{ role: "user", content: "hi" }],
      stream: true,
    });
    for await (const _ of stream) {
      // drain
    }
    const rows = await gw.requestLogs(fresh.keyId, 2);
    expect(rows.map((r: any) => [r.route, r.transport, r.status, r.model]).sort()).toEqual([
      ["/v1/chat/completions", "http_json", 200, "gpt-5.5"],
      ["/v1/chat/completions", "http_sse", 200, "gpt-5.5"],
    ]);
    expect(rows[0].usage).toMatchObject({ inputTokens: 120, outputTokens: 9 });
  });
});

describe("parameters that cannot be honoured", () => {
  it.each([
    ["n", { n: 2 }],
    ["logprobs", { logprobs: true }],
    ["top_logprobs", { top_logprobs: 3 }],
    ["seed", { seed: 42 }],
    ["stop", { stop: ["END"] }],
    ["frequency_penalty", { frequency_penalty: 0.5 }],
    ["presence_penalty", { presence_penalty: 0.5 }],
    ["logit_bias", { logit_bias: { "50256": -100 } }],
    ["audio", { audio: { voice: "alloy", format: "wav" } }],
    ["modalities", { modalities: ["text", "audio"] }],
    ["prediction", { prediction: { type: "content", content: "x" } }],
    ["web_search_options", { web_search_options: {} }],
    ["functions", { functions: [{ name: "f", parameters: {} }] }],
    ["function_call", { function_call: "auto" }],
    ["stream_options.foo", { stream: true, stream_options: { foo: true } }],
    ["some_new_field", { some_new_field: 1 }],
  ])("%s is a 400 unsupported_parameter naming it, with no upstream call", async (param, extra) => {
    const before = upstreamCount();
    const response = await rawChat({
      model: "gpt-5.5",
      messages: [{ role: "user", content: "hi" }],
      ...extra,
    });
    expect(response.status).toBe(400);
    const body = await response.json();
    expect(body.error).toMatchObject({ code: "unsupported_parameter", type: "invalid_request_error", param });
    expect(body.error.message).toContain(param);
    expect(upstreamCount()).toBe(before);
  });

  it("takes a body nested 256 levels deep and refuses one level more, objects and arrays alike", async () => {
    /** Tool parameters nested `levels` deep, objects and arrays in turn: the body is 4 levels deeper. */
    const nested = (levels: number): unknown => {
      let value: unknown = 1;
      for (let i = levels; i > 1; i--) value = i % 2 === 0 ? [0, value] : { a: "x", b: value };
      return { type: "object", properties: value };
    };
    const body = (levels: number) => ({
      model: "gpt-5.5",
      messages: [{ role: "user", content: "hi" }],
      tools: [{ type: "function", function: { name: "f", parameters: nested(levels) } }],
    });
    const ok = await rawChat(body(252));
    expect(ok.status).toBe(200);
    await ok.text();
    const before = upstreamCount();
    const deep = await rawChat(body(253));
    expect(deep.status).toBe(400);
    expect((await deep.json()).error.message).toBe("request body is nested more than 256 levels deep");
    expect(upstreamCount()).toBe(before);
  });

  it("accepts the values that ask for nothing (n:1, logprobs:false, penalties 0)", async () => {
    const response = await rawChat({
      model: "gpt-5.5",
      messages: [{ role: "user", content: "hi" }],
      n: 1,
      logprobs: false,
      frequency_penalty: 0,
      presence_penalty: 0,
    });
    expect(response.status).toBe(200);
    expect((await response.json()).choices[0].message.content).toBe("Hello from fake upstream.");
  });

  it.each([
    ["missing model", { messages: [{ role: "user", content: "hi" }] }, "model"],
    ["empty messages", { model: "gpt-5.5", messages: [] }, "messages"],
    ["bad role", { model: "gpt-5.5", messages: [{ role: "robot", content: "hi" }] }, "messages[0].role"],
    [
      "zero max tokens",
      { model: "gpt-5.5", messages: [{ role: "user", content: "hi" }], max_tokens: 0 },
      "max_tokens",
    ],
    [
      "bad verbosity",
      { model: "gpt-5.5", messages: [{ role: "user", content: "hi" }], verbosity: "loud" },
      "verbosity",
    ],
    [
      "bad service tier",
      { model: "gpt-5.5", messages: [{ role: "user", content: "hi" }], service_tier: "gold" },
      "service_tier",
    ],
    [
      "http image",
      {
        model: "gpt-5.5",
        messages: [{ role: "user", content: [{ type: "image_url", image_url: { url: "http://x/a.png" } }] }],
      },
      "messages[0].content[0].image_url",
    ],
    [
      "MCP tool",
      {
        model: "gpt-5.5",
        messages: [{ role: "user", content: "hi" }],
        tools: [{ type: "mcp", server_label: "x", server_url: "https://mcp.example" }],
      },
      "tools[0].type",
    ],
  ])("%s is a 400 invalid_request naming the field, with no upstream call", async (_name, body, param) => {
    const before = upstreamCount();
    const response = await rawChat(body);
    expect(response.status).toBe(400);
    expect((await response.json()).error).toMatchObject({ code: "invalid_request", param });
    expect(upstreamCount()).toBe(before);
  });

  it("rejects a body that is not JSON", async () => {
    const response = await rawChat("{not json");
    expect(response.status).toBe(400);
    expect((await response.json()).error).toMatchObject({
      code: "invalid_request",
      message: "request body must be valid JSON",
    });
  });
});

describe("key policy", () => {
  it("applies the key's model list and effort ceiling to /v1 turns, before any upstream call", async () => {
    const created = await gw.admin("POST", "/keys", {
      pool: seeded.pool,
      label: "limited",
      policy: { allowedModels: ["gpt-5.5"], maxReasoningEffort: "low" },
    });
    expect(created.status).toBe(201);
    const key = created.body.secret as string;
    const before = upstreamCount();
    const wrongModel = await rawChat(
      { model: "gpt-5.4-mini", messages: [{ role: "user", content: "hi" }] },
      key,
    );
    expect(wrongModel.status).toBe(403);
    expect((await wrongModel.json()).error).toMatchObject({ code: "model_not_allowed", param: "model" });
    const tooHigh = await rawChat(
      { model: "gpt-5.5", messages: [{ role: "user", content: "hi" }], reasoning_effort: "high" },
      key,
    );
    expect(tooHigh.status).toBe(400);
    expect((await tooHigh.json()).error).toMatchObject({
      code: "reasoning_effort_not_allowed",
      param: "reasoning_effort",
    });
    expect(upstreamCount()).toBe(before);
    const allowed = await rawChat(
      { model: "gpt-5.5", messages: [{ role: "user", content: "hi" }], reasoning_effort: "low" },
      key,
    );
    expect(allowed.status).toBe(200);
  });
});
