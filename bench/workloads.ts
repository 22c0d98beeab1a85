// The bench's turns. The toy turn is one short user message and the fake's 9-event text answer. The
// realistic turn is what a Codex session sends a few turns in: ~100 KB of request (instructions, tool
// definitions, the conversation so far with tool calls and their output) and a 200-event answer
// (reasoning summary, then the text in small deltas, as the model streams it).
import type { SseEvent } from "../test/fake-upstream/sse.ts";

export type Workload = "toy" | "realistic";

export const TOY_CODEX_BODY = {
  model: "gpt-5.5",
  stream: true,
  store: false,
  instructions: "You are a helpful assistant.",
  input: [{ type: "message", role: "user", content: [{ type: "input_text", text: "Say hi" }] }],
};
export const TOY_CHAT_BODY = {
  model: "gpt-5.5",
  stream: true,
  messages: [{ role: "user", content: "Say hi" }],
};

/** Deterministic prose of `length` characters (no randomness: every run sends the same bytes). */
function prose(length: number, seed: number): string {
  const words = ["the", "function", "returns", "a", "value", "when", "called", "with", "input", "file"];
  const out: string[] = [];
  let n = 0;
  for (let i = 0; n < length; i++) {
    const word = words[(i * 7 + seed) % words.length] as string;
    out.push(word);
    n += word.length + 1;
  }
  return out.join(" ").slice(0, length);
}

const TOOLS = [
  {
    name: "shell",
    description: prose(600, 1),
    parameters: {
      type: "object",
      properties: { command: { type: "array", items: { type: "string" } }, workdir: { type: "string" } },
      required: ["command"],
    },
  },
  {
    name: "apply_patch",
    description: prose(1500, 2),
    parameters: { type: "object", properties: { input: { type: "string" } }, required: ["input"] },
  },
  {
    name: "update_plan",
    description: prose(400, 3),
    parameters: { type: "object", properties: { plan: { type: "array", items: { type: "object" } } } },
  },
];

/** The history: `turns` user turns, each with two tool calls and their output, then the answer. */
function history(turns: number) {
  const codex: unknown[] = [];
  const chat: unknown[] = [];
  for (let t = 0; t < turns; t++) {
    const ask = prose(300, t);
    codex.push({ type: "message", role: "user", content: [{ type: "input_text", text: ask }] });
    chat.push({ role: "user", content: ask });
    const calls = [0, 1].map((c) => ({
      id: `call_${t}_${c}`,
      args: JSON.stringify({ command: ["bash", "-lc", `rg -n 'value' src/${t}/${c}`] }),
      output: prose(1700, t + c),
    }));
    for (const call of calls) {
      codex.push({ type: "function_call", name: "shell", arguments: call.args, call_id: call.id });
      codex.push({ type: "function_call_output", call_id: call.id, output: call.output });
    }
    chat.push({
      role: "assistant",
      content: null,
      tool_calls: calls.map((call) => ({
        id: call.id,
        type: "function",
        function: { name: "shell", arguments: call.args },
      })),
    });
    for (const call of calls) chat.push({ role: "tool", tool_call_id: call.id, content: call.output });
    const answer = prose(900, t + 5);
    codex.push({ type: "message", role: "assistant", content: [{ type: "output_text", text: answer }] });
    chat.push({ role: "assistant", content: answer });
  }
  return { codex, chat };
}

const HISTORY = history(18);
const INSTRUCTIONS = prose(6000, 9);

/** ~100 KB: a Codex request a few dozen turns into a session. */
export const REALISTIC_CODEX_BODY = {
  model: "gpt-5.5",
  stream: true,
  store: false,
  instructions: INSTRUCTIONS,
  tools: TOOLS.map((t) => ({ type: "function", strict: false, ...t })),
  tool_choice: "auto",
  parallel_tool_calls: false,
  reasoning: { effort: "medium", summary: "auto" },
  include: ["reasoning.encrypted_content"],
  prompt_cache_key: "bench-session",
  input: [
    ...HISTORY.codex,
    { type: "message", role: "user", content: [{ type: "input_text", text: "Go on" }] },
  ],
};

/** The same conversation as a chat request (~100 KB). */
export const REALISTIC_CHAT_BODY = {
  model: "gpt-5.5",
  stream: true,
  messages: [{ role: "system", content: INSTRUCTIONS }, ...HISTORY.chat, { role: "user", content: "Go on" }],
  tools: TOOLS.map((t) => ({ type: "function", function: t })),
  reasoning_effort: "medium",
};

/**
 * A 200-event answer: created, in progress, a reasoning item with its summary in 20 deltas, a message
 * with 169 small text deltas, the done events and completed (with the whole output, as Codex sends).
 */
export function realisticEvents(): SseEvent[] {
  const id = "resp_bench";
  const response = (status: string, output: unknown[]) => ({
    id,
    object: "response",
    created_at: 1_760_000_000,
    status,
    model: "gpt-5.5",
    output,
  });
  const summaryDeltas = Array.from({ length: 20 }, (_, i) => prose(24, i + 11));
  const summary = summaryDeltas.join("");
  const textDeltas = Array.from({ length: 169 }, (_, i) => ` ${prose(5 + (i % 9), i)}`);
  const text = textDeltas.join("");
  const reasoning = {
    id: "rs_bench",
    type: "reasoning",
    summary: [{ type: "summary_text", text: summary }],
    encrypted_content: `gAAAAB${"Q".repeat(1500)}`,
  };
  const part = { type: "output_text", annotations: [], text };
  const message = {
    id: "msg_bench",
    type: "message",
    status: "completed",
    role: "assistant",
    content: [part],
  };
  const rs = { item_id: "rs_bench", output_index: 0, summary_index: 0 };
  const at = { item_id: "msg_bench", output_index: 1, content_index: 0 };
  const events: SseEvent[] = [
    { type: "response.created", response: response("in_progress", []) },
    { type: "response.in_progress", response: response("in_progress", []) },
    {
      type: "response.output_item.added",
      output_index: 0,
      item: { id: "rs_bench", type: "reasoning", summary: [] },
    },
    ...summaryDeltas.map((delta) => ({ type: "response.reasoning_summary_text.delta", ...rs, delta })),
    { type: "response.reasoning_summary_text.done", ...rs, text: summary },
    { type: "response.output_item.done", output_index: 0, item: reasoning },
    {
      type: "response.output_item.added",
      output_index: 1,
      item: { id: "msg_bench", type: "message", status: "in_progress", role: "assistant", content: [] },
    },
    { type: "response.content_part.added", ...at, part: { type: "output_text", annotations: [], text: "" } },
    ...textDeltas.map((delta) => ({ type: "response.output_text.delta", ...at, delta })),
    { type: "response.output_text.done", ...at, text },
    { type: "response.content_part.done", ...at, part },
    { type: "response.output_item.done", output_index: 1, item: message },
    {
      type: "response.completed",
      response: {
        ...response("completed", [reasoning, message]),
        usage: {
          input_tokens: 25_000,
          input_tokens_details: { cached_tokens: 24_000 },
          output_tokens: 900,
          output_tokens_details: { reasoning_tokens: 300 },
          total_tokens: 25_900,
        },
      },
    },
  ];
  return events.map(({ type, ...rest }, i) => ({ type, sequence_number: i, ...rest }));
}
