// Translation table: each Chat Completions (and /v1/responses) feature → the Codex Responses body
// the fake upstream actually received.
import { describe, expect, it } from "vitest";
import { NO_KEEPALIVE, useTestGateway } from "./helpers/gateway.ts";

const { gw, seeded } = useTestGateway({ env: NO_KEEPALIVE, seed: { accounts: 1 } });

type Route = "/v1/chat/completions" | "/v1/responses";

/** Sends a request and returns the body the upstream received for it. */
async function sent(route: Route, body: Record<string, unknown>) {
  const account = seeded.accounts[0]!.accountId;
  const before = gw.fake.responsesFor(account).length;
  const response = await gw.post(route, seeded.key, body);
  const text = await response.text();
  expect(response.status, text).toBe(200);
  const requests = gw.fake.responsesFor(account);
  expect(requests.length).toBe(before + 1);
  return requests.at(-1)!.body as Record<string, any>;
}

const USER = { role: "user", content: "hi" };
const USER_INPUT = { type: "message", role: "user", content: [{ type: "input_text", text: "hi" }] };
const PNG = "data:image/png;base64,iVBORw0KGgo=";
const PARAMETERS = { type: "object", properties: { q: { type: "string" } }, required: ["q"] };
const LOOKUP = { type: "function", function: { name: "lookup", parameters: { type: "object" } } };
const RESPONSES_TOOLS = [
  { type: "function", name: "lookup", parameters: { type: "object" }, strict: false },
  {
    type: "custom",
    name: "apply_patch",
    format: { type: "grammar", syntax: "lark", definition: "start: /.+/" },
  },
  { type: "web_search" },
];

/**
 * One translation: the request a client sends to `route` → the top-level fields of the body the
 * upstream receives (`undefined`: the field is left out).
 */
interface Translation {
  name: string;
  route: Route;
  request: Record<string, unknown>;
  upstream: Record<string, unknown>;
}

/** A chat request: one user message unless `extra` says otherwise. */
const chat = (
  name: string,
  extra: Record<string, unknown>,
  upstream: Record<string, unknown>,
): Translation => ({
  name,
  route: "/v1/chat/completions",
  request: { model: "gpt-5.5", messages: [USER], ...extra },
  upstream,
});

