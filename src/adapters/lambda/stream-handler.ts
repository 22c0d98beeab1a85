// Our own small function URL streaming adapter (RESPONSE_STREAM invoke mode): event → web Request →
// app.fetch → status and headers in the HTTP prelude → body piped with backpressure. Unlike Hono's
// `streamHandle` it awaits drain, tells the app when the client went away (so the core aborts the
// upstream: Lambda itself keeps running after a disconnect), never turns a failure after the
// headers into a bare "Internal Server Error", and awaits background work before returning.
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { ReadableStream as NodeReadableStream } from "node:stream/web";
import { GatewayError } from "../../core/errors.ts";
import { headerFields } from "../http/header-fields.ts";
import { type FunctionUrlEvent, type RequestBindings, toRequest } from "./function-url-event.ts";
import {
  httpResponseStream,
  type LambdaContext,
  type ResponseStream,
  type StreamingHandler,
  streamifyResponse,
} from "./lambda-runtime.ts";

export interface OriginCheck {
  /** Lower-case header name CloudFront adds to every origin request. */
  header: string;
  /** Constant-time comparison against the accepted secret values. */
  verify(value: string | undefined): Promise<boolean>;
  /**
   * Called with the request's headers just before `verify` on requests that carry the origin header:
   * starts the reads the app will make, so that on a cold instance they overlap the origin secret's
   * read. It must only warm caches; nothing it does may depend on the check passing.
   */
  prefetch?(header: (name: string) => string | undefined): void;
}

export interface StreamHandlerOptions {
  fetch(request: Request, bindings: RequestBindings): Response | Promise<Response>;
  /** Required on the public (auth NONE) URLs behind CloudFront; omitted on IAM-authenticated URLs. */
  origin?: OriginCheck;
  /** Awaited after the response has ended and before the invocation returns (request logs, metrics). */
  settle?(): Promise<void>;
  /**
   * Cut the response this long before the function's timeout, so the client gets a terminal event and
   * the upstream is aborted cleanly instead of the runtime killing the invocation mid-write.
   */
  deadlineMarginMs?: number;
  /** Bytes that end a response cut at the deadline, by content type (e.g. an SSE `response.failed`). */
  deadlineTrailer?(contentType: string | null): Uint8Array | undefined;
  onError?(error: unknown, phase: "before_headers" | "after_headers"): void;
}

export function streamHandler(options: StreamHandlerOptions): StreamingHandler<FunctionUrlEvent> {
  return streamifyResponse(async (event, responseStream, context) => {
    const clientGone = new AbortController();
    let ended = false;
    const onClose = () => {
      if (!ended) clientGone.abort();
    };
    responseStream.on("close", onClose);
    responseStream.on("error", onClose);
    try {
      const response = await respond(options, event, clientGone.signal);
      const { fields: headers, cookies } = headerFields(response.headers);
      const out = httpResponseStream(responseStream, { statusCode: response.status, headers, cookies });
      if (response.body) {
        const body = untilDeadline(response.body, deadlineIn(context, options), () =>
          options.deadlineTrailer?.(response.headers.get("content-type")),
        );
        try {
          // `end: false`: on a source error the response stream stays ours to end cleanly (the core
          // has already written its terminal event); a closed response stream still cancels the body.
          await pipeline(Readable.fromWeb(body as NodeReadableStream<Uint8Array>), out, { end: false });
        } catch (error) {
          if (!clientGone.signal.aborted) options.onError?.(error, "after_headers");
        }
      }
      ended = true;
      await endStream(out);
    } finally {
      ended = true;
      responseStream.off("close", onClose);
      await options.settle?.();
    }
  });
}

async function respond(
  options: StreamHandlerOptions,
  event: FunctionUrlEvent,
  signal: AbortSignal,
): Promise<Response> {
  if (options.origin) {
    let trusted: boolean;
    try {
      const value = headerOf(event, options.origin.header);
      if (value) options.origin.prefetch?.((name) => headerOf(event, name));
      trusted = await options.origin.verify(value);
    } catch (error) {
      options.onError?.(error, "before_headers");
      return new GatewayError(
        503,
        "origin_check_unavailable",
        "the gateway cannot verify its origin; retry shortly",
      ).toResponse();
    }
    if (!trusted) {
      return new GatewayError(
        403,
        "origin_forbidden",
        "this function URL only serves requests through the gateway's CloudFront domain; use that URL",
      ).toResponse();
    }
  }
  try {
    const dropHeaders = options.origin ? [options.origin.header] : [];
    const { request, bindings } = toRequest(event, { signal, dropHeaders, fromCloudFront: !!options.origin });
    return await options.fetch(request, bindings);
  } catch (error) {
    options.onError?.(error, "before_headers");
    return new GatewayError(500, "internal_error", "internal error; see the gateway log").toResponse();
  }
}

function headerOf(event: FunctionUrlEvent, name: string): string | undefined {
  for (const [key, value] of Object.entries(event.headers ?? {})) {
    if (key.toLowerCase() === name) return value;
  }
  return undefined;
}

function deadlineIn(context: LambdaContext | undefined, options: StreamHandlerOptions): number | undefined {
  const remaining = context?.getRemainingTimeInMillis?.();
  if (remaining === undefined || !Number.isFinite(remaining) || options.deadlineMarginMs === undefined) {
    return undefined;
  }
  return Math.max(0, remaining - options.deadlineMarginMs);
}

/** Passes the body through until the deadline, then cancels it (aborting the upstream) and appends the trailer. */
function untilDeadline(
  body: ReadableStream<Uint8Array>,
  ms: number | undefined,
  trailer: () => Uint8Array | undefined,
): ReadableStream<Uint8Array> {
  if (ms === undefined) return body;
  const reader = body.getReader();
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<"deadline">((resolve) => {
    timer = setTimeout(() => resolve("deadline"), ms);
    timer.unref();
  });
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        let result: ReadableStreamReadResult<Uint8Array> | "deadline";
        try {
          result = await Promise.race([reader.read(), deadline]);
        } catch (error) {
          clearTimeout(timer);
          throw error;
        }
        if (result === "deadline") {
          await reader.cancel(new Error("lambda deadline")).catch(() => undefined);
          const bytes = trailer();
          if (bytes) controller.enqueue(bytes);
          controller.close();
        } else if (result.done) {
          clearTimeout(timer);
          controller.close();
        } else {
          controller.enqueue(result.value);
        }
      },
      async cancel(reason) {
        clearTimeout(timer);
        await reader.cancel(reason);
      },
    },
    { highWaterMark: 0 },
  );
}

function endStream(out: ResponseStream): Promise<void> {
  if (out.destroyed || out.writableEnded) return Promise.resolve();
  return new Promise((resolve) => {
    out.once("error", () => resolve());
    out.end(() => resolve());
  });
}
