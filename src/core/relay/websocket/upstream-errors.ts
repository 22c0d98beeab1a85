// How the WebSocket relay judges an upstream's refusal: a rejected upgrade and a turn's first error
// event get the HTTP relay's classification (usage limits, model availability, retryable statuses),
// so a WebSocket turn fails over and fails exactly as a POST would; and the failure a handshake or
// turn ends with when no account served.
import { GatewayError } from "../../errors.ts";
import type { Gateway } from "../../gateway.ts";
import type { Account } from "../../model.ts";
import type { FailoverOutcome, Retry } from "../failover-ledger.ts";
import { type Attempt, classifyError } from "../responses.ts";
import { RETRYABLE_FIRST_EVENT_CODES } from "../sse-peek.ts";
import { eventErrorCode, type Frame, wrappedErrorAsResponse } from "./protocol.ts";

export type Final = Extract<Attempt, { kind: "final" }>;

/** The answer a handshake or a turn ends with when it could not be served (the ledger's shape). */
export type Failure = FailoverOutcome;

/** The HTTP relay's error classification (usage limits, model availability, retryable statuses). */
export async function judge(
  gw: Gateway,
  account: Account,
  answer: Response,
  model?: string,
): Promise<Retry | Final> {
  const attempt = await classifyError(gw, account, answer, model);
  return attempt.kind === "stream" ? { kind: "retry", status: 502, code: "upstream_error" } : attempt;
}

/** A retry verdict when a turn's first decisive event says another account should take the turn. */
export async function judgeFirstEvent(
  gw: Gateway,
  account: Account,
  model: string | undefined,
  type: string,
  event: Frame,
): Promise<Retry | undefined> {
  if (type !== "error" && type !== "response.failed") return undefined;
  const asHttp = type === "error" ? wrappedErrorAsResponse(event) : undefined;
  if (asHttp) {
    const attempt = await judge(gw, account, asHttp, model);
    return attempt.kind === "retry" ? attempt : undefined;
  }
  const code = eventErrorCode(event);
  if (!code || !RETRYABLE_FIRST_EVENT_CODES.has(code)) return undefined;
  const usageLimited = code === "usage_limit_reached";
  if (usageLimited) {
    const resetsAt = Math.floor(gw.ctx.clock.now() / 1000) + 300;
    gw.quota.exhausted(account, { resetsAt }, new Headers());
  }
  return { kind: "retry", status: 502, code, usageLimited };
}

export function failureFrom(error: unknown): Failure {
  const gatewayError =
    error instanceof GatewayError
      ? error
      : new GatewayError(500, "internal_error", "internal error; see the gateway log");
  return { response: gatewayError.toResponse(), status: gatewayError.status, code: gatewayError.code };
}

/** classifyError maps upstream 401/403 to a 502 retry named by the upstream's code. */
export function isAuthFailure(retry: Retry): boolean {
  return ["token_expired", "invalid_api_key", "invalid_authentication", "upstream_http_401"].includes(
    retry.code,
  );
}
