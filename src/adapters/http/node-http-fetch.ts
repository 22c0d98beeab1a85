// The upstream transport of the local host: a `fetch` over node:http/https with a keep-alive agent.
// Node's built-in fetch (undici) builds a web Request, a body stream for even a byte-array body, its
// own Headers and a Response per call; on the relay path that was about a fifth of the gateway's CPU.
// This sends the body with one write and hands back a Response over the socket's Readable: the relay
// reads it directly (`bodyReader`, no web stream at all), anyone else through the Response's body,
// a web stream pulled one chunk at a time; either way the socket pauses while nobody reads. Aborting
// the signal destroys the request, before or after the answer started. An answer no Response can
// hold (a status outside 200–599) rejects like a broken connection.
// Differences from fetch, none of which the gateway relies on: redirects are returned, not followed;
// no default accept/accept-encoding/user-agent headers are added (gzip, deflate and br answers are
// still decoded). Bodies other than a string or bytes (form data, blobs, streams) go through fetch.
import http from "node:http";
import https from "node:https";
import type { Readable } from "node:stream";
import { urlToHttpOptions } from "node:url";
import zlib from "node:zlib";
import { type ChunkReader, readerResponse } from "../../core/relay/chunk-source.ts";

const agents = {
  "http:": new http.Agent({ keepAlive: true, scheduling: "lifo" }),
  "https:": new https.Agent({ keepAlive: true, scheduling: "lifo" }),
};

/** What a Response accepts as its status text (RFC 9112 reason-phrase). */
const REASON_PHRASE = /^[\t\x20-\x7e\x80-\xff]*$/;

/** Statuses whose answers carry no body (a Response refuses one for them). */
const NULL_BODY = new Set([204, 205, 304]);

function abortError(signal: AbortSignal): unknown {
  return signal.reason ?? new DOMException("This operation was aborted", "AbortError");
}

function flatHeaders(init: HeadersInit | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (!init) return out;
  if (init instanceof Headers) {
    init.forEach((value, name) => {
      out[name] = value;
    });
    return out;
  }
  const entries = Array.isArray(init) ? init : Object.entries(init);
  for (const [name, value] of entries) {
    if (value !== undefined) out[name.toLowerCase()] = String(value);
  }
  return out;
}

/**
 * `contentEncoding` comes from the answer's raw header lines: `res.headers` would build (and keep, for
 * as long as the answer streams) an object of every header, which nothing else here reads.
 */
function decoded(res: http.IncomingMessage, contentEncoding: string | undefined): Readable {
  const encoding = contentEncoding?.trim().toLowerCase();
  const decoder =
    encoding === "gzip" || encoding === "x-gzip"
      ? zlib.createGunzip()
      : encoding === "deflate"
        ? zlib.createInflate()
        : encoding === "br"
          ? zlib.createBrotliDecompress()
          : undefined;
  if (!decoder) return res;
  // An error on either side, or a cancel of the decoded stream, ends both. A body that does not
  // decode errs as soon as it arrives, maybe before anyone reads: the reader gets the error when it
  // comes (a Node stream keeps it), but without a listener of its own it would be uncaught.
  res.on("error", (error) => decoder.destroy(error));
  decoder.on("error", ignore);
  decoder.on("close", () => res.destroy());
  res.pipe(decoder);
  return decoder;
}

/**
 * Reads a Node stream in paused mode: each call takes what is buffered (`read()`), or waits for the
 * next 'readable'. The stream still stops reading its socket at its high-water mark while nobody
 * calls. Cancelling destroys it (and with it the request). Lighter than the stream's async iterator,
 * which costs an end-of-stream watcher, a generator and ticks per chunk on the hottest path.
 */
function nodeReader(readable: Readable): ChunkReader {
  let ended = false;
  let failure: unknown;
  // Reads waiting for the stream; the relay has one at a time, a web stream may queue more.
  let waiting: (() => void)[] = [];
  const notify = () => {
    const resume = waiting;
    waiting = [];
    for (const wake of resume) wake();
  };
  readable.on("readable", notify);
  readable.once("end", () => {
    ended = true;
    notify();
  });
  readable.once("error", (error) => {
    failure ??= error;
    notify();
  });
  readable.once("close", () => {
    // Closed before its end without an error of its own (destroyed): a cut, as the iterator reports.
    if (!ended) failure ??= prematureClose();
    notify();
  });
  return {
    async read() {
      for (;;) {
        // An error ends the body at once; what it had buffered is not handed out.
        if (failure !== undefined) throw failure;
        const chunk = readable.read() as Uint8Array | null;
        if (chunk !== null) return { done: false, value: chunk };
        if (ended) return { done: true, value: undefined };
        await new Promise<void>((resolve) => {
          waiting.push(resolve);
        });
      }
    },
    async cancel() {
      readable.destroy();
    },
  };
}

function prematureClose(): Error {
  return Object.assign(new Error("Premature close"), { code: "ERR_STREAM_PREMATURE_CLOSE" });
}

