// POST /codex/responses through the Pool: plan the accounts to try, refresh tokens as needed, fail
// over before the first byte reaches the client (HTTP errors, resets, timeouts, a failing first
// SSE event), then relay the stream as it arrives and account for it.

import type { ClientHeaders } from "../access/firewall.ts";
import { usageLimitFrom } from "../accounts/quota.ts";
import type { StopSignal } from "../context.ts";
import { GatewayError } from "../errors.ts";
import type { Gateway } from "../gateway.ts";
import type { Account, Credential, Pool, TokenUsage } from "../model.ts";
import { requestLogger } from "../request-log.ts";
import type { Anchors, RoutePlan } from "../routing/router.ts";
import { decodeText, readPrefix } from "../support/bounded-read.ts";
import { transportFailure, UNAUTHORIZED } from "./attempts.ts";
import { bodyReader, type ChunkReader, sourcedResponse } from "./chunk-source.ts";
import type { Retry } from "./failover-ledger.ts";
import { peekFirstEvent } from "./sse-peek.ts";
import {
  type RelayEventReader,
  type RelayOptions,
  relaySse,
  relaySseEvents,
  type StreamSummary,
} from "./sse-relay.ts";
import { relayedResponseHeaders, upstreamHeaderRecord } from "./upstream-headers.ts";

const ERROR_BODY_LIMIT = 64 * 1024;

const shuttingDown = () =>
  new GatewayError(503, "server_shutting_down", "the gateway is shutting down; send the request again");
/** An attempt the host's stop ended: says nothing about the account. */
const SHUTTING_DOWN = {
  kind: "retry",
  status: 503,
  code: "server_shutting_down",
  healthNeutral: true,
} as const;

export interface ResponsesRequest {
  key: Credential;
  pool: Pool;
  route: string;
  transport?: "http_sse" | "http_json" | "websocket";
  /** The client's method, for the request log (a WebSocket turn arrives on a GET upgrade). */
  method?: string;
  body: Uint8Array<ArrayBuffer>;
  model?: string;
  anchors: Anchors;
  /** Read by name only (the forwarded allow-list, continuity anchors). */
  clientHeaders: ClientHeaders;
  /** Aborts when the client disconnects. */
  signal: AbortSignal;
  startedAt: number;
  requestId: string;
  /**
   * The answer as the relay's parsed events (`takeRelayEvents`) rather than its bytes, for a route
   * that translates them; `maxTotalBytes` caps a collected answer.
   */
  events?: { maxTotalBytes?: number };
}

const relayedEvents = new WeakMap<Response, RelayEventReader>();

/** The parsed events behind a relay's Response asked for with `events`, once. */
export function takeRelayEvents(response: Response): RelayEventReader | undefined {
  const events = relayedEvents.get(response);
  relayedEvents.delete(response);
  return events;
}

export type Attempt =
  | {
      kind: "stream";
      response: Response;
      reader: ChunkReader;
      abort: AbortController;
      prefix: Uint8Array[];
      pending?: Promise<ReadableStreamReadResult<Uint8Array>>;
    }
  | { kind: "final"; response: Response; errorCode?: string }
  | Retry;

interface LogFields {
  status: number;
  errorCode?: string;
  ttfbMs?: number;
  usage?: TokenUsage;
}

/** Codex sends the session in one of these, first non-blank wins (the original's order). */
export const SESSION_HEADERS = [
  "x-codex-window-id",
  "x-codex-session-id",
  "session-id",
  "x-session-id",
  "x-session-affinity",
  "session_id",
  "x-codex-conversation-id",
];

export function anchorsFrom(headers: ClientHeaders, body: Record<string, unknown>): Anchors {
  const text = (v: unknown) => (typeof v === "string" && v.trim() && v.length <= 512 ? v.trim() : undefined);
  let sessionKey: string | undefined;
  for (const name of SESSION_HEADERS) {
    sessionKey = text(headers.get(name));
    if (sessionKey) break;
  }
  return {
    sessionKey,
    promptCacheKey: text(body.prompt_cache_key),
    previousResponseId: text(body.previous_response_id) ?? text(headers.get("x-codex-previous-response-id")),
  };
}

