// POST /codex/responses through the Pool: pick accounts in routing order, refresh tokens as needed,
// fail over before the first byte reaches the client, then relay the SSE stream as it arrives.
import { GatewayError } from "../errors.ts";
import type { Gateway } from "../gateway.ts";
import type { Account, Credential, Pool } from "../model.ts";
import { usageLimitFrom } from "../quota.ts";
import { logRequest } from "../request-log.ts";
import { isExhausted, isRoutable } from "../routing/account-directory.ts";
import { noEligibleAccount } from "../upstream-call.ts";
import { relaySse } from "./sse-relay.ts";
import { relayedResponseHeaders, upstreamHeaders } from "./upstream-headers.ts";

/** Accounts one request may try (the routing issue makes this the Pool's ring size). */
const MAX_ATTEMPTS = 2;
const ERROR_BODY_LIMIT = 64 * 1024;

export interface ResponsesRequest {
  key: Credential;
  pool: Pool;
  route: string;
  body: Uint8Array<ArrayBuffer>;
  model?: string;
  clientHeaders: Headers;
  /** Aborts when the client disconnects. */
  signal: AbortSignal;
  startedAt: number;
  requestId: string;
}

type Attempt =
  | { kind: "stream"; response: Response; abort: AbortController }
  | { kind: "final"; response: Response; errorCode?: string }
  | { kind: "retry"; status: number; code: string; relay?: Response };

export async function relayResponses(gw: Gateway, req: ResponsesRequest): Promise<Response> {
  const { ctx } = gw;
  const now = ctx.clock.now();
  const members = await gw.directory.forPool(req.pool.name);
  const routable = members.filter((a) => isRoutable(a, now));
  const candidates = gw.router.order(req.pool.name, routable).slice(0, MAX_ATTEMPTS);
  const log = (
    status: number,
    account: Account | undefined,
    attempts: number,
    extra: Partial<LogExtra> = {},
  ) =>
    logRequest(ctx, {
      at: req.startedAt,
      pool: req.pool.name,
      keyId: req.key.id,
      accountId: account?.id,
      accountLabel: account?.label,
      route: req.route,
      method: "POST",
      transport: "http_sse",
      model: req.model,
      status,
      attempts,
      durationMs: ctx.clock.now() - req.startedAt,
      ...extra,
    });

  if (candidates.length === 0) {
    // Every usable account is out of quota: answer as the upstream would, so Codex shows when to retry.
    const exhausted = members.filter((a) => isExhausted(a, now));
    if (exhausted.length > 0) {
      log(429, undefined, 0, { errorCode: "usage_limit_reached" });
      return usageLimitResponse(exhausted, now);
    }
    const error = noEligibleAccount();
    log(error.status, undefined, 0, { errorCode: error.code });
    throw error;
  }

  let last: Extract<Attempt, { kind: "retry" }> | undefined;
  let attempts = 0;
  for (const account of candidates) {
    attempts++;
    const attempt = await tryAccount(gw, req, account);
    if (attempt.kind === "retry") {
      last = attempt;
      ctx.metrics.count("upstream_failover", 1, { code: attempt.code });
      if (req.signal.aborted) break;
      continue;
    }
    if (attempt.kind === "final") {
      log(attempt.response.status, account, attempts, { errorCode: attempt.errorCode });
      return attempt.response;
    }
    return streamToClient(gw, req, attempt, (summary) => log(summary.status, account, attempts, summary));
  }

  if (req.signal.aborted) {
    log(499, undefined, attempts, { errorCode: "client_closed" });
    return new GatewayError(499, "client_closed", "client closed the request").toResponse();
  }
  const failure = last as Extract<Attempt, { kind: "retry" }>;
  log(failure.status, candidates[attempts - 1], attempts, { errorCode: failure.code });
  return (
    failure.relay ??
    new GatewayError(
      failure.status,
      failure.code,
      "upstream request failed on every account tried; try again shortly",
    ).toResponse()
  );
}

interface LogExtra {
  status: number;
  errorCode?: string;
  ttfbMs?: number;
  usage?: import("../model.ts").TokenUsage;
}

