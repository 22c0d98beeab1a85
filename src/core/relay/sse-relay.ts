// Relays an upstream SSE body to the client chunk by chunk (pull-driven, so the client's pace sets
// the upstream read pace; see chunk-source.ts for how hosts write it out), observing events on the side for accounting. It never cuts silently:
// an upstream drop or error after output becomes a well-formed `response.failed` event, and when
// the client goes away the upstream read is aborted.
import { createParser, type EventSourceMessage } from "eventsource-parser";
import type { StopSignal } from "../context.ts";
import type { TokenUsage } from "../model.ts";
import { utf8Stream } from "../support/utf8-stream.ts";
import type { ChunkReader, ChunkSource } from "./chunk-source.ts";
import { eventType } from "./sse-peek.ts";

export type StreamOutcome = "completed" | "failed" | "incomplete" | "interrupted" | "client_closed";

export interface StreamSummary {
  outcome: StreamOutcome;
  usage?: TokenUsage;
  errorCode?: string;
  firstByteAt?: number;
  responseId?: string;
}

export interface RelayOptions {
  /** Bytes already read from the upstream (while peeking at the first event), relayed first. */
  prefix?: Uint8Array[];
  /** A read already in flight on the reader when peeking stopped waiting. */
  pending?: Promise<ReadableStreamReadResult<Uint8Array>>;
  /** `codex.rate_limits` events, for quota evidence. */
  onRateLimits?(event: Record<string, unknown>): void;
  now(): number;
  keepAliveMs: number;
  /**
   * Upstream silence after which the stream ends with a terminal `response.failed`
   * (`stream_idle_timeout`) and the upstream is aborted; 0 waits forever.
   */
  idleTimeoutMs?: number;
  /**
   * The most the relay's parser may hold of one upstream event (or line) that has not ended; past it
   * the stream ends with a terminal `response.failed` (`upstream_event_too_large`). 0: no cap.
   */
  maxEventBytes?: number;
  /** Aborts the upstream fetch; called when the client disconnects. */
  abortUpstream(): void;
  /** The host stops: the stream ends with a `response.failed` (`server_shutting_down`). */
  stopping?: StopSignal;
  onDone(summary: StreamSummary): void;
}

/**
 * The reason a consumer cancels a relay with when the gateway, not the client, ends the stream (the
 * WebSocket worker's turn time limit, a message its front cannot carry, a failure posting to the
 * client): the request log then records `code`, not a client that left (499).
 */
export class RelayStop {
  constructor(readonly code: string) {}
}

const encoder = new TextEncoder();
const TERMINAL = new Set(["response.completed", "response.done", "response.failed", "response.incomplete"]);

export function sseEvent(type: string, data: unknown): Uint8Array {
  return encoder.encode(`event: ${type}\ndata: ${JSON.stringify(data)}\n\n`);
}

/** A terminal `response.failed` event's data, for the SSE relay and the WebSocket worker alike. */
export function failedResponse(code: string, message: string, responseId?: string) {
  return {
    type: "response.failed",
    response: {
      id: responseId ?? "resp_failed",
      object: "response",
      status: "failed",
      output: [],
      error: { code, message },
    },
  };
}

/** Codex treats `response.failed` as terminal (a bare `error` event would be ignored and retried). */
export function failedEvent(code: string, message: string, responseId?: string): Uint8Array {
  return sseEvent("response.failed", failedResponse(code, message, responseId));
}

/** One upstream event as the relay parsed it: its type and its JSON object. */
export interface RelayEvent {
  type: string;
  data: Record<string, unknown>;
}

/** Pseudo event: one SSE block (or a collected answer) grew past its cap; the stream stops there. */
export const OVERSIZE = "gateway.oversize_event";

/** The relay's parsed events, one per read (the shape of a `ReadableStreamDefaultReader`). */
export interface RelayEventReader {
  read(): Promise<ReadableStreamReadResult<RelayEvent>>;
  cancel(): Promise<void>;
  /** An event at hand already (parsed from bytes read before), without a wait; else undefined. */
  take(): RelayEvent | undefined;
}

