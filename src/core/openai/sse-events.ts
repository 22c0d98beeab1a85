// The relay's parsed events (`relaySseEvents`: the relay parses the upstream's SSE once, for its
// accounting and for the translators alike), read only as the client pulls (so the client's pace
// still sets the upstream's), and the writers for the client-facing SSE.
import type { ChunkSource } from "../relay/chunk-source.ts";
import type { RelayEvent } from "../relay/sse-relay.ts";
import { utf8Bytes } from "../support/utf8-stream.ts";

export { OVERSIZE } from "../relay/sse-relay.ts";
export type UpstreamEvent = RelayEvent;

// The writers return the SSE text; `translated` encodes what one pull gathered in one go.
export const sseData = (data: unknown) => `data: ${JSON.stringify(data)}\n\n`;
export const sseEvent = (type: string, data: unknown) => `event: ${type}\ndata: ${JSON.stringify(data)}\n\n`;
export const SSE_DONE = "data: [DONE]\n\n";
/** A comment line keeps idle connections open without being an event any SDK has to model. */
export const SSE_KEEPALIVE = ": keepalive\n\n";

/** Parsed events, one per read (`relaySseEvents`); a `ReadableStreamDefaultReader` has the same shape. */
export interface EventReader {
  read(): Promise<ReadableStreamReadResult<UpstreamEvent>>;
  cancel(): Promise<void>;
  /** An event at hand already (parsed from bytes read before), without a wait; else undefined. */
  take?(): UpstreamEvent | undefined;
}

const DONE = { done: true, value: undefined } as const;

/** A reader that yields `held` first, then the rest of `reader`; cancelling cancels the reader. */
export function resume(held: UpstreamEvent[], reader: EventReader): EventReader {
  const queue = [...held];
  return {
    read() {
      const next = queue.shift();
      return next !== undefined ? Promise.resolve({ done: false, value: next }) : reader.read();
    },
    cancel: () => reader.cancel(),
    take: () => (queue.length > 0 ? queue.shift() : reader.take?.()),
  };
}

/** Where a translator writes SSE text (the shape of a TransformStream controller's `enqueue`). */
export interface ChunkSink {
  enqueue(text: string): void;
}

/** Turns events into client bytes one event at a time; `flush` runs once the events end. */
export interface EventTranslator {
  transform(event: UpstreamEvent, out: ChunkSink): void;
  flush(out: ChunkSink): void;
}

/**
 * The client's body: events pulled and translated as the client reads (no read-ahead). One pull
 * translates every event already parsed from the bytes read so far and hands them out as one chunk:
 * a translator writes a few small chunks per event, and the host writes each chunk it pulls to the
 * socket on its own (a system call each), where the Codex route writes one per upstream read.
 */
export function translated(events: EventReader, translator: EventTranslator): ChunkSource {
  const out: string[] = [];
  const sink: ChunkSink = { enqueue: (text) => out.push(text) };
  let ended = false;
  return {
    async pull() {
      // Waits for the upstream only while there is nothing to hand out.
      while (!ended) {
        // Events already parsed are translated without a promise each.
        for (let event = events.take?.(); event; event = events.take?.()) translator.transform(event, sink);
        if (out.length > 0) break;
        // The relay ends a broken upstream with a terminal event; a read that fails anyway is an end.
        const { done, value } = await events.read().catch(() => DONE);
        if (done) {
          ended = true;
          translator.flush(sink);
        } else {
          translator.transform(value, sink);
        }
      }
      if (out.length === 0) return undefined;
      const text = out.length === 1 ? (out[0] as string) : out.join("");
      out.length = 0;
      return utf8Bytes(text);
    },
    async cancel() {
      ended = true;
      out.length = 0;
      await events.cancel();
    },
  };
}
