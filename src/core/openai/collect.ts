// Non-stream clients: the turn's events collected into one Responses object (the upstream is always
// streamed). Bounded by the parser's total cap. `response.completed.output` can be empty upstream,
// so the output is rebuilt from `response.output_item.done` items in output order.
import { isObject, type Json } from "./common.ts";
import { type PublicError, publicFailure } from "./errors.ts";
import type { EventReader } from "./sse-events.ts";
import { drain, failureOf } from "./turn.ts";

export type Collected = { ok: true; response: Json } | { ok: false; failure: PublicError };

export async function collectResponse(reader: EventReader): Promise<Collected> {
  let base: Json = {};
  const items: Json[] = [];
  const texts = new Map<string, string>();
  for (;;) {
    const { done, value: event } = await reader.read();
    if (done) {
      return { ok: false, failure: publicFailure("stream_interrupted", undefined) };
    }
    const failure = failureOf(event);
    if (failure) {
      await drain(reader);
      return { ok: false, failure };
    }
    const data = event.data;
    switch (event.type) {
      case "response.created":
      case "response.in_progress":
        if (isObject(data.response)) base = data.response;
        break;
      case "response.output_item.done":
        if (isObject(data.item)) {
          const index = typeof data.output_index === "number" ? data.output_index : items.length;
          items[index] = data.item;
        }
        break;
      case "response.output_text.delta":
        if (typeof data.item_id === "string" && typeof data.delta === "string") {
          texts.set(data.item_id, (texts.get(data.item_id) ?? "") + data.delta);
        }
        break;
      case "response.completed":
      case "response.done":
      case "response.incomplete": {
        await drain(reader);
        const final = isObject(data.response) ? data.response : {};
        const response: Json = { ...base, ...final };
        const output =
          Array.isArray(final.output) && final.output.length > 0 ? final.output : rebuilt(items, texts);
        response.output = output;
        response.object = "response";
        response.status ??= event.type === "response.incomplete" ? "incomplete" : "completed";
        return { ok: true, response };
      }
    }
  }
}

function rebuilt(items: Json[], texts: Map<string, string>): Json[] {
  const output = items.filter((item) => item !== undefined);
  // Only deltas arrived (no item events): keep the text rather than answer empty.
  for (const [id, text] of texts) {
    if (!output.some((item) => item.id === id)) {
      output.push({
        id,
        type: "message",
        role: "assistant",
        status: "completed",
        content: [{ type: "output_text", text, annotations: [] }],
      });
    }
  }
  return output;
}