export interface RelayEventOptions extends RelayOptions {
  /** The whole answer's cap (a collected answer); past it an `OVERSIZE` event ends the events. */
  maxTotalBytes?: number;
  /**
   * The client's request signal: on abort the relay is cancelled at once, so it records a client
   * that left rather than an upstream that broke (which would demote the account).
   */
  signal?: AbortSignal;
}

/** The upstream's bytes as they came, for clients that speak the Codex protocol. */
export function relaySse(reader: ChunkReader, options: RelayOptions): ChunkSource {
  return relayCore<Uint8Array>(reader, options, undefined);
}

const DONE = { done: true, value: undefined } as const;

/**
 * The same relay (failover prefix, keep-alives, idle timeout, terminal failure events, accounting)
 * handing out the events it parsed for its accounting, so a translating route (`/v1`) does not parse
 * the same bytes a second time. Every event with a JSON object is handed out; a failure the relay
 * adds is a `response.failed` event, an event past the size cap an `OVERSIZE` one.
 */
export function relaySseEvents(reader: ChunkReader, options: RelayEventOptions): RelayEventReader {
  const relay = relayCore<RelayEvent>(reader, options, options.maxTotalBytes ?? Number.POSITIVE_INFINITY);
  const { signal } = options;
  const cancel = () => {
    signal?.removeEventListener("abort", cancel);
    return relay.cancel();
  };
  signal?.addEventListener("abort", cancel, { once: true });
  return {
    async read() {
      const value = await relay.pull();
      if (value) return { done: false, value };
      signal?.removeEventListener("abort", cancel);
      return DONE;
    },
    cancel,
    take: relay.take,
  };
}

const KEEPALIVE_EVENT: RelayEvent = { type: "codex.keepalive", data: { type: "codex.keepalive" } };

/**
 * The relay; `maxTotal` undefined: it hands out the upstream's bytes, else the parsed events (and
 * stops past `maxTotal` bytes).
 */