/** What the SSE relay uses: the router, the attempt loop, quota evidence, the catalog's etag, ctx. */
export type RelayDeps = Pick<Gateway, "ctx" | "router" | "attempts" | "quota" | "models">;

export async function relayResponses(gw: RelayDeps, req: ResponsesRequest): Promise<Response> {
  const { ctx } = gw;
  const model = req.model ?? "default";
  // The closures below outlive the request handler for as long as the stream is open (minutes), so
  // they hold the few fields they need, not `req`: its body carries the whole conversation and is
  // garbage once the stream has committed.
  const { startedAt, pool, anchors } = req;
  const logRow = requestLogger(ctx, {
    at: startedAt,
    pool: pool.name,
    keyId: req.key.id,
    route: req.route,
    method: req.method ?? "POST",
    transport: req.transport ?? "http_sse",
    model: req.model,
  });
  const log = (account: Account | undefined, attempts: number, fields: LogFields) =>
    logRow({ account, attempts, ...fields });

  let plan: RoutePlan;
  try {
    plan = await gw.router.plan({
      pool: req.pool,
      keyId: req.key.id,
      model,
      anchors: req.anchors,
      requestId: req.requestId,
    });
  } catch (error) {
    if (error instanceof GatewayError) log(undefined, 0, { status: error.status, errorCode: error.code });
    throw error;
  }

  const tries = gw.attempts.begin(req.pool.name, model, plan);
  const served = await tries.firstServed(req.signal, attemptsOf(gw, req));
  if (served) {
    const { account, result: attempt } = served;
    const attempts = tries.attempts;
    if (attempt.kind === "final") {
      log(account, attempts, { status: attempt.response.status, errorCode: attempt.errorCode });
      return attempt.response;
    }
    return streamToClient(gw, req, account, attempt, (summary, fields) => {
      log(account, attempts, fields);
      settle(gw, pool, anchors, account, model, summary);
    });
  }

  const lastAccount = tries.lastAccount;
  if (ctx.stopping.stopped) {
    const error = shuttingDown();
    log(lastAccount, tries.attempts, { status: error.status, errorCode: error.code });
    return error.toResponse();
  }
  if (req.signal.aborted) {
    log(lastAccount, tries.attempts, { status: 499, errorCode: "client_closed" });
    return new GatewayError(499, "client_closed", "client closed the request").toResponse();
  }
  const outcome = tries.outcome();
  log(tries.attempts ? lastAccount : undefined, tries.attempts, {
    status: outcome.status,
    errorCode: outcome.code,
  });
  return outcome.response;
}

/** After the stream: routing health, continuity pins. Best effort, off the client's path. */
function settle(
  gw: RelayDeps,
  { name: pool, strategy }: Pool,
  anchors: Anchors,
  account: Account,
  model: string,
  summary: StreamSummary,
) {
  const { router } = gw;
  const work: Promise<unknown>[] = [];
  if (summary.outcome === "completed" || summary.outcome === "incomplete") {
    work.push(gw.attempts.served({ name: pool, strategy }, account, model));
    if (summary.responseId) work.push(router.remember(pool, "response", summary.responseId, account.id));
    if (anchors.sessionKey) work.push(router.remember(pool, "session", anchors.sessionKey, account.id));
    if (anchors.promptCacheKey)
      work.push(router.remember(pool, "prompt_cache", anchors.promptCacheKey, account.id));
  } else if (summary.outcome === "interrupted") {
    work.push(router.recordFailure(pool, account, model, "stream_interrupted"));
  }
  gw.ctx.background(
    Promise.all(work).catch((error) =>
      gw.ctx.logger.warn("routing state write failed", { error: String(error) }),
    ),
  );
}

/**
 * The attempt callback, made in a scope of its own: a closure that mentions `req` puts it in the
 * context every closure of its function shares, and those of `relayResponses` (the request log's)
 * live as long as the stream. `req.body` is the whole conversation.
 */
function attemptsOf(gw: RelayDeps, req: ResponsesRequest): (account: Account) => Promise<Attempt> {
  return (account) => tryAccount(gw, req, account);
}

