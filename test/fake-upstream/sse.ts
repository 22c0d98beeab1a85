/** Builders for the golden SSE events of codex-protocol.md §9.1/§9.2. */

export interface SseEvent {
  type: string;
  [key: string]: unknown;
}

export function formatSse(event: SseEvent): string {
  return `event: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`;
}

/** Adds `sequence_number` right after `type`, matching the golden key order. */
function sequenced(events: SseEvent[], start = 0): SseEvent[] {
  return events.map(({ type, ...rest }, i) => ({ type, sequence_number: start + i, ...rest }));
}

export const TEXT_USAGE = {
  input_tokens: 120,
  input_tokens_details: { cached_tokens: 64 },
  output_tokens: 9,
  output_tokens_details: { reasoning_tokens: 0 },
  total_tokens: 129,
};

export const TOOL_USAGE = {
  input_tokens: 200,
  input_tokens_details: { cached_tokens: 0 },
  output_tokens: 30,
  output_tokens_details: { reasoning_tokens: 12 },
  total_tokens: 230,
};

export interface ResponseMeta {
  responseId: string;
  model: string;
  createdAt: number;
}

function responseObject(m: ResponseMeta, status: string, output: unknown[]): Record<string, unknown> {
  return { id: m.responseId, object: "response", created_at: m.createdAt, status, model: m.model, output };
}

/** "Hello from fake upstream." → ["Hello", " from fake upstream."] as in §9.1. */
export function splitDeltas(text: string): string[] {
  const i = text.indexOf(" ");
  return i > 0 ? [text.slice(0, i), text.slice(i)] : [text];
}

function textParts(m: ResponseMeta, itemId: string, text: string) {
  const part = { type: "output_text", annotations: [], text };
  const doneItem = { id: itemId, type: "message", status: "completed", role: "assistant", content: [part] };
  const at = { item_id: itemId, output_index: 0, content_index: 0 };
  const head: SseEvent[] = [
    { type: "response.created", response: responseObject(m, "in_progress", []) },
    { type: "response.in_progress", response: responseObject(m, "in_progress", []) },
    {
      type: "response.output_item.added",
      output_index: 0,
      item: { id: itemId, type: "message", status: "in_progress", role: "assistant", content: [] },
    },
    { type: "response.content_part.added", ...at, part: { type: "output_text", annotations: [], text: "" } },
  ];
  const deltas: SseEvent[] = splitDeltas(text).map((delta) => ({
    type: "response.output_text.delta",
    ...at,
    delta,
  }));
  return { head, deltas, part, doneItem, at };
}

export function textTurnEvents(m: ResponseMeta, itemId: string, text: string): SseEvent[] {
  const { head, deltas, part, doneItem, at } = textParts(m, itemId, text);
  return sequenced([
    ...head,
    ...deltas,
    { type: "response.output_text.done", ...at, text },
    { type: "response.content_part.done", ...at, part },
    { type: "response.output_item.done", output_index: 0, item: doneItem },
    {
      type: "response.completed",
      response: { ...responseObject(m, "completed", [doneItem]), usage: TEXT_USAGE },
    },
  ]);
}

/** created + output_item.added + two deltas, then the caller ends the body (no terminal event). */
export function droppedTurnEvents(m: ResponseMeta, itemId: string): SseEvent[] {
  const { head } = textParts(m, itemId, "");
  const at = { item_id: itemId, output_index: 0, content_index: 0 };
  const created = head[0] as SseEvent;
  const added = head[2] as SseEvent;
  return sequenced([
    created,
    added,
    { type: "response.output_text.delta", ...at, delta: "Hello" },
    { type: "response.output_text.delta", ...at, delta: " from a stream that will drop" },
  ]);
}

export interface ToolIds {
  reasoningId: string;
  callItemId: string;
  callId: string;
  encryptedContent: string;
}

export function toolCallTurnEvents(m: ResponseMeta, ids: ToolIds, command: string): SseEvent[] {
  const summary = `Planning to run ${command.split(" ")[0] ?? command}.`;
  const args = JSON.stringify({ cmd: command });
  const rs = { item_id: ids.reasoningId, output_index: 0, summary_index: 0 };
  const reasoningDone = {
    id: ids.reasoningId,
    type: "reasoning",
    summary: [{ type: "summary_text", text: summary }],
    encrypted_content: ids.encryptedContent,
  };
  const call = { id: ids.callItemId, type: "function_call", name: "exec_command", call_id: ids.callId };
  const callDone = { ...call, status: "completed", arguments: args };
  return sequenced([
    { type: "response.created", response: responseObject(m, "in_progress", []) },
    {
      type: "response.output_item.added",
      output_index: 0,
      item: { id: ids.reasoningId, type: "reasoning", summary: [] },
    },
    { type: "response.reasoning_summary_part.added", ...rs, part: { type: "summary_text", text: "" } },
    { type: "response.reasoning_summary_text.delta", ...rs, delta: summary },
    { type: "response.reasoning_summary_text.done", ...rs, text: summary },
    { type: "response.reasoning_summary_part.done", ...rs, part: { type: "summary_text", text: summary } },
    { type: "response.output_item.done", output_index: 0, item: reasoningDone },
    {
      type: "response.output_item.added",
      output_index: 1,
      item: { ...call, status: "in_progress", arguments: "" },
    },
    { type: "response.function_call_arguments.delta", item_id: ids.callItemId, output_index: 1, delta: args },
    {
      type: "response.function_call_arguments.done",
      item_id: ids.callItemId,
      output_index: 1,
      arguments: args,
    },
    { type: "response.output_item.done", output_index: 1, item: callDone },
    {
      type: "response.completed",
      response: { ...responseObject(m, "completed", [reasoningDone, callDone]), usage: TOOL_USAGE },
    },
  ]);
}

const FAILED_MESSAGES: Record<string, string> = {
  context_length_exceeded:
    "Your input exceeds the context window of this model. Please adjust your input and try again.",
  rate_limit_exceeded: "Rate limit reached. Please try again in 2s.",
  server_is_overloaded: "Our servers are currently overloaded. Please try again later.",
  insufficient_quota: "You exceeded your current quota.",
};

export function responseFailedEvent(m: ResponseMeta, code: string, message?: string): SseEvent {
  const error = {
    code,
    message: message ?? FAILED_MESSAGES[code] ?? "An error occurred while processing your request.",
  };
  return {
    type: "response.failed",
    sequence_number: 0,
    response: { ...responseObject(m, "failed", []), error, usage: null },
  };
}

export function createdEvent(m: ResponseMeta): SseEvent {
  return { type: "response.created", sequence_number: 0, response: responseObject(m, "in_progress", []) };
}
