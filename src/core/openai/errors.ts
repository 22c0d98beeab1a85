// Errors on the /v1 surface: the exact unsupported-endpoint answer, relay error Responses turned
// into the OpenAI envelope, and in-stream upstream failures turned into a status or an error event.

import { type ErrorBody, type ErrorType, GatewayError } from "../errors.ts";
import { decodeText, readPrefix } from "../support/bounded-read.ts";
import { isObject } from "./common.ts";

export const UNSUPPORTED_ENDPOINT_BODY = JSON.stringify({
  error: {
    message: "Unsupported OpenAI /v1 endpoint",
    type: "invalid_request_error",
    code: "unsupported_endpoint",
    param: null,
  },
});

export function unsupportedEndpoint(): Response {
  return new Response(UNSUPPORTED_ENDPOINT_BODY, {
    status: 404,
    headers: { "content-type": "application/json", "cache-control": "no-store" },
  });
}

const SAFE_CODE = /^[A-Za-z0-9_.-]{1,80}$/;

/** Upstream codes that describe the request itself: the client can act on the message. */
const CLIENT_CODES: Record<string, number> = {
  context_length_exceeded: 400,
  invalid_prompt: 400,
  invalid_request_error: 400,
  cyber_policy: 400,
  misalignment_policy_violation: 400,
  content_policy_violation: 400,
  invalid_encrypted_content: 400,
  previous_response_not_found: 400,
  rate_limit_exceeded: 429,
  usage_limit_reached: 429,
  insufficient_quota: 429,
  usage_not_included: 403,
  server_is_overloaded: 503,
  server_shutting_down: 503,
  slow_down: 503,
};

export interface PublicError {
  status: number;
  body: ErrorBody;
}

/** An upstream failure as the client may see it: code kept only when safe, message sanitized. */
export function publicFailure(rawCode: unknown, rawMessage: unknown): PublicError {
  const code = typeof rawCode === "string" && SAFE_CODE.test(rawCode) ? rawCode : "upstream_error";
  if (code === "stream_interrupted") {
    return {
      status: 502,
      body: envelope(
        "server_error",
        "server_error",
        "upstream request failed: stream interrupted before terminal response event",
      ),
    };
  }
  const status = CLIENT_CODES[code] ?? 502;
  const clientFacing = status < 500 && typeof rawMessage === "string" && rawMessage.trim() !== "";
  const message = clientFacing
    ? (rawMessage as string).slice(0, 500)
    : `upstream request failed (${code}); try again shortly`;
  const type: ErrorType = status >= 500 ? "server_error" : "invalid_request_error";
  return { status, body: envelope(type, code, message) };
}

function envelope(type: ErrorType, code: string, message: string, param: string | null = null): ErrorBody {
  return { error: { message, type, code, param } };
}

export function failureResponse(failure: PublicError, extraHeaders: Record<string, string> = {}): Response {
  return Response.json(failure.body, {
    status: failure.status,
    headers: { "cache-control": "no-store", ...extraHeaders },
  });
}

const ERROR_BODY_LIMIT = 64 * 1024;

/**
 * A non-2xx answer from the relay (a gateway error, the usage-limit 429, or an upstream body relayed
 * as is) as the OpenAI envelope, keeping the status and the headers a client acts on.
 */
export async function openaiErrorFrom(response: Response): Promise<Response> {
  const text = decodeText(await readPrefix(response.body, ERROR_BODY_LIMIT));
  const gatewayError = gatewayErrorFrom(response.status, parseJson(text));
  const headers: Record<string, string> = {};
  for (const name of ["retry-after", "x-codex-recovery-kind", "x-request-id"]) {
    const value = response.headers.get(name);
    if (value) headers[name] = value;
  }
  // Out of quota until a reset minutes away: an SDK's automatic retries would only fail again.
  if (gatewayError.code === "usage_limit_reached") headers["x-should-retry"] = "false";
  return Response.json(gatewayError.toJSON(), {
    status: response.status,
    headers: { ...headers, "cache-control": "no-store" },
  });
}

/** An error body from the upstream or the relay (OpenAI-style, FastAPI `detail`, or none). */
export function gatewayErrorFrom(status: number, body: unknown): GatewayError {
  const error = isObject(body) && isObject(body.error) ? body.error : undefined;
  const detail = isObject(body) && typeof body.detail === "string" ? body.detail : undefined;
  const rawCode = error?.code ?? error?.type;
  const code = typeof rawCode === "string" && SAFE_CODE.test(rawCode) ? rawCode : `upstream_http_${status}`;
  const message =
    typeof error?.message === "string" && error.message.trim()
      ? error.message.slice(0, 500)
      : (detail?.slice(0, 500) ?? `upstream request failed (HTTP ${status})`);
  const param = typeof error?.param === "string" ? error.param : null;
  const resetsAt = typeof error?.resets_at === "number" ? error.resets_at : undefined;
  return new GatewayError(
    status,
    code,
    resetsAt ? `${message}; resets at ${new Date(resetsAt * 1000).toISOString()}` : message,
    { param, headers: code === "usage_limit_reached" ? { "x-should-retry": "false" } : {} },
  );
}

export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
