// The one SSE reader of the tests, on the parser the gateway itself uses (eventsource-parser): a
// whole body at once, or events as they arrive from a stream.
import { createParser, type EventSourceMessage } from "eventsource-parser";

export type SseMessage = EventSourceMessage;

/** Every event of a complete SSE text, in order (comments and empty events skipped). */
export function sseMessages(text: string): SseMessage[] {
  const out: SseMessage[] = [];
  const parser = createParser({ onEvent: (message) => out.push(message) });
  parser.feed(text);
  // A last event without its blank line still counts (a cut stream's tail).
  parser.reset({ consume: true });
  return out;
}

/** Events as they arrive; ends when the stream does. */
export async function* sseStream(body: ReadableStream<Uint8Array> | null): AsyncGenerator<SseMessage> {
  if (!body) return;
  const queue: SseMessage[] = [];
  const parser = createParser({ onEvent: (message) => queue.push(message) });
  const decoder = new TextDecoder();
  const reader = body.getReader();
  try {
    for (;;) {
      const { value, done } = await reader.read();
      parser.feed(done ? decoder.decode() : decoder.decode(value, { stream: true }));
      if (done) parser.reset({ consume: true });
      yield* queue.splice(0);
      if (done) return;
    }
  } finally {
    reader.releaseLock();
  }
}

/** JSON `data` of each event; `[DONE]` (the chat stream's end) is kept as the string. */
export const sseData = (text: string): unknown[] =>
  sseMessages(text).map(({ data }) => (data === "[DONE]" ? data : JSON.parse(data)));
