// Translation table: each Chat Completions (and /v1/responses) feature → the Codex Responses body
// the fake upstream actually received.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Seeded, startTestGateway, type TestGateway } from "./helpers/gateway.ts";

let gw: TestGateway;
let seeded: Seeded;

beforeAll(async () => {
  gw = await startTestGateway({ POOLER_SSE_KEEPALIVE_MS: "0" });
  seeded = await gw.seed({ accounts: 1 });
});
afterAll(async () => {
  await gw?.stop();
});

const USER = { role: "user", content: "hi" };

/** Sends a request and returns the body the upstream received for it. */
async function sent(path: "/v1/chat/completions" | "/v1/responses", body: Record<string, unknown>) {
  const account = seeded.accounts[0]!.accountId;
  const before = gw.fake.responsesFor(account).length;
  const response = await fetch(`${gw.url}${path}`, {
    method: "POST",
    headers: { authorization: `Bearer ${seeded.key}`, "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  const text = await response.text();
  expect(response.status, text).toBe(200);
  const requests = gw.fake.responsesFor(account);
  expect(requests.length).toBe(before + 1);
  return requests.at(-1)!.body as Record<string, any>;
}

const chat = (extra: Record<string, unknown>) =>
  sent("/v1/chat/completions", { model: "gpt-5.5", messages: [USER], ...extra });

describe("chat → Codex Responses", () => {
  it("always sends the Codex envelope: stream, store:false, encrypted reasoning, instructions", async () => {
    const body = await chat({ stream: false, store: true });
    expect(body).toEqual({
      model: "gpt-5.5",
      instructions: "",
      input: [{ type: "message", role: "user", content: [{ type: "input_text", text: "hi" }] }],
      reasoning: {},
      include: ["reasoning.encrypted_content"],
      stream: true,
      store: false,
    });
  });

  it("lifts system and developer messages into instructions, in order", async () => {
    const body = await chat({
      messages: [
        { role: "system", content: "Rule one." },
        { role: "developer", content: [{ type: "text", text: "Rule two." }] },
        USER,
      ],
    });
    expect(body.instructions).toBe("Rule one.\n\nRule two.");
    expect(body.input).toEqual([
      { type: "message", role: "user", content: [{ type: "input_text", text: "hi" }] },
    ]);
  });

  it("maps user parts: text, image_url (string and object with detail), file_data, input_audio", async () => {
    const png = "data:image/png;base64,iVBORw0KGgo=";
    const body = await chat({
      messages: [
        {
          role: "user",
          content: [
            { type: "text", text: "look" },
            { type: "image_url", image_url: { url: png, detail: "low" } },
            { type: "image_url", image_url: "https://example.com/a.png" },
            { type: "file", file: { filename: "a.pdf", file_data: "data:application/pdf;base64,JVBERi0=" } },
            { type: "input_audio", input_audio: { data: "UklGRg==", format: "wav" } },
          ],
        },
      ],
    });
    expect(body.input[0].content).toEqual([
      { type: "input_text", text: "look" },
      { type: "input_image", image_url: png, detail: "low" },
      { type: "input_image", image_url: "https://example.com/a.png" },
      { type: "input_file", filename: "a.pdf", file_data: "data:application/pdf;base64,JVBERi0=" },
      { type: "input_audio", input_audio: { data: "UklGRg==", format: "wav" } },
    ]);
  });

  it("maps assistant text and tool calls, and tool messages to outputs", async () => {
    const body = await chat({
      messages: [
        USER,
        {
          role: "assistant",
          content: "Checking.",
          tool_calls: [
            { id: "call_a", type: "function", function: { name: "lookup", arguments: '{"q":"x"}' } },
            { id: "call_b", type: "custom", custom: { name: "apply_patch", input: "*** Begin Patch" } },
          ],
        },
        { role: "tool", tool_call_id: "call_a", content: [{ type: "text", text: "found" }] },
        { role: "tool", tool_call_id: "call_b", content: "patched" },
      ],
    });
    expect(body.input.slice(1)).toEqual([
      { type: "message", role: "assistant", content: [{ type: "output_text", text: "Checking." }] },
      { type: "function_call", call_id: "call_a", name: "lookup", arguments: '{"q":"x"}' },
      { type: "custom_tool_call", call_id: "call_b", name: "apply_patch", input: "*** Begin Patch" },
      { type: "function_call_output", call_id: "call_a", output: "found" },
      { type: "custom_tool_call_output", call_id: "call_b", output: "patched" },
    ]);
  });

  it("flattens function and custom tools and translates tool_choice", async () => {
    const parameters = { type: "object", properties: { q: { type: "string" } }, required: ["q"] };
    const body = await chat({
      tools: [
        { type: "function", function: { name: "lookup", description: "Find", parameters, strict: true } },
        { type: "custom", custom: { name: "apply_patch", description: "Patch", format: { type: "text" } } },
      ],
      tool_choice: { type: "function", function: { name: "lookup" } },
      parallel_tool_calls: false,
    });
    expect(body.tools).toEqual([
      { type: "function", name: "lookup", description: "Find", parameters, strict: true },
      { type: "custom", name: "apply_patch", description: "Patch", format: { type: "text" } },
    ]);
    expect(body.tool_choice).toEqual({ type: "function", name: "lookup" });
    expect(body.parallel_tool_calls).toBe(false);
  });

  it.each([
    ["required", "required"],
    [
      { type: "custom", custom: { name: "apply_patch" } },
      { type: "custom", name: "apply_patch" },
    ],
    [
      {
        type: "allowed_tools",
        allowed_tools: { mode: "auto", tools: [{ type: "function", function: { name: "lookup" } }] },
      },
      { type: "allowed_tools", mode: "auto", tools: [{ type: "function", name: "lookup" }] },
    ],
  ])("tool_choice %j → %j", async (choice, expected) => {
    const body = await chat({
      tools: [{ type: "function", function: { name: "lookup", parameters: { type: "object" } } }],
      tool_choice: choice,
    });
    expect(body.tool_choice).toEqual(expected);
  });

  it("leaves tools out when the client sent none", async () => {
    const body = await chat({});
    expect("tools" in body).toBe(false);
    expect("tool_choice" in body).toBe(false);
  });

  it.each([
    [{ type: "json_object" }, undefined, { format: { type: "json_object" } }],
    [{ type: "text" }, "high", { format: { type: "text" }, verbosity: "high" }],
    [
      {
        type: "json_schema",
        json_schema: { name: "answer", strict: true, schema: { type: "object", properties: {} } },
      },
      undefined,
      {
        format: {
          type: "json_schema",
          name: "answer",
          strict: true,
          schema: { type: "object", properties: {} },
        },
      },
    ],
    [undefined, "low", { verbosity: "low" }],
  ])("response_format %j + verbosity %s → text %j", async (format, verbosity, expected) => {
    const body = await chat({ response_format: format, verbosity });
    expect(body.text).toEqual(expected);
  });

  it.each([
    [{ max_completion_tokens: 300 }, 300],
    [{ max_tokens: 200 }, 200],
    [{ max_tokens: 200, max_completion_tokens: 100 }, 100],
  ])("%j → max_output_tokens %i", async (extra, expected) => {
    expect((await chat(extra)).max_output_tokens).toBe(expected);
  });

  it.each([
    ["High", "high"],
    ["minimal", "low"],
    ["none", "none"],
  ])("reasoning_effort %s → reasoning.effort %s", async (effort, expected) => {
    expect((await chat({ reasoning_effort: effort })).reasoning).toEqual({ effort: expected });
  });

  it("copies the pass-through fields and canonicalizes service_tier and user", async () => {
    const body = await chat({
      temperature: 0.2,
      top_p: 0.9,
      metadata: { ticket: "42" },
      prompt_cache_key: "cache-1",
      prompt_cache_retention: "24h",
      service_tier: "fast",
      user: "end-user-7",
    });
    expect(body).toMatchObject({
      temperature: 0.2,
      top_p: 0.9,
      metadata: { ticket: "42" },
      prompt_cache_key: "cache-1",
      prompt_cache_retention: "24h",
      service_tier: "priority",
      safety_identifier: "end-user-7",
    });
    expect("user" in body).toBe(false);
    expect("stream_options" in body).toBe(false);
  });

  it("passes a Responses-style input body sent to the chat route", async () => {
    const body = await sent("/v1/chat/completions", {
      model: "gpt-5.5",
      instructions: "Be terse.",
      input: "hello",
    });
    expect(body.instructions).toBe("Be terse.");
    expect(body.input).toEqual([
      { type: "message", role: "user", content: [{ type: "input_text", text: "hello" }] },
    ]);
  });
});

describe("/v1/responses → Codex Responses", () => {
  it("forces the envelope, lifts system input, keeps include entries once", async () => {
    const body = await sent("/v1/responses", {
      model: "gpt-5.5",
      instructions: "Top.",
      input: [
        { type: "message", role: "developer", content: [{ type: "input_text", text: "Dev." }] },
        { role: "user", content: "hi" },
      ],
      include: ["reasoning.encrypted_content", "web_search_call.action.sources"],
      store: true,
      stream: false,
      reasoning: { effort: "ultra", summary: "auto", context: " ALL_TURNS " },
      text: { format: { type: "json_object" } },
      truncation: "auto",
      max_output_tokens: 500,
    });
    expect(body.instructions).toBe("Top.\n\nDev.");
    expect(body.input).toEqual([{ role: "user", content: "hi" }]);
    expect(body.include).toEqual(["web_search_call.action.sources", "reasoning.encrypted_content"]);
    expect(body).toMatchObject({
      stream: true,
      store: false,
      reasoning: { effort: "max", summary: "auto", context: "all_turns" },
      text: { format: { type: "json_object" } },
      max_output_tokens: 500,
    });
    expect("truncation" in body).toBe(false);
  });

  it("turns a string input into one user message and passes tools through", async () => {
    const tools = [
      { type: "function", name: "lookup", parameters: { type: "object" }, strict: false },
      {
        type: "custom",
        name: "apply_patch",
        format: { type: "grammar", syntax: "lark", definition: "start: /.+/" },
      },
      { type: "web_search" },
    ];
    const body = await sent("/v1/responses", {
      model: "gpt-5.5",
      input: "hello",
      tools,
      tool_choice: "auto",
    });
    expect(body.input).toEqual([
      { type: "message", role: "user", content: [{ type: "input_text", text: "hello" }] },
    ]);
    expect(body.tools).toEqual(tools);
    expect(body.tool_choice).toBe("auto");
    expect(body.instructions).toBe("");
  });
});
