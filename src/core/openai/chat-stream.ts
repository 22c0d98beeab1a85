// Codex Responses events → `chat.completion.chunk` SSE (codex-protocol §8.2, §9.7), one event at a
// time. The role chunk comes first; text, reasoning summary and tool-call deltas follow; a finish
// chunk, the usage chunk when asked for, then `[DONE]`. A failure after output ends the stream
// with one error chunk and no `[DONE]`, so no client mistakes a cut for a complete answer.
import { isObject, type Json } from "./common.ts";
import { publicFailure } from "./errors.ts";
import { type ChunkSink, type EventTranslator, SSE_DONE, SSE_KEEPALIVE, sseData } from "./sse-events.ts";
import { failureOf } from "./turn.ts";
import { chatUsage } from "./usage-map.ts";

export interface ChatStreamOptions {
  model: string;
  includeUsage: boolean;
  now(): number;
}

interface ToolCall {
  index: number;
  kind: "function" | "custom";
  /** Argument (or custom input) text already sent. */
  sent: SentText;
  announced: boolean;
  name?: string;
  callId?: string;
}

/** The end of every chunk but the finish chunk. */
const OPEN_TAIL = ',"finish_reason":null}]}\n\n';

/** The delta fields that carry only text. */
type TextField = "content" | "refusal" | "reasoning_content";