function relayCore<T extends Uint8Array | RelayEvent>(
  reader: ChunkReader,
  options: RelayOptions,
  maxTotal: number | undefined,
): { pull(): Promise<T | undefined>; cancel(): Promise<void>; take(): T | undefined } {
  // Only what the stream needs from here on: `options` also carries the held first events.
  const { now, keepAliveMs, abortUpstream, onRateLimits, onDone, stopping } = options;
  const events = maxTotal !== undefined;
  let totalBytes = 0;
  const decode = utf8Stream();
  const summary: StreamSummary = { outcome: "interrupted" };
  let terminal = false;
  let atBoundary = true;
  let finished = false;
  let closed = false;
  let pending = options.pending;
  /** What the client gets next; a step may add the end of a cut event and a failure event at once. */
  // Bytes or events, by the mode (one array either way; no helper closure per stream).
  const out: (Uint8Array | RelayEvent)[] = [];
  const idleTimeoutMs = options.idleTimeoutMs ?? 0;
  const maxEventBytes = options.maxEventBytes || Number.POSITIVE_INFINITY;
  /** Bytes fed to the parser since it last finished an event or a comment: what it may be holding. */
  let unfinished = 0;
  let lastDataAt = Date.now();

  const parser = createParser({
    onComment() {
      unfinished = 0;
    },
    onEvent(message: EventSourceMessage) {
      unfinished = 0;
      const type = eventType(message);
      if (events) {
        // Every event is parsed once, here, for the accounting and the translator alike.
        if (TERMINAL.has(type)) terminal = true;
        const data = parseObject(message.data);
        if (data === undefined) return;
        if (type === "codex.rate_limits") onRateLimits?.(data);
        else if (type === "response.created" || TERMINAL.has(type)) record(type, response(data), summary);
        // The translator's type: the data's own, else the SSE event name.
        const own = data.type;
        const kind =
          typeof own === "string" && own.trim() ? own : message.event !== "message" ? message.event : "";
        if (kind) out.push({ type: kind, data });
        return;
      }
      if (type === "codex.rate_limits") {
        parseJson(message.data, (data) => onRateLimits?.(data));
        return;
      }
      observe(type, message, summary);
      if (TERMINAL.has(type)) terminal = true;
    },
  });
  const accept = (chunk: Uint8Array) => {
    summary.firstByteAt ??= now();
    const text = decode(chunk);
    unfinished += chunk.byteLength;
    parser.feed(text);
    atBoundary = text.endsWith("\n\n") || text.endsWith("\r\n\r\n");
  };
  // The events held back while peeking go out as one write.
  const held = options.prefix ?? [];
  if (held.length > 0) {
    const first = held.length === 1 ? (held[0] as Uint8Array) : Buffer.concat(held);
    totalBytes += first.byteLength;
    accept(first);
    if (!events) out.push(first);
  }

  // On stop the upstream is released; the read that was waiting on it ends, and so does the stream.
  let stopped = false;
  const stop = () => {
    stopped = true;
    abortUpstream();
    void reader.cancel().catch(() => undefined);
  };
  const unsubscribe = stopping?.onStop(stop);

  const finish = (outcome: StreamOutcome) => {
    if (finished) return;
    finished = true;
    unsubscribe?.();
    if (!terminal || outcome === "client_closed") summary.outcome = outcome;
    onDone(summary);
  };

  /** Ends the body; an upstream that stopped short gets a well-formed `response.failed` first. */
  const end = (outcome: StreamOutcome, code: string, message: string) => {
    if (stopped) {
      code = "server_shutting_down";
      message = "the gateway is shutting down; send the request again";
    }
    if (!terminal) {
      if (!events) {
        // An upstream event cut off mid-way is closed first, so the failure event stays well-formed.
        if (!atBoundary) out.push(encoder.encode("\n\n"));
        out.push(failedEvent(code, message, summary.responseId));
      } else if (code === "upstream_event_too_large") out.push({ type: OVERSIZE, data: {} });
      else out.push({ type: "response.failed", data: failedResponse(code, message, summary.responseId) });
      atBoundary = true;
      summary.errorCode = code;
    }
    closed = true;
    finish(terminal ? summary.outcome : outcome);
  };

  /** What one wait on the upstream brought (data, its end, a keep-alive due, the idle timeout). */
  const take = (result: ReadableStreamReadResult<Uint8Array> | "idle" | "timeout") => {
    if (result === "timeout") {
      // A silent upstream must not hold the client forever: end it as a well-formed failure.
      end(
        "interrupted",
        "stream_idle_timeout",
        `upstream sent nothing for ${Math.round(idleTimeoutMs / 1000)} s`,
      );
      abortUpstream();
      void reader.cancel().catch(() => undefined);
      return;
    }
    if (result === "idle") {
      // Only between events, so an injected event never lands inside an upstream one.
      if (events) out.push(KEEPALIVE_EVENT);
      else if (atBoundary) out.push(sseEvent("codex.keepalive", { type: "codex.keepalive" }));
      return;
    }
    pending = undefined;
    lastDataAt = Date.now();
    if (result.done) {
      end("interrupted", "stream_interrupted", "upstream stream ended before response.completed");
      return;
    }
    totalBytes += result.value.byteLength;
    accept(result.value);
    if (!events) out.push(result.value);
    else if (totalBytes > (maxTotal as number)) {
      // A collected answer past its cap: what was parsed goes out, then the oversize event, and the
      // upstream is let go as when the client leaves.
      out.push({ type: OVERSIZE, data: {} });
      closed = true;
      finish("client_closed");
      abortUpstream();
      void reader.cancel().catch(() => undefined);
      return;
    }
    if (unfinished > maxEventBytes) {
      // An event (or a line) that never ends would grow the parser's buffer without bound.
      end(
        "interrupted",
        "upstream_event_too_large",
        `an upstream event grew past ${maxEventBytes} bytes without ending`,
      );
      abortUpstream();
      void reader.cancel().catch(() => undefined);
    }
  };

  const cancel = async (reason?: unknown) => {
    closed = true;
    out.length = 0;
    // A consumer that stops the stream for a reason of its own (the WebSocket worker's time or message
    // limit) records that reason; anything else is the client leaving.
    if (reason instanceof RelayStop && !terminal) {
      summary.errorCode = reason.code;
      finish("interrupted");
    } else finish("client_closed");
    abortUpstream();
    await reader.cancel().catch(() => undefined);
  };

  return {
    // One async frame per open stream, waiting here; a wait may add nothing to `out` (a keep-alive
    // not due at an event boundary), hence the loop.
    async pull() {
      while (out.length === 0 && !closed) {
        try {
          pending ??= reader.read();
          const idleLeft = idleTimeoutMs > 0 ? Math.max(1, lastDataAt + idleTimeoutMs - Date.now()) : 0;
          take(await raceTimers(pending, keepAliveMs, idleLeft));
        } catch {
          if (finished) closed = true;
          else end("interrupted", "stream_interrupted", "upstream connection failed mid-stream");
        }
      }
      return out.shift() as T | undefined;
    },
    cancel,
    // What `pull` would hand out next without waiting, if anything.
    take: () => out.shift() as T | undefined,
  };
}

