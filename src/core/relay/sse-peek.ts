// Looks at the first events of an upstream SSE stream before anything reaches the client, so a
// turn that fails at its first event can still move to another account. Only pre-content events
// (created, in_progress, rate limits, metadata) are held back; the first visible or terminal event
// decides.
import { createParser, type EventSourceMessage } from "eventsource-parser";
import { utf8Stream } from "../support/utf8-stream.ts";
import type { ChunkReader } from "./chunk-source.ts";

export const PRE_CONTENT = new Set([
  "response.created",
  "response.in_progress",
  "response.queued",
  "codex.rate_limits",
  "codex.response.metadata",
  "codex.keepalive",
]);

/** First-event failure codes worth another account (the original's list plus quota codes). */
export const RETRYABLE_FIRST_EVENT_CODES = new Set([
  "server_error",
  "internal_error",
  "overloaded_error",
  "server_is_overloaded",
  "slow_down",
  "upstream_request_timeout",
  "stream_incomplete",
  "websocket_connection_limit_reached",
  "rate_limit_exceeded",
  "usage_limit_reached",
]);

type ReadResult = ReadableStreamReadResult<Uint8Array>;

export type PeekResult =
  /** Relay `prefix` first, then (if set) the read still in flight when the wait ran out. */
  | { kind: "commit"; prefix: Uint8Array[]; pending?: Promise<ReadResult> }
  | { kind: "retry"; code: string; usageLimited: boolean };

export function eventType(message: EventSourceMessage): string {
  if (message.event && message.event !== "message") return message.event;
  return /"type"\s*:\s*"([^"]+)"/.exec(message.data)?.[1] ?? "";
}

/**
 * Holds back the opening events until the first decisive one, for at most `timeoutMs` and `maxBytes`
 * (held events, or one event or line without its end): an upstream that sends more before deciding
 * anything fails like one that ended early, before the client has seen a byte.
 */
export async function peekFirstEvent(
  reader: ChunkReader,
  timeoutMs: number,
  maxBytes: number,
): Promise<PeekResult> {
  const prefix: Uint8Array[] = [];
  let held = 0;
  const decode = utf8Stream();
  let decision: PeekResult | undefined;
  const parser = createParser({
    onEvent(message) {
      if (decision) return;
      const type = eventType(message);
      if (PRE_CONTENT.has(type)) return;
      if (type === "response.failed" || type === "error") {
        const code = failureCode(message.data);
        if (code && RETRYABLE_FIRST_EVENT_CODES.has(code)) {
          decision = { kind: "retry", code, usageLimited: code === "usage_limit_reached" };
          return;
        }
      }
      decision = { kind: "commit", prefix };
    },
  });
  const deadline = Date.now() + timeoutMs;
  while (!decision) {
    const remaining = deadline - Date.now();
    const read = reader.read();
    let timer: NodeJS.Timeout | undefined;
    const result = await Promise.race([
      read,
      new Promise<"timeout">((resolve) => {
        timer = setTimeout(() => resolve("timeout"), Math.max(0, remaining));
      }),
    ]).finally(() => clearTimeout(timer));
    // Slow first event: stop holding back and let the relay take over the read in flight.
    if (result === "timeout") return { kind: "commit", prefix, pending: read };
    if (result.done) return { kind: "retry", code: "stream_incomplete", usageLimited: false };
    prefix.push(result.value);
    parser.feed(decode(result.value));
    held += result.value.byteLength;
    if (!decision && held > maxBytes)
      return { kind: "retry", code: "upstream_event_too_large", usageLimited: false };
  }
  return decision;
}

function failureCode(data: string): string | undefined {
  try {
    const parsed = JSON.parse(data) as {
      code?: unknown;
      error?: { code?: unknown; type?: unknown };
      response?: { error?: { code?: unknown; type?: unknown } };
    };
    const raw =
      parsed.response?.error?.code ?? parsed.error?.code ?? parsed.code ?? parsed.response?.error?.type;
    return typeof raw === "string" ? raw : undefined;
  } catch {
    return undefined;
  }
}
