// A unary (JSON or multipart in, JSON out) upstream call through the Pool, for the routes that are
// not Responses turns: files, transcription, native images, legacy compaction. Accounts come from
// the router; a refresh-and-retry on 401, and failover to the next candidate on transport errors,
// throttling, quota and server errors (unless the caller forbids it). The body is rebuilt per
// attempt, so it must be bounded in memory (the multipart limits bound it).

import { usageLimitFrom } from "../accounts/quota.ts";
import { GatewayError } from "../errors.ts";
import type { Gateway } from "../gateway.ts";
import type { Account, Credential, Pool, TokenUsage } from "../model.ts";
import { requestLogger } from "../request-log.ts";
import { type Anchors, usageLimitError } from "../routing/router.ts";
import { decodeText, readAll } from "../support/bounded-read.ts";
import { isRetry, transportFailure, UNAUTHORIZED } from "./attempts.ts";
import { allRecovering, type Retry } from "./failover-ledger.ts";
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
  /** false: only the plan's first account (a step bound to the account that holds its state). */
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

/**
 * Tries the Pool's planned accounts through the shared attempt loop; returns the first answer that is
 * final (2xx or a 4xx that any account would give). Throttling, quota, 403 and server errors demote
 * the account and move on, like the relay; when every account failed, the last upstream answer is
 * relayed (or a usage-limit error when all were out of quota).
 */
/** What a unary call uses: the router, the attempt loop, quota evidence, ctx. */
export type UnaryDeps = Pick<Gateway, "ctx" | "router" | "attempts" | "quota">;

export async function callPool(gw: UnaryDeps, call: UnaryCall): Promise<UnaryResult> {
  const now = gw.ctx.clock.now();
  const model = call.model ?? "default";
  const plan = await gw.router.plan({
    pool: call.pool,
    keyId: call.key.id,
    model,
    anchors: call.anchors ?? {},
    requestId: call.requestId,
  });
  const tries = gw.attempts.begin(call.pool.name, model, {
    candidates: call.failover === false ? plan.candidates.slice(0, 1) : plan.candidates,
    halfOpen: plan.halfOpen,
  });
  let last: UnaryResult | undefined;
  const served = await tries.firstServed(call.signal, async (account): Promise<UnaryResult | Retry> => {
    const result = await callAccount(gw, account, call);
    if (isRetry(result)) return result;
    const limit = usageLimitFrom(result.status, result.headers, result.json, now);
    if (limit) {
      gw.quota.exhausted(account, limit, result.headers);
      return { kind: "retry", status: 429, code: "usage_limit_reached", usageLimited: true };
    }
    if (!retryable(result.status)) return result;
    last = result;
    return { kind: "retry", status: result.status, code: `upstream_http_${result.status}` };
  });
  if (served) {
    const { account, result } = served;
    result.attempts = tries.attempts;
    if (result.status >= 200 && result.status < 300) {
      gw.ctx.background(
        gw.attempts
          .served(call.pool, account, model)
          .catch((error) => gw.ctx.logger.warn("routing state write failed", { error: String(error) })),
      );
    }
    return result;
  }
  const { usageLimited } = tries.ledger;
  if (usageLimited.length > 0 && usageLimited.length === tries.attempts) {
    throw usageLimitError(usageLimited, now);
  }
  const answer = last as UnaryResult | undefined;
  if (answer) return { ...answer, attempts: tries.attempts };
  if (call.signal.aborted) throw new GatewayError(499, "client_closed", "client closed the request");
  if (tries.attempts === 0) throw allRecovering();
  throw new GatewayError(
    502,
    "upstream_request_failed",
    "upstream request failed on every account tried; try again shortly",
  );
}

const retryable = (status: number) => status === 429 || status >= 500 || status === 403;

/** One account: its token, the request, one refresh-and-retry on 401; transport failures are retries. */
async function callAccount(gw: UnaryDeps, account: Account, call: UnaryCall): Promise<UnaryResult | Retry> {
  const { ctx } = gw;
  return gw.attempts.withAccessToken(account, async (accessToken, lastTry) => {
    const timeout = AbortSignal.timeout(ctx.config.upstreamHeadersTimeoutMs);
    let response: Response;
    try {
      response = await ctx.fetch(`${ctx.config.upstreamBaseUrl}${call.path}`, {
        method: call.method ?? "POST",
        headers: upstreamHeaders(call.clientHeaders ?? new Headers(), account, accessToken, {
          accept: call.accept ?? "application/json",
          clientVersion: ctx.config.clientVersion,
          contentType: call.contentType,
        }),
        body: call.body?.(),
        signal: AbortSignal.any([call.signal, timeout]),
      });
    } catch {
      return transportFailure(call.signal);
    }
    gw.quota.observe(account, response.headers);
    if (response.status === 401 && !lastTry) {
      await response.body?.cancel().catch(() => undefined);
      return UNAUTHORIZED;
    }
    const limit = call.maxResponseBytes ?? DEFAULT_MAX_RESPONSE;
    let text: string;
    try {
      text = decodeText(
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
    } catch (error) {
      // Too large is the answer's size, the same on every account; a body that breaks off or does
      // not decode is this account's upstream failing.
      if (error instanceof GatewayError) throw error;
      return transportFailure(call.signal);
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    return { account, attempts: 1, status: response.status, headers: response.headers, text, json };
  });
}

/** One metadata row for a unary route (the caller decides when the work is done). */
export function logUnary(
  gw: UnaryDeps,
  req: { key: Credential; pool: Pool; route: string; startedAt: number; model?: string },
  outcome: { status: number; errorCode?: string; account?: Account; attempts?: number; usage?: TokenUsage },
): void {
  requestLogger(gw.ctx, {
    at: req.startedAt,
    pool: req.pool.name,
    keyId: req.key.id,
    route: req.route,
    method: "POST",
    transport: "http_json",
    model: req.model,
  })(outcome);
}
