// Fault behaviours for the fake's SSE Responses route, beyond the HTTP errors server.ts answers itself:
// stalls, resets, truncation and malformed events at each point of a turn (before the headers, before
// the first byte, mid-stream, at the terminal event), and a long answer streamed with backpressure
// for the benchmarks. server.ts hands a turn here when its behaviour is one of these.
import type { IncomingMessage, ServerResponse } from "node:http";
import { formatSse, type ResponseMeta, type SseEvent, TEXT_USAGE, textTurnEvents } from "./sse.ts";

export type FaultBehavior =
  /** Accepts the request and never answers (no status line). */
  | { kind: "stall_before_headers" }
  /** 200 and headers, then no byte. */
  | { kind: "stall_before_first_byte" }
  /** 200 and headers, then the connection is destroyed. */
  | { kind: "reset_before_first_byte" }
  /** `afterEvents` events of a text turn (default 5: through the first delta), then silence. */
  | { kind: "stall_mid_stream"; afterEvents?: number }
  /** `afterEvents` events, then the connection is destroyed. */
  | { kind: "reset_mid_stream"; afterEvents?: number }
  /** `afterEvents` events, then half of the next one, then a clean end of the body. */
  | { kind: "truncated_sse"; afterEvents?: number }
  /** An event whose data is not JSON (first, or after the first delta), then the rest of the turn. */
  | { kind: "malformed_event"; at?: "first" | "mid" }
  /** Every event but the terminal one, then the connection is destroyed. */
  | { kind: "reset_at_terminal" }
  /** Every event but the terminal one, then silence. */
  | { kind: "stall_at_terminal" }
  /** Every event, the terminal one cut in half, then a clean end. */
  | { kind: "truncated_terminal" }
  /** A normal turn whose terminal event is `response.failed` with `code` (default server_error). */
  | { kind: "failed_at_terminal"; code?: string }
  /** A text answer of about `bytes` bytes in deltas of `chunkBytes`, written with backpressure. */
  | { kind: "large_text"; bytes: number; chunkBytes?: number; pauseAfterEvent?: number }
  /** Exactly these events after the 200 head, for shapes no golden turn has. */
  | { kind: "scripted"; events: SseEvent[] };

const FAULT_KINDS = new Set<string>([
  "stall_before_headers",
  "stall_before_first_byte",
  "reset_before_first_byte",
  "stall_mid_stream",
  "reset_mid_stream",
  "truncated_sse",
  "malformed_event",
  "reset_at_terminal",
  "stall_at_terminal",
  "truncated_terminal",
  "failed_at_terminal",
  "large_text",
  "scripted",
]);

export const isFault = (behavior: { kind: string }): behavior is FaultBehavior =>
  FAULT_KINDS.has(behavior.kind);

export interface FaultTurn {
  req: IncomingMessage;
  res: ServerResponse;
  meta: ResponseMeta;
  itemId: string;
  /** Writes the 200 SSE head the way server.ts does for streamed turns. */
  writeHead(): void;
  /** Resolves on client disconnect (or when the fake closes). */
  closed: AbortSignal;
  /** Waits until the fake's releasePaused() (or a disconnect). */
  pause(): Promise<void>;
}

const untilClosed = (signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    if (signal.aborted) resolve();
    else signal.addEventListener("abort", () => resolve(), { once: true });
  });

/** Writes and waits for the socket to take it, so a long answer never piles up in memory. */
function write(res: ServerResponse, text: string, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted || res.destroyed) return Promise.resolve(false);
  if (res.write(text)) return Promise.resolve(true);
  return new Promise((resolve) => {
    const done = (ok: boolean) => {
      res.off("drain", onDrain);
      signal.removeEventListener("abort", onAbort);
      resolve(ok);
    };
    const onDrain = () => done(true);
    const onAbort = () => done(false);
    res.once("drain", onDrain);
    signal.addEventListener("abort", onAbort, { once: true });
  });
}

async function writeAll(res: ServerResponse, events: SseEvent[], signal: AbortSignal): Promise<boolean> {
  for (const event of events) if (!(await write(res, formatSse(event), signal))) return false;
  return true;
}

const half = (event: SseEvent) => {
  const text = formatSse(event);
  return text.slice(0, Math.floor(text.length / 2));
};

