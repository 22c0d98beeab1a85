// The relay's Codex SSE bytes as parsed events, read only as the client pulls (so the client's pace
// still sets the upstream's), and the writers for the client-facing SSE.
import { createParser } from "eventsource-parser";
import type { ChunkReader, ChunkSource } from "../relay/chunk-source.ts";
import { isObject, type Json } from "./common.ts";

export interface UpstreamEvent {
  type: string;
  data: Json;
}

/** Pseudo event: one SSE block (or a collected answer) grew past its cap; the stream stops there. */
export const OVERSIZE = "gateway.oversize_event";

const encoder = new TextEncoder();

// The writers return the SSE text; `translated` encodes what one pull gathered in one go.
export const sseData = (data: unknown) => `data: ${JSON.stringify(data)}\n\n`;
export const sseEvent = (type: string, data: unknown) => `event: ${type}\ndata: ${JSON.stringify(data)}\n\n`;
export const SSE_DONE = "data: [DONE]\n\n";
/** A comment line keeps idle connections open without being an event any SDK has to model. */
export const SSE_KEEPALIVE = ": keepalive\n\n";

export interface SseLimits {
  /** One SSE block. */
  maxEventBytes: number;
  /** The whole stream (non-stream clients, whose answer is collected). */
  maxTotalBytes?: number;
  /**
   * The client's request signal: on abort the relay's stream is cancelled at once, so the relay
   * records a client that left rather than an upstream that broke (which would demote the account).
   */
  signal?: AbortSignal;
}

/** Parsed events, one per read; a `ReadableStreamDefaultReader<UpstreamEvent>` has the same shape. */
export interface EventReader {
  read(): Promise<ReadableStreamReadResult<UpstreamEvent>>;
  cancel(): Promise<void>;
  /** Whether the next read has an event at hand already (parsed from bytes read before): no wait. */
  ready?(): boolean;
}

const DONE = { done: true, value: undefined } as const;

export function sseEvents(body: ChunkReader, limits: SseLimits): EventReader {
  const decoder = new TextDecoder();
  const queue: UpstreamEvent[] = [];
  const maxTotal = limits.maxTotalBytes ?? Number.POSITIVE_INFINITY;
  let pendingBytes = 0;
  let totalBytes = 0;
  let stopped = false;
  let ended = false;
  const parser = createParser({
    onEvent(message) {
      pendingBytes = 0;
      if (stopped) return;
      let data: unknown;
      try {
        data = JSON.parse(message.data);
      } catch {
        return; // `[DONE]` and other non-JSON lines carry nothing for the translators
      }
      if (!isObject(data)) return;
      const named = message.event && message.event !== "message" ? message.event : undefined;
      const type = typeof data.type === "string" && data.type.trim() ? data.type : named;
      if (type) queue.push({ type, data });
    },
  });
  const cancel = async () => {
    ended = true;
    limits.signal?.removeEventListener("abort", cancel);
    await body.cancel().catch(() => undefined);
  };
  limits.signal?.addEventListener("abort", cancel, { once: true });
  return {
    async read() {
      while (queue.length === 0) {
        if (ended) return DONE;
        if (stopped) {
          await cancel();
          return DONE;
        }
        const { done, value } = await body.read();
        if (done) {
          ended = true;
          limits.signal?.removeEventListener("abort", cancel);
          return DONE;
        }
        pendingBytes += value.byteLength;
        totalBytes += value.byteLength;
        parser.feed(decoder.decode(value, { stream: true }));
        if (pendingBytes > limits.maxEventBytes || totalBytes > maxTotal) {
          stopped = true;
          queue.push({ type: OVERSIZE, data: {} });
        }
      }
      return { done: false, value: queue.shift() as UpstreamEvent };
    },
    cancel,
    ready: () => queue.length > 0,
  };
}

/** A reader that yields `held` first, then the rest of `reader`; cancelling cancels the reader. */
export function resume(held: UpstreamEvent[], reader: EventReader): EventReader {
  const queue = [...held];
  return {
    read() {
      const next = queue.shift();
      return next !== undefined ? Promise.resolve({ done: false, value: next }) : reader.read();
    },
    cancel: () => reader.cancel(),
    ready: () => queue.length > 0 || (reader.ready?.() ?? false),
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
      while (!ended && (out.length === 0 || events.ready?.())) {
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
      return encoder.encode(text);
    },
    async cancel() {
      ended = true;
      out.length = 0;
      await events.cancel();
    },
  };
}