/**
 * An attempt's abort, tied to the client's signal and to the host's stop. Its closures stay on the
 * client's signal while the stream is open, so they are made here, away from the request (see
 * `attemptsOf`).
 */
function attemptAbort(signal: AbortSignal, stopping: StopSignal) {
  const abort = new AbortController();
  const onClientGone = () => abort.abort();
  signal.addEventListener("abort", onClientGone, { once: true });
  // The host stopping for good before this attempt reached the client ends it too; the client
  // then gets a 503 rather than a cut connection (a committed stream ends through the relay).
  const stopListening = stopping.onStop(onClientGone);
  const release = () => {
    signal.removeEventListener("abort", onClientGone);
    stopListening();
  };
  return { abort, stopListening, release };
}

async function tryAccount(gw: RelayDeps, req: ResponsesRequest, account: Account): Promise<Attempt> {
  const { ctx } = gw;
  const { signal } = req;
  return gw.attempts.withAccessToken(
    account,
    async (accessToken, lastTry): Promise<Attempt | typeof UNAUTHORIZED> => {
      const { abort, stopListening, release } = attemptAbort(signal, ctx.stopping);
      const headersTimer = setTimeout(() => abort.abort(), ctx.config.upstreamHeadersTimeoutMs);
      let response: Response;
      try {
        response = await ctx.fetch(`${ctx.config.upstreamBaseUrl}/codex/responses`, {
          method: "POST",
          headers: upstreamHeaderRecord(req.clientHeaders, account, accessToken, {
            accept: "text/event-stream",
            clientVersion: ctx.config.clientVersion,
            contentType: "application/json",
          }),
          body: req.body,
          signal: abort.signal,
        });
      } catch {
        release();
        return ctx.stopping.stopped ? SHUTTING_DOWN : transportFailure(signal);
      } finally {
        clearTimeout(headersTimer);
      }
      gw.quota.observe(account, response.headers);

      const reader = response.ok ? bodyReader(response) : undefined;
      if (reader) {
        const peek = await peekFirstEvent(
          reader,
          ctx.config.firstEventTimeoutMs,
          ctx.config.maxUpstreamEventBytes,
        ).catch(() => ({
          kind: "retry" as const,
          code: signal.aborted ? "client_closed" : "stream_incomplete",
          usageLimited: false,
        }));
        if (peek.kind === "retry") {
          release();
          abort.abort();
          if (ctx.stopping.stopped) {
            await reader.cancel().catch(() => undefined);
            return SHUTTING_DOWN;
          }
          await reader.cancel().catch(() => undefined);
          if (peek.usageLimited) {
            gw.quota.exhausted(
              account,
              { resetsAt: Math.floor(ctx.clock.now() / 1000) + 300 },
              response.headers,
            );
          }
          return { kind: "retry", status: 502, code: peek.code, usageLimited: peek.usageLimited };
        }
        stopListening();
        return { kind: "stream", response, reader, abort, prefix: peek.prefix, pending: peek.pending };
      }
      release();
      if (response.status === 401 && !lastTry) {
        await response.body?.cancel().catch(() => undefined);
        return UNAUTHORIZED;
      }
      return classifyError(gw, account, response, req.model);
    },
  );
}

