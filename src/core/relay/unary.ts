// A unary (JSON or multipart in, JSON out) upstream call through the Pool, for the routes that are
// not Responses turns: files, transcription, native images, legacy compaction. Accounts come from
// the router; a refresh-and-retry on 401, and failover to the next candidate on transport errors,
// throttling, quota and server errors (unless the caller forbids it). The body is rebuilt per
// attempt, so it must be bounded in memory (the multipart limits bound it).

import { decodeText, readAll } from "../bounded-read.ts";
import { GatewayError } from "../errors.ts";
import type { Gateway } from "../gateway.ts";
import type { Account, Credential, Pool, TokenUsage } from "../model.ts";
import { usageLimitFrom } from "../quota.ts";
import { logRequest } from "../request-log.ts";
import { type Anchors, usageLimitError } from "../routing/router.ts";
import { upstreamHeaders } from "./upstream-headers.ts";

export interface UnaryCall {
  key: Credential;
  pool: Pool;
  /** Path under the upstream base, e.g. `/files`. */
  path: string;
  method?: "POST" | "GET";
  /** Called once per attempt. */
  body?: () => BodyInit;
  /** Omit for FormData (fetch writes the multipart boundary). */
  contentType?: string;
  accept?: string;
  model?: string;
  anchors?: Anchors;
  clientHeaders?: Headers;
  signal: AbortSignal;
  requestId: string;
  /** Legacy compaction is never replayed on another account. */
  failover?: boolean;
  maxResponseBytes?: number;
}

export interface UnaryResult {
  account: Account;
  attempts: number;
  status: number;
  headers: Headers;
  text: string;
  /** Parsed JSON body, or undefined when the body is not JSON. */
  json: unknown;
}

const DEFAULT_MAX_RESPONSE = 16 * 1024 * 1024;

/** Tries the Pool's planned accounts; returns the first answer that is final (2xx or a 4xx that any account would give). */
export async function callPool(gw: Gateway, call: UnaryCall): Promise<UnaryResult> {
  const now = gw.ctx.clock.now();
  const plan = await gw.router.plan({
    pool: call.pool,
    keyId: call.key.id,
    model: call.model ?? "default",
    anchors: call.anchors ?? {},
    requestId: call.requestId,
  });
  const candidates = call.failover === false ? plan.candidates.slice(0, 1) : plan.candidates;
  const usageLimited: Account[] = [];
  let last: UnaryResult | undefined;
  let attempts = 0;
  for (const account of candidates) {
    if (call.signal.aborted) break;
    attempts++;
    const result = await callAccount(gw, account, call).catch((error: unknown) => {
      if (error instanceof GatewayError && error.code === "upstream_response_too_large") throw error;
      return undefined; // transport or token failure: try the next account
    });
    if (!result) continue;
    result.attempts = attempts;
    last = result;
    const limit = usageLimitFrom(result.status, result.headers, result.json, now);
    if (limit) {
      gw.quota.exhausted(account, limit, result.headers);
      usageLimited.push(account);
      continue;
    }
    if (retryable(result.status)) continue;
    return result;
  }
  if (usageLimited.length > 0 && usageLimited.length === attempts) {
    throw usageLimitError(usageLimited, now);
  }
  if (last) return last;
  throw new GatewayError(
    call.signal.aborted ? 499 : 502,
    call.signal.aborted ? "client_closed" : "upstream_request_failed",
    "upstream request failed on every account tried; try again shortly",
  );
}

const retryable = (status: number) => status === 429 || status >= 500 || status === 403;

/** One account: a proactive token, one refresh-and-retry on 401. Throws on transport failure. */
export async function callAccount(gw: Gateway, account: Account, call: UnaryCall): Promise<UnaryResult> {
  const { ctx } = gw;
  let tokens = await gw.tokens.accessToken(account);
  for (let authTry = 0; ; authTry++) {
    const timeout = AbortSignal.timeout(ctx.config.upstreamHeadersTimeoutMs);
    const response = await ctx.fetch(`${ctx.config.upstreamBaseUrl}${call.path}`, {
      method: call.method ?? "POST",
      headers: upstreamHeaders(call.clientHeaders ?? new Headers(), account, tokens.accessToken, {
        accept: call.accept ?? "application/json",
        clientVersion: ctx.config.clientVersion,
        contentType: call.contentType,
      }),
      body: call.body?.(),
      signal: AbortSignal.any([call.signal, timeout]),
    });
    gw.quota.observe(account, response.headers);
    if (response.status === 401 && authTry === 0) {
      await response.body?.cancel().catch(() => undefined);
      tokens = await gw.tokens.refresh(account, "unauthorized_recovery");
      continue;
    }
    const limit = call.maxResponseBytes ?? DEFAULT_MAX_RESPONSE;
    const text = decodeText(
      await readAll(
        response.body,
        limit,
        () =>
          new GatewayError(
            502,
            "upstream_response_too_large",
            `the upstream answer is larger than ${limit} bytes`,
          ),
      ),
    );
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    return { account, attempts: 1, status: response.status, headers: response.headers, text, json };
  }
}

/** One metadata row for a unary route (the caller decides when the work is done). */
export function logUnary(
  gw: Gateway,
  req: { key: Credential; pool: Pool; route: string; startedAt: number; model?: string },
  outcome: { status: number; errorCode?: string; account?: Account; attempts?: number; usage?: TokenUsage },
): void {
  logRequest(gw.ctx, {
    at: req.startedAt,
    pool: req.pool.name,
    keyId: req.key.id,
    accountId: outcome.account?.id,
    accountLabel: outcome.account?.label,
    route: req.route,
    method: "POST",
    transport: "http_json",
    model: req.model,
    status: outcome.status,
    errorCode: outcome.errorCode,
    attempts: outcome.attempts ?? (outcome.account ? 1 : 0),
    durationMs: gw.ctx.clock.now() - req.startedAt,
    usage: outcome.usage,
  });
}