const CHAT: Translation[] = [
  chat(
    "lifts system and developer messages into instructions, in order",
    {
      messages: [
        { role: "system", content: "Rule one." },
        { role: "developer", content: [{ type: "text", text: "Rule two." }] },
        USER,
      ],
    },
    { instructions: "Rule one.\n\nRule two.", input: [USER_INPUT] },
  ),
  chat(
    "maps user parts: text, image_url (string and object with detail), file_data, input_audio",
    {
      messages: [
        {
          role: "user",
          content: [
            { type: "text", text: "look" },
            { type: "image_url", image_url: { url: PNG, detail: "low" } },
            { type: "image_url", image_url: "https://example.com/a.png" },
            { type: "file", file: { filename: "a.pdf", file_data: "data:application/pdf;base64,JVBERi0=" } },
            { type: "input_audio", input_audio: { data: "UklGRg==", format: "wav" } },
          ],
        },
      ],
    },
    {
      input: [
        {
          type: "message",
          role: "user",
          content: [
            { type: "input_text", text: "look" },
            { type: "input_image", image_url: PNG, detail: "low" },
            { type: "input_image", image_url: "https://example.com/a.png" },
            { type: "input_file", filename: "a.pdf", file_data: "data:application/pdf;base64,JVBERi0=" },
            { type: "input_audio", input_audio: { data: "UklGRg==", format: "wav" } },
          ],
        },
      ],
    },
  ),
  chat(
    "maps assistant text and tool calls, and tool messages to outputs",
    {
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
    },
    {
      input: [
        USER_INPUT,
        { type: "message", role: "assistant", content: [{ type: "output_text", text: "Checking." }] },
        { type: "function_call", call_id: "call_a", name: "lookup", arguments: '{"q":"x"}' },
        { type: "custom_tool_call", call_id: "call_b", name: "apply_patch", input: "*** Begin Patch" },
        { type: "function_call_output", call_id: "call_a", output: "found" },
        { type: "custom_tool_call_output", call_id: "call_b", output: "patched" },
      ],
    },
  ),
  chat(
    "flattens function and custom tools and translates tool_choice",
    {
      tools: [
        {
          type: "function",
          function: { name: "lookup", description: "Find", parameters: PARAMETERS, strict: true },
        },
        { type: "custom", custom: { name: "apply_patch", description: "Patch", format: { type: "text" } } },
      ],
      tool_choice: { type: "function", function: { name: "lookup" } },
      parallel_tool_calls: false,
    },
    {
      tools: [
        { type: "function", name: "lookup", description: "Find", parameters: PARAMETERS, strict: true },
        { type: "custom", name: "apply_patch", description: "Patch", format: { type: "text" } },
      ],
      tool_choice: { type: "function", name: "lookup" },
      parallel_tool_calls: false,
    },
  ),
  ...(
    [
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
    ] as const
  ).map(([choice, expected]) =>
    chat(
      `tool_choice ${JSON.stringify(choice)}`,
      { tools: [LOOKUP], tool_choice: choice },
      { tool_choice: expected },
    ),
  ),
  chat("leaves tools out when the client sent none", {}, { tools: undefined, tool_choice: undefined }),
  ...(
    [
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
    ] as const
  ).map(([format, verbosity, text]) =>
    chat(
      `response_format ${JSON.stringify(format)} + verbosity ${verbosity} → text`,
      { response_format: format, verbosity },
      { text },
    ),
  ),
  ...(
    [
      [{ max_completion_tokens: 300 }, 300],
      [{ max_tokens: 200 }, 200],
      [{ max_tokens: 200, max_completion_tokens: 100 }, 100],
    ] as const
  ).map(([extra, tokens]) =>
    chat(`${JSON.stringify(extra)} → max_output_tokens`, extra, { max_output_tokens: tokens }),
  ),
  ...(
    [
      ["High", "high"],
      ["minimal", "low"],
      ["none", "none"],
    ] as const
  ).map(([effort, expected]) =>
    chat(
      `reasoning_effort ${effort} → reasoning.effort`,
      { reasoning_effort: effort },
      { reasoning: { effort: expected } },
    ),
  ),
  chat(
    "copies the pass-through fields and canonicalizes service_tier and user",
    {
      temperature: 0.2,
      top_p: 0.9,
      metadata: { ticket: "42" },
      prompt_cache_key: "cache-1",
      prompt_cache_retention: "24h",
      service_tier: "fast",
      user: "end-user-7",
    },
    {
      temperature: 0.2,
      top_p: 0.9,
      metadata: { ticket: "42" },
      prompt_cache_key: "cache-1",
      prompt_cache_retention: "24h",
      service_tier: "priority",
      safety_identifier: "end-user-7",
      user: undefined,
      stream_options: undefined,
    },
  ),
  {
    name: "passes a Responses-style input body sent to the chat route",
    route: "/v1/chat/completions",
    request: { model: "gpt-5.5", instructions: "Be terse.", input: "hello" },
    upstream: {
      instructions: "Be terse.",
      input: [{ type: "message", role: "user", content: [{ type: "input_text", text: "hello" }] }],
    },
  },
];

const RESPONSES: Translation[] = [
  {
    name: "forces the envelope, lifts system input, keeps include entries once",
    route: "/v1/responses",
    request: {
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
    },
    upstream: {
      instructions: "Top.\n\nDev.",
      input: [{ role: "user", content: "hi" }],
      include: ["web_search_call.action.sources", "reasoning.encrypted_content"],
      stream: true,
      store: false,
      reasoning: { effort: "max", summary: "auto", context: "all_turns" },
      text: { format: { type: "json_object" } },
      max_output_tokens: 500,
      truncation: undefined,
    },
  },
  {
    name: "turns a string input into one user message and passes tools through",
    route: "/v1/responses",
    request: { model: "gpt-5.5", input: "hello", tools: RESPONSES_TOOLS, tool_choice: "auto" },
    upstream: {
      input: [{ type: "message", role: "user", content: [{ type: "input_text", text: "hello" }] }],
      tools: RESPONSES_TOOLS,
      tool_choice: "auto",
      instructions: "",
    },
  },
];

describe("chat → Codex Responses", () => {
  it("always sends the Codex envelope: stream, store:false, encrypted reasoning, instructions", async () => {
    const body = await sent("/v1/chat/completions", {
      model: "gpt-5.5",
      messages: [USER],
      stream: false,
      store: true,
    });
    expect(body).toEqual({
      model: "gpt-5.5",
      instructions: "",
      input: [USER_INPUT],
      reasoning: {},
      include: ["reasoning.encrypted_content"],
      stream: true,
      store: false,
    });
  });
});

describe.each([
  ["chat → Codex Responses", CHAT],
  ["/v1/responses → Codex Responses", RESPONSES],
])("%s", (_title, table) => {
  it.each(table.map((t) => [t.name, t] as const))("%s", async (_name, { route, request, upstream }) => {
    const body = await sent(route, request);
    const fields = Object.fromEntries(Object.keys(upstream).map((field) => [field, body[field]]));
    expect(fields).toEqual(upstream);
  });
});