/** Sorts an upstream error answer: another account may serve it (retry), or it fails everywhere (final). */
export async function classifyError(
  gw: RelayDeps,
  account: Account,
  response: Response,
  model?: string,
): Promise<Attempt> {
  const text = decodeText(await readPrefix(response.body, ERROR_BODY_LIMIT));
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined; // e.g. an HTML challenge page
  }
  const code = upstreamCode(body) ?? `upstream_http_${response.status}`;
  const headers = relayedResponseHeaders(response.headers);
  headers.set("content-type", "application/json");
  const limit = usageLimitFrom(response.status, response.headers, body, gw.ctx.clock.now());
  if (limit) {
    gw.quota.exhausted(account, limit, response.headers);
    return {
      kind: "retry",
      status: 429,
      code: "usage_limit_reached",
      usageLimited: true,
      quotaHeaders: headers,
    };
  }
  if (model && modelUnavailable(response.status, code, body)) {
    await gw.quota.modelUnavailable(account, model);
    return {
      kind: "retry",
      status: 400,
      code: "model_unavailable",
      healthNeutral: true,
      relay: new Response(text, { status: response.status, headers }),
    };
  }
  // Auth trouble, throttling, challenges and server errors are about this account: try another.
  if (
    response.status >= 500 ||
    response.status === 429 ||
    response.status === 401 ||
    response.status === 403
  ) {
    const relay =
      body !== undefined && response.status !== 401 && response.status !== 403
        ? new Response(text, { status: response.status, headers })
        : undefined;
    return {
      kind: "retry",
      status: response.status >= 500 || response.status === 429 ? response.status : 502,
      code,
      relay,
    };
  }
  // A request the upstream rejects (400, 404, 413…) fails the same way on every account.
  return {
    kind: "final",
    errorCode: code,
    response:
      body !== undefined
        ? new Response(text, { status: response.status, headers })
        : new GatewayError(
            response.status,
            code,
            `upstream rejected the request (HTTP ${response.status})`,
          ).toResponse(),
  };
}

/** The upstream's way of saying this account cannot use this model (others may). */
function modelUnavailable(status: number, code: string, body: unknown): boolean {
  if (status !== 400 && status !== 404) return false;
  if (["model_not_found", "model_not_supported", "unsupported_model"].includes(code)) return true;
  const message = (body as { error?: { message?: unknown }; detail?: unknown } | undefined)?.error?.message;
  return typeof message === "string" && /model .*(not supported|does not exist|not available)/i.test(message);
}

function streamToClient(
  gw: RelayDeps,
  req: ResponsesRequest,
  account: Account,
  attempt: Extract<Attempt, { kind: "stream" }>,
  done: (summary: StreamSummary, fields: LogFields) => void,
): Response {
  const { ctx } = gw;
  // The closures below live as long as the stream: they hold these values, not the upstream's
  // Response (its headers), the attempt (the held first events) or the request.
  const { status, headers: upstreamHeaders } = attempt.response;
  const { startedAt } = req;
  const { abort } = attempt;
  const headers = relayedResponseHeaders(upstreamHeaders);
  headers.set("content-type", upstreamHeaders.get("content-type") ?? "text/event-stream");
  headers.set("cache-control", "no-cache");
  headers.set("x-request-id", req.requestId);
  const etag = gw.models.etag(req.pool.name);
  if (etag) headers.set("x-models-etag", etag);
  else headers.delete("x-models-etag");
  const options: RelayOptions = {
    prefix: attempt.prefix,
    pending: attempt.pending,
    now: () => ctx.clock.now(),
    keepAliveMs: ctx.config.sseKeepAliveMs,
    idleTimeoutMs: ctx.config.streamIdleTimeoutMs ?? 0,
    maxEventBytes: ctx.config.maxUpstreamEventBytes,
    abortUpstream: () => abort.abort(),
    stopping: ctx.stopping,
    onRateLimits: (event) => gw.quota.observeEvent(account, event),
    onDone(summary) {
      const ok = summary.outcome === "completed" || summary.outcome === "incomplete";
      done(summary, {
        status: summary.outcome === "client_closed" ? 499 : status,
        errorCode: ok ? undefined : (summary.errorCode ?? summary.outcome),
        ttfbMs: summary.firstByteAt !== undefined ? summary.firstByteAt - startedAt : undefined,
        usage: summary.usage,
      });
    },
  };
  if (req.events) {
    const events = relaySseEvents(attempt.reader, {
      ...options,
      maxTotalBytes: req.events.maxTotalBytes,
      signal: req.signal,
    });
    const response = new Response(null, { status, headers });
    relayedEvents.set(response, events);
    return response;
  }
  return sourcedResponse(relaySse(attempt.reader, options), { status, headers });
}

function upstreamCode(body: unknown): string | undefined {
  const error = (body as { error?: unknown } | undefined)?.error;
  const raw =
    error && typeof error === "object"
      ? ((error as Record<string, unknown>).code ?? (error as Record<string, unknown>).type)
      : undefined;
  return typeof raw === "string" && /^[A-Za-z0-9_.-]{1,80}$/.test(raw) ? raw : undefined;
}