/** Runs one faulty turn; returns when the fake is done with the response. */
export async function runFault(behavior: FaultBehavior, turn: FaultTurn): Promise<void> {
  const { res, meta, itemId, closed } = turn;
  const events = textTurnEvents(meta, itemId, "Hello from fake upstream.");
  const terminal = events.length - 1;
  switch (behavior.kind) {
    case "stall_before_headers":
      await untilClosed(closed);
      return;
    case "reset_before_first_byte":
      turn.writeHead();
      turn.req.socket.destroy();
      return;
    case "stall_before_first_byte":
      turn.writeHead();
      await untilClosed(closed);
      return;
    case "stall_mid_stream":
    case "stall_at_terminal": {
      turn.writeHead();
      const upTo = behavior.kind === "stall_at_terminal" ? terminal : (behavior.afterEvents ?? 5);
      await writeAll(res, events.slice(0, upTo), closed);
      await untilClosed(closed);
      return;
    }
    case "reset_mid_stream":
    case "reset_at_terminal": {
      turn.writeHead();
      const upTo = behavior.kind === "reset_at_terminal" ? terminal : (behavior.afterEvents ?? 5);
      if (await writeAll(res, events.slice(0, upTo), closed)) {
        // Let the bytes leave before the cut, so the client sees the partial output.
        await new Promise((resolve) => setTimeout(resolve, 20));
        turn.req.socket.destroy();
      }
      return;
    }
    case "truncated_sse":
    case "truncated_terminal": {
      turn.writeHead();
      const upTo = behavior.kind === "truncated_terminal" ? terminal : (behavior.afterEvents ?? 5);
      if (!(await writeAll(res, events.slice(0, upTo), closed))) return;
      if (await write(res, half(events[upTo] as SseEvent), closed)) res.end();
      return;
    }
    case "malformed_event": {
      turn.writeHead();
      const at = behavior.at === "first" ? 0 : 5;
      const bad = `event: response.output_text.delta\ndata: {"type":"response.output_text.delta","delta":\n\n`;
      const before = events.slice(0, at).map(formatSse).join("");
      const after = events.slice(at).map(formatSse).join("");
      if (await write(res, before + bad + after, closed)) res.end();
      return;
    }
    case "failed_at_terminal": {
      turn.writeHead();
      const failed: SseEvent = {
        type: "response.failed",
        sequence_number: terminal,
        response: {
          id: meta.responseId,
          object: "response",
          status: "failed",
          model: meta.model,
          output: [],
          error: {
            code: behavior.code ?? "server_error",
            message: "An error occurred while processing your request.",
          },
        },
      };
      if (await writeAll(res, [...events.slice(0, terminal), failed], closed)) res.end();
      return;
    }
    case "large_text": {
      turn.writeHead();
      if (await largeText(turn, behavior)) res.end();
      return;
    }
    case "scripted": {
      turn.writeHead();
      if (await writeAll(res, behavior.events, closed)) res.end();
      return;
    }
  }
}

/** created, item added, N deltas of `chunkBytes`, done events and completed; about `bytes` in all. */
async function largeText(
  turn: FaultTurn,
  behavior: Extract<FaultBehavior, { kind: "large_text" }>,
): Promise<boolean> {
  const { res, meta, itemId, closed } = turn;
  const chunkBytes = Math.max(16, behavior.chunkBytes ?? 4096);
  const delta = "x".repeat(chunkBytes);
  const at = { item_id: itemId, output_index: 0, content_index: 0 };
  const response = (status: string) => ({
    id: meta.responseId,
    object: "response",
    created_at: meta.createdAt,
    status,
    model: meta.model,
    output: [],
  });
  const head: SseEvent[] = [
    { type: "response.created", sequence_number: 0, response: response("in_progress") },
    {
      type: "response.output_item.added",
      sequence_number: 1,
      output_index: 0,
      item: { id: itemId, type: "message", status: "in_progress", role: "assistant", content: [] },
    },
  ];
  if (!(await writeAll(res, head, closed))) return false;
  if (behavior.pauseAfterEvent !== undefined) await turn.pause();
  let sent = 0;
  let seq = head.length;
  while (sent < behavior.bytes) {
    const text = formatSse({ type: "response.output_text.delta", sequence_number: seq++, ...at, delta });
    if (!(await write(res, text, closed))) return false;
    sent += text.length;
  }
  const completed: SseEvent = {
    type: "response.completed",
    sequence_number: seq,
    // The text itself is not repeated: the point is the stream, not a second copy in one event.
    response: { ...response("completed"), usage: TEXT_USAGE },
  };
  return writeAll(res, [completed], closed);
}