async function tryAccount(gw: Gateway, req: ResponsesRequest, account: Account): Promise<Attempt> {
  const { ctx } = gw;
  let tokens: Awaited<ReturnType<typeof gw.tokens.accessToken>>;
  try {
    tokens = await gw.tokens.accessToken(account);
  } catch (error) {
    gw.directory.invalidate();
    return {
      kind: "retry",
      status: 503,
      code: error instanceof GatewayError ? error.code : "account_unavailable",
    };
  }
  for (let authTry = 0; authTry < 2; authTry++) {
    const abort = new AbortController();
    const onClientGone = () => abort.abort();
    req.signal.addEventListener("abort", onClientGone, { once: true });
    const headersTimer = setTimeout(() => abort.abort(), ctx.config.upstreamHeadersTimeoutMs);
    let response: Response;
    try {
      response = await ctx.fetch(`${ctx.config.upstreamBaseUrl}/codex/responses`, {
        method: "POST",
        headers: upstreamHeaders(req.clientHeaders, account, tokens.accessToken, {
          accept: "text/event-stream",
          clientVersion: ctx.config.clientVersion,
          contentType: "application/json",
        }),
        body: req.body,
        signal: abort.signal,
      });
    } catch {
      req.signal.removeEventListener("abort", onClientGone);
      const timedOut = !req.signal.aborted;
      return { kind: "retry", status: 502, code: timedOut ? "upstream_unreachable" : "client_closed" };
    } finally {
      clearTimeout(headersTimer);
    }
    gw.quota.observe(account, response.headers);

    if (response.ok) return { kind: "stream", response, abort };
    req.signal.removeEventListener("abort", onClientGone);

    if (response.status === 401 && authTry === 0) {
      await response.body?.cancel().catch(() => undefined);
      try {
        tokens = await gw.tokens.refresh(account, "unauthorized_recovery");
      } catch (error) {
        gw.directory.invalidate();
        return {
          kind: "retry",
          status: 502,
          code: error instanceof GatewayError ? error.code : "upstream_auth_failed",
        };
      }
      continue;
    }
    return classifyError(gw, account, response);
  }
  return { kind: "retry", status: 502, code: "upstream_auth_failed" };
}

async function classifyError(gw: Gateway, account: Account, response: Response): Promise<Attempt> {
  const text = await readBounded(response, ERROR_BODY_LIMIT);
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
    // Relayed only if every account is out, with the shape Codex reads for its usage-limit message.
    const error = (body as { error: Record<string, unknown> }).error ?? {};
    const relay = Response.json(
      {
        error: {
          type: "usage_limit_reached",
          message: typeof error.message === "string" ? error.message : "The usage limit has been reached",
          plan_type: limit.planType ?? error.plan_type,
          resets_at: limit.resetsAt,
          resets_in_seconds: Math.max(0, limit.resetsAt - Math.floor(gw.ctx.clock.now() / 1000)),
        },
      },
      { status: 429, headers },
    );
    return { kind: "retry", status: 429, code: "usage_limit_reached", relay };
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

function streamToClient(
  gw: Gateway,
  req: ResponsesRequest,
  attempt: Extract<Attempt, { kind: "stream" }>,
  done: (summary: LogExtra) => void,
): Response {
  const { ctx } = gw;
  const upstream = attempt.response;
  const headers = relayedResponseHeaders(upstream.headers);
  headers.set("content-type", upstream.headers.get("content-type") ?? "text/event-stream");
  headers.set("cache-control", "no-cache");
  headers.set("x-request-id", req.requestId);
  const etag = gw.models.etag(req.pool.name);
  if (etag) headers.set("x-models-etag", etag);
  else headers.delete("x-models-etag");
  if (!upstream.body) {
    done({ status: upstream.status });
    return new Response(null, { status: upstream.status, headers });
  }
  const body = relaySse(upstream.body, {
    now: () => ctx.clock.now(),
    keepAliveMs: ctx.config.sseKeepAliveMs,
    abortUpstream: () => attempt.abort.abort(),
    onDone(summary) {
      const ok = summary.outcome === "completed" || summary.outcome === "incomplete";
      done({
        status: summary.outcome === "client_closed" ? 499 : upstream.status,
        errorCode: ok ? undefined : (summary.errorCode ?? summary.outcome),
        ttfbMs: summary.firstByteAt !== undefined ? summary.firstByteAt - req.startedAt : undefined,
        usage: summary.usage,
      });
    },
  });
  return new Response(body, { status: upstream.status, headers });
}

async function readBounded(response: Response, limit: number): Promise<string> {
  if (!response.body) return "";
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    while (size < limit) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      size += value.byteLength;
    }
  } finally {
    await reader.cancel().catch(() => undefined);
  }
  return new TextDecoder().decode(Buffer.concat(chunks).subarray(0, limit));
}

function upstreamCode(body: unknown): string | undefined {
  const error = (body as { error?: unknown } | undefined)?.error;
  const raw =
    error && typeof error === "object"
      ? ((error as Record<string, unknown>).code ?? (error as Record<string, unknown>).type)
      : undefined;
  return typeof raw === "string" && /^[A-Za-z0-9_.-]{1,80}$/.test(raw) ? raw : undefined;
}

function usageLimitResponse(exhausted: Account[], nowMs: number): Response {
  const soonest = exhausted.reduce((a, b) =>
    (a.quota?.exhaustedUntil ?? 0) <= (b.quota?.exhaustedUntil ?? 0) ? a : b,
  );
  const resetsAt = soonest.quota?.exhaustedUntil ?? Math.floor(nowMs / 1000);
  return Response.json(
    {
      error: {
        type: "usage_limit_reached",
        message: "The usage limit has been reached on every account of this pool",
        plan_type: soonest.planType ?? soonest.quota?.planType,
        resets_at: resetsAt,
        resets_in_seconds: Math.max(0, resetsAt - Math.floor(nowMs / 1000)),
      },
    },
    { status: 429, headers: { "x-codex-rate-limit-reached-type": "rate_limit_reached" } },
  );
}
