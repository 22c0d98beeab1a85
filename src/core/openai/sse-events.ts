// The relay's Codex SSE bytes as parsed events, chunk by chunk (pull-driven, so the client's pace
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

export function parseSse(
  maxEventBytes: number,
  maxTotalBytes = Number.POSITIVE_INFINITY,
): TransformStream<Uint8Array, UpstreamEvent> {
  const decoder = new TextDecoder();
  let pendingBytes = 0;
  let totalBytes = 0;
  let stopped = false;
  let out: TransformStreamDefaultController<UpstreamEvent> | undefined;
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
      if (type) out?.enqueue({ type, data });
    },
  });
  return new TransformStream<Uint8Array, UpstreamEvent>(
    {
      transform(chunk, controller) {
        if (stopped) return;
        out = controller;
        pendingBytes += chunk.byteLength;
        totalBytes += chunk.byteLength;
        parser.feed(decoder.decode(chunk, { stream: true }));
        if (!stopped && (pendingBytes > maxEventBytes || totalBytes > maxTotalBytes)) {
          stopped = true;
          controller.enqueue({ type: OVERSIZE, data: {} });
        }
      },
    },
    undefined,
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