export function chatChunkTranslator(options: ChatStreamOptions): EventTranslator {
  let id = `chatcmpl-${crypto.randomUUID()}`;
  let created = Math.floor(options.now() / 1000);
  let model = options.model;
  let roleSent = false;
  let finished = false;
  const tools = new Map<string, ToolCall>();
  const textSent = new Map<string, SentText>();
  let toolCount = 0;
  /** Where the event being translated writes (the sink `transform` was given). */
  let controller: ChunkSink = { enqueue: () => undefined };

  /**
   * Every chunk of a stream shares its envelope up to the delta: serialised once (again only if the
   * upstream's first events change the id, time or model), not once per delta. The same bytes as
   * `JSON.stringify` of the whole chunk.
   */
  let envelope = "";
  /** A chunk around a delta already serialised. */
  const chunkOf = (delta: string, finishReason: string | null) => {
    envelope ||= `data: {"id":${JSON.stringify(id)},"object":"chat.completion.chunk","created":${JSON.stringify(created)},"model":${JSON.stringify(model)},"choices":[{"index":0,"delta":`;
    return finishReason === null
      ? `${envelope}${delta}${OPEN_TAIL}`
      : `${envelope}${delta},"finish_reason":${JSON.stringify(finishReason)}}]}\n\n`;
  };
  const chunk = (delta: Json, finishReason: string | null = null) =>
    chunkOf(JSON.stringify(delta), finishReason);

  const sendRole = () => {
    if (roleSent) return;
    roleSent = true;
    controller.enqueue(chunk({ role: "assistant" }));
  };
  const emit = (delta: Json) => {
    sendRole();
    controller.enqueue(chunk(delta));
  };
  /** A text delta (`{"content":…}` and the like): only the text goes through `JSON.stringify`. */
  const emitText = (field: TextField, text: string) => {
    sendRole();
    controller.enqueue(chunkOf(`{"${field}":${JSON.stringify(text)}}`, null));
  };
  const tool = (itemId: string, item?: Json): ToolCall => {
    let call = tools.get(itemId);
    if (!call) {
      call = {
        index: toolCount++,
        kind: item?.type === "custom_tool_call" ? "custom" : "function",
        sent: new SentText(),
        announced: false,
      };
      tools.set(itemId, call);
    }
    if (item) {
      if (typeof item.name === "string") call.name = item.name;
      if (typeof item.call_id === "string") call.callId = item.call_id;
    }
    return call;
  };
  /** Sends the call's head once its name is known, then any text not yet sent. */
  const sendTool = (call: ToolCall, full?: string, delta?: string) => {
    if (!call.announced) {
      if (!call.name) return;
      call.announced = true;
      const head =
        call.kind === "custom"
          ? { type: "custom", custom: { name: call.name, input: "" } }
          : { type: "function", function: { name: call.name, arguments: "" } };
      emit({ tool_calls: [{ index: call.index, id: call.callId ?? `call_${call.index}`, ...head }] });
    }
    const rest =
      full !== undefined ? (call.sent.isPrefixOf(full) ? full.slice(call.sent.length) : "") : delta;
    if (!rest) return;
    call.sent.add(rest);
    const part = call.kind === "custom" ? { custom: { input: rest } } : { function: { arguments: rest } };
    emit({ tool_calls: [{ index: call.index, ...part }] });
  };
  const itemDone = (item: Json) => {
    const itemId = typeof item.id === "string" ? item.id : undefined;
    if (item.type === "function_call" || item.type === "custom_tool_call") {
      const call = tool(itemId ?? `item_${toolCount}`, item);
      const full = item.type === "custom_tool_call" ? item.input : item.arguments;
      sendTool(call, typeof full === "string" ? full : "");
    } else if (item.type === "message" && itemId) {
      const full = messageText(item);
      const sent = textSent.get(itemId) ?? new SentText();
      if (sent.isPrefixOf(full) && full.length > sent.length) {
        const rest = full.slice(sent.length);
        sent.add(rest);
        textSent.set(itemId, sent);
        emitText("content", rest);
      }
    }
  };
  const finish = (reason: string, response: Json) => {
    finished = true;
    // Items the upstream put only in the terminal answer still reach the client.
    if (Array.isArray(response.output))
      for (const item of response.output) if (isObject(item)) itemDone(item);
    sendRole();
    const anyTools = [...tools.values()].some((t) => t.announced);
    const finishReason = reason === "stop" && anyTools ? "tool_calls" : reason;
    controller.enqueue(chunk({}, finishReason));
    if (options.includeUsage) {
      controller.enqueue(
        sseData({
          id,
          object: "chat.completion.chunk",
          created,
          model,
          choices: [],
          usage: chatUsage(response.usage) ?? null,
        }),
      );
    }
    controller.enqueue(SSE_DONE);
  };

  return {
    transform(event, sink) {
      if (finished) return;
      controller = sink;
      const data = event.data;
      const failure = failureOf(event);
      if (failure) {
        finished = true;
        controller.enqueue(sseData(failure.body));
        return;
      }
      switch (event.type) {
        case "response.created":
        case "response.in_progress": {
          const response = isObject(data.response) ? data.response : {};
          if (typeof response.id === "string") id = response.id;
          if (typeof response.created_at === "number") created = response.created_at;
          if (typeof response.model === "string") model = response.model;
          envelope = "";
          return;
        }
        case "response.output_text.delta":
          if (typeof data.delta === "string" && data.delta !== "") {
            const itemId = String(data.item_id ?? "");
            const sent = textSent.get(itemId) ?? new SentText();
            sent.add(data.delta);
            textSent.set(itemId, sent);
            emitText("content", data.delta);
          }
          return;
        case "response.refusal.delta":
          if (typeof data.delta === "string") emitText("refusal", data.delta);
          return;
        case "response.reasoning_summary_text.delta":
          if (typeof data.delta === "string") emitText("reasoning_content", data.delta);
          return;
        case "response.output_item.added":
          if (
            isObject(data.item) &&
            (data.item.type === "function_call" || data.item.type === "custom_tool_call")
          ) {
            const item = data.item;
            sendTool(tool(String(item.id ?? `item_${toolCount}`), item), undefined, "");
          }
          return;
        case "response.function_call_arguments.delta":
        case "response.custom_tool_call_input.delta":
          if (typeof data.delta === "string") {
            const call = tool(String(data.item_id ?? ""));
            if (call.announced) sendTool(call, undefined, data.delta);
            // Not announced yet (no name seen): the done item carries the full text.
          }
          return;
        case "response.output_item.done":
          if (isObject(data.item)) itemDone(data.item);
          return;
        case "response.completed":
        case "response.done":
          finish("stop", isObject(data.response) ? data.response : {});
          return;
        case "response.incomplete": {
          const response = isObject(data.response) ? data.response : {};
          const reason = isObject(response.incomplete_details)
            ? response.incomplete_details.reason
            : undefined;
          finish(reason === "content_filter" ? "content_filter" : "length", response);
          return;
        }
        case "codex.keepalive":
          controller.enqueue(SSE_KEEPALIVE);
          return;
      }
    },
    flush(controller) {
      if (!finished) controller.enqueue(sseData(publicFailure("stream_interrupted", undefined).body));
    },
  };
}

/**
 * What has been sent of one text, as its length and a hash rather than the text itself: a long answer
 * must not be kept whole in memory for the one check at its end (does the final item continue it?).
 */
class SentText {
  length = 0;
  #hash = FNV_OFFSET;

  add(text: string): void {
    this.#hash = fnv1a(this.#hash, text, text.length);
    this.length += text.length;
  }

  /** Whether `full` starts with the text sent so far. */
  isPrefixOf(full: string): boolean {
    return full.length >= this.length && fnv1a(FNV_OFFSET, full, this.length) === this.#hash;
  }
}

const FNV_OFFSET = 0x811c9dc5;

/** 32-bit FNV-1a over the first `length` UTF-16 code units of `text`, continuing from `hash`. */
function fnv1a(hash: number, text: string, length: number): number {
  let h = hash;
  for (let i = 0; i < length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

export function messageText(item: Json): string {
  if (!Array.isArray(item.content)) return "";
  return item.content
    .map((part) =>
      isObject(part) && part.type === "output_text" && typeof part.text === "string" ? part.text : "",
    )
    .join("");
}