interface Target {
  transport: typeof http | typeof https;
  agent: http.Agent;
  options: http.RequestOptions;
}

/** Parsed request targets by URL: the relay calls the same few URLs over and over. */
const targets = new Map<string, Target>();

function targetOf(input: string): Target | undefined {
  let target = targets.get(input);
  if (target) return target;
  const url = new URL(input);
  if (url.protocol !== "http:" && url.protocol !== "https:") return undefined;
  target = {
    transport: url.protocol === "https:" ? https : http,
    agent: agents[url.protocol],
    options: urlToHttpOptions(url),
  };
  if (targets.size >= 256) targets.clear();
  targets.set(input, target);
  return target;
}

function send(
  target: Target,
  method: string,
  headers: Record<string, string>,
  payload: Buffer | undefined,
  signal: AbortSignal | undefined,
): Promise<Response> {
  const req = target.transport.request({ ...target.options, method, headers, agent: target.agent });
  const answer = answerOf(req, method, signal);
  // Written outside the closures that live as long as the answer: a Codex body carries the whole
  // conversation and must not stay reachable while the stream is open.
  req.end(payload);
  return answer;
}

function answerOf(
  req: http.ClientRequest,
  method: string,
  signal: AbortSignal | undefined,
): Promise<Response> {
  // The listeners that stay for as long as the answer streams are made out here, away from the
  // promise's resolve/reject: through those they would keep the resolved Response (its headers and
  // body stream) alive after the relay has let go of it.
  const onAbort = () => req.destroy(abortError(signal as AbortSignal) as Error);
  const release = () => signal?.removeEventListener("abort", onAbort);
  signal?.addEventListener("abort", onAbort, { once: true });
  return new Promise<Response>((resolve, reject) => {
    const onError = (error: Error) => {
      release();
      if (signal?.aborted) {
        reject(abortError(signal));
        return;
      }
      // Never re-sent here, even on a pooled connection: a reset may come after the upstream took
      // the request (fetch does not re-send a POST either); the relay fails over instead. The agent
      // drops idle connections before the server's advertised keep-alive timeout.
      reject(new TypeError("fetch failed", { cause: error }));
    };
    req.once("error", onError);
    req.once("response", (res) => {
      // From here the body stream reports failures.
      req.off("error", onError);
      req.on("error", ignore);
      res.once("close", release);
      // Nothing may throw out of this listener (it would take the process down): an answer that
      // cannot be a Response (status 600, 000, 101…) fails like a broken connection.
      let response: Response;
      try {
        response = responseOf(res, method);
      } catch (error) {
        res.destroy();
        reject(new TypeError("fetch failed", { cause: error }));
        return;
      }
      resolve(response);
    });
  });
}

const ignore = () => undefined;

function responseOf(res: http.IncomingMessage, method: string): Response {
  // Name/value pairs, not a Headers: the Response copies its init's headers either way, and a
  // Headers given as init is copied in sorted order (a sort per answer).
  const headers: [string, string][] = [];
  let encoding: string | undefined;
  const raw = res.rawHeaders;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i] as string;
    const value = raw[i + 1] as string;
    headers.push([name, value]);
    // Repeated lines joined with ", ", as Node does in `res.headers`.
    if (name.length === 16 && name.toLowerCase() === "content-encoding") {
      encoding = encoding === undefined ? value : `${encoding}, ${value}`;
    }
  }
  const status = res.statusCode ?? 0;
  if (status < 200 || status > 599) throw new Error(`upstream answered with status ${status}`);
  // A reason phrase with control bytes is dropped rather than refused: nothing reads it.
  const reason = res.statusMessage ?? "";
  const init = { status, statusText: REASON_PHRASE.test(reason) ? reason : "", headers };
  if (method === "HEAD" || NULL_BODY.has(status)) {
    res.resume();
    return new Response(null, init);
  }
  return readerResponse(nodeReader(decoded(res, encoding)), init);
}

/** A `fetch` for the upstream calls; see the header comment for what it leaves to `fetch`. */
export const nodeHttpFetch: typeof fetch = async (input, init) => {
  const body = init?.body;
  if (
    !(typeof input === "string" || input instanceof URL) ||
    (body != null && typeof body !== "string" && !(body instanceof Uint8Array))
  ) {
    return fetch(input, init);
  }
  const target = targetOf(String(input));
  if (!target) return fetch(input, init);
  const signal = init?.signal ?? undefined;
  if (signal?.aborted) throw abortError(signal);
  const method = (init?.method ?? "GET").toUpperCase();
  const headers = flatHeaders(init?.headers);
  const payload =
    typeof body === "string"
      ? Buffer.from(body)
      : body
        ? Buffer.from(body.buffer, body.byteOffset, body.byteLength)
        : undefined;
  if (payload) headers["content-length"] = String(payload.byteLength);
  return send(target, method, headers, payload, signal);
};
