// The relay's Codex SSE bytes as parsed events, read only as the client pulls (so the client's pace
// still sets the upstream's), and the writers for the client-facing SSE.
import { createParser } from "eventsource-parser";
import { isObject, type Json } from "./common.ts";

export interface UpstreamEvent {
  type: string;
  data: Json;
}

/** Pseudo event: one SSE block (or a collected answer) grew past its cap; the stream stops there. */
export const OVERSIZE = "gateway.oversize_event";

const encoder = new TextEncoder();

export const sseData = (data: unknown) => encoder.encode(`data: ${JSON.stringify(data)}\n\n`);
export const sseEvent = (type: string, data: unknown) =>
  encoder.encode(`event: ${type}\ndata: ${JSON.stringify(data)}\n\n`);
export const sseDone = () => encoder.encode("data: [DONE]\n\n");
/** A comment line keeps idle connections open without being an event any SDK has to model. */
export const sseComment = () => encoder.encode(": keepalive\n\n");

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

export function sseEvents(
  body: ReadableStream<Uint8Array>,
  limits: SseLimits,
): ReadableStream<UpstreamEvent> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  const queue: UpstreamEvent[] = [];
  const maxTotal = limits.maxTotalBytes ?? Number.POSITIVE_INFINITY;
  let pendingBytes = 0;
  let totalBytes = 0;
  let stopped = false;
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
  const cancel = () => {
    limits.signal?.removeEventListener("abort", cancel);
    return reader.cancel().catch(() => undefined);
  };
  limits.signal?.addEventListener("abort", cancel, { once: true });
  return new ReadableStream<UpstreamEvent>(
    {
      async pull(controller) {
        while (queue.length === 0) {
          if (stopped) {
            await cancel();
            controller.close();
            return;
          }
          const { done, value } = await reader.read();
          if (done) {
            limits.signal?.removeEventListener("abort", cancel);
            controller.close();
            return;
          }
          pendingBytes += value.byteLength;
          totalBytes += value.byteLength;
          parser.feed(decoder.decode(value, { stream: true }));
          if (pendingBytes > limits.maxEventBytes || totalBytes > maxTotal) {
            stopped = true;
            queue.push({ type: OVERSIZE, data: {} });
          }
        }
        controller.enqueue(queue.shift() as UpstreamEvent);
      },
      cancel,
    },
    { highWaterMark: 0 },
  );
}

/** A readable that yields `held` first, then the rest of `reader`; cancelling cancels the reader. */
export function resume<T>(held: T[], reader: ReadableStreamDefaultReader<T>): ReadableStream<T> {
  const queue = [...held];
  return new ReadableStream<T>(
    {
      async pull(controller) {
        const next = queue.shift();
        if (next !== undefined) {
          controller.enqueue(next);
          return;
        }
        const { done, value } = await reader.read();
        if (done) controller.close();
        else controller.enqueue(value);
      },
      async cancel(reason) {
        await reader.cancel(reason).catch(() => undefined);
      },
    },
    { highWaterMark: 0 },
  );
}