/**
 * The read, or "idle" after `keepAliveMs` (a keep-alive is due), or "timeout" after `timeoutMs`.
 * One promise and one timer: a relay spends most of its life waiting here, once per open stream.
 */
function raceTimers<T>(
  read: Promise<T>,
  keepAliveMs: number,
  timeoutMs: number,
): Promise<T | "idle" | "timeout"> {
  const keepAlive = keepAliveMs > 0;
  const limited = timeoutMs !== 0;
  if (!keepAlive && !limited) return read;
  const timeoutFirst = limited && (!keepAlive || timeoutMs <= keepAliveMs);
  const wait = Math.max(0, timeoutFirst ? timeoutMs : keepAliveMs);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(resolve, wait, timeoutFirst ? "timeout" : "idle");
    read.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}

function parseJson(text: string, use: (data: Record<string, unknown>) => void): void {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    return;
  }
  if (data && typeof data === "object") use(data as Record<string, unknown>);
}

function parseObject(text: string): Record<string, unknown> | undefined {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    return undefined; // `[DONE]` and other non-JSON lines carry nothing
  }
  return data && typeof data === "object" && !Array.isArray(data)
    ? (data as Record<string, unknown>)
    : undefined;
}

const response = (data: Record<string, unknown>) => (data.response ?? {}) as Record<string, unknown>;

/** Reads only what accounting needs; deltas are not parsed (hot path). */
function observe(type: string, message: EventSourceMessage, summary: StreamSummary): void {
  if (type !== "response.created" && !TERMINAL.has(type)) return;
  parseJson(message.data, (data) => record(type, (data.response ?? {}) as Record<string, unknown>, summary));
}

function record(type: string, response: Record<string, unknown>, summary: StreamSummary): void {
  if (typeof response.id === "string") summary.responseId ??= response.id;
  if (type === "response.completed" || type === "response.done") {
    summary.outcome = "completed";
    summary.usage = usageFrom(response.usage);
  } else if (type === "response.failed") {
    summary.outcome = "failed";
    const code = (response.error as { code?: unknown } | undefined)?.code;
    summary.errorCode =
      typeof code === "string" && /^[A-Za-z0-9_.-]{1,80}$/.test(code) ? code : "upstream_error";
    summary.usage = usageFrom(response.usage);
  } else if (type === "response.incomplete") {
    summary.outcome = "incomplete";
    summary.usage = usageFrom(response.usage);
  }
}

export function usageFrom(raw: unknown): TokenUsage | undefined {
  if (!raw || typeof raw !== "object") return undefined;
  const u = raw as Record<string, unknown>;
  const num = (v: unknown) => (typeof v === "number" && Number.isFinite(v) ? v : 0);
  const details = (u.input_tokens_details ?? {}) as Record<string, unknown>;
  const outDetails = (u.output_tokens_details ?? {}) as Record<string, unknown>;
  return {
    inputTokens: num(u.input_tokens),
    cachedTokens: num(details.cached_tokens),
    outputTokens: num(u.output_tokens),
    reasoningTokens: num(outDetails.reasoning_tokens),
    totalTokens: num(u.total_tokens) || num(u.input_tokens) + num(u.output_tokens),
  };
}
