// The Responses-over-WebSocket wire vocabulary (codex-protocol §5): the beta token the upstream
// requires, client `response.create` frames, and the wrapped error frame
// `{"type":"error","status_code":…,"error":{…},"headers":{…}}` that Codex treats exactly like an HTTP
// error with that status and those headers.
import type { GatewayError } from "../../errors.ts";
import { MODEL_ID } from "../../keys/key-policy.ts";
import type { Account } from "../../model.ts";
import { relayedResponseHeaders, upstreamHeaders } from "../upstream-headers.ts";

export const WEBSOCKET_BETA = "responses_websockets=2026-02-06";

/** Events that end a turn. */
export const TERMINAL_EVENTS = new Set([
  "response.completed",
  "response.done",
  "response.failed",
  "response.incomplete",
  "error",
]);

export type Frame = Record<string, unknown>;

/** A JSON object frame, or undefined for anything else (the relay forwards those untouched). */
export function parseFrame(text: string): Frame | undefined {
  if (!text.startsWith("{")) return undefined;
  try {
    const value: unknown = JSON.parse(text);
    return value && typeof value === "object" && !Array.isArray(value) ? (value as Frame) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The client's `openai-beta` with the WebSocket token ensured and `responses=experimental` (the HTTP
 * beta, which the WebSocket endpoint rejects) removed; other tokens pass.
 */
export function websocketBeta(client: string | null): string {
  const tokens = (client ?? "")
    .split(",")
    .map((t) => t.trim())
    .filter((t) => t !== "" && t !== "responses=experimental");
  if (!tokens.some((t) => t.startsWith("responses_websockets="))) tokens.push(WEBSOCKET_BETA);
  return tokens.join(", ");
}

/** Upgrade headers for the upstream: the HTTP relay's allow-list and credentials plus the beta token. */
export function websocketUpstreamHeaders(
  client: Headers,
  account: Pick<Account, "chatgptAccountId">,
  accessToken: string,
  clientVersion: string,
): Headers {
  const headers = upstreamHeaders(client, account, accessToken, { clientVersion });
  headers.set("openai-beta", websocketBeta(client.get("openai-beta")));
  return headers;
}

/** The model a connection is about to use, from the handshake (turn metadata, or the routing hint). */
export function handshakeModel(headers: Headers): string | undefined {
  let model: unknown;
  try {
    model = (JSON.parse(headers.get("x-codex-turn-metadata") ?? "{}") as { model?: unknown }).model;
  } catch {
    model = undefined;
  }
  model ??= /(?:^|[;,\s])model=([^;,\s]+)/.exec(headers.get("x-codex-routing-hint") ?? "")?.[1];
  return typeof model === "string" && MODEL_ID.test(model) ? model : undefined;
}

export function wrappedErrorFrame(
  status: number,
  error: Record<string, unknown>,
  headers: Record<string, string> = {},
): string {
  return JSON.stringify({ type: "error", status_code: status, error, headers });
}

export function gatewayErrorFrame(error: GatewayError): string {
  return wrappedErrorFrame(error.status, error.toJSON().error, error.headers);
}

/** Makes Codex open a new connection and resend the whole history without previous_response_id. */
export function previousResponseNotFoundFrame(id: string): string {
  return wrappedErrorFrame(400, {
    type: "invalid_request_error",
    code: "previous_response_not_found",
    message: `Previous response with id '${id.slice(0, 128)}' not found. Send the full input without previous_response_id.`,
    param: "previous_response_id",
  });
}

/** An HTTP error answer (a rejected upgrade, a gateway error) as the wrapped frame with the same meaning. */
export async function responseAsErrorFrame(response: Response): Promise<string> {
  const text = await response.text().catch(() => "");
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  const error = (body as { error?: unknown } | undefined)?.error;
  const headers: Record<string, string> = {};
  relayedResponseHeaders(response.headers).forEach((value, name) => {
    headers[name] = value;
  });
  return wrappedErrorFrame(
    response.status,
    error && typeof error === "object"
      ? (error as Record<string, unknown>)
      : {
          type: response.status >= 500 ? "server_error" : "invalid_request_error",
          code: `upstream_http_${response.status}`,
          message: `upstream answered HTTP ${response.status}`,
        },
    headers,
  );
}

/** A wrapped error frame as the HTTP answer it stands for, so HTTP error handling can judge it. */
export function wrappedErrorAsResponse(frame: Frame): Response | undefined {
  const status = frame.status_code;
  if (typeof status !== "number" || !Number.isInteger(status) || status < 200 || status > 599)
    return undefined;
  const headers = new Headers({ "content-type": "application/json" });
  if (frame.headers && typeof frame.headers === "object") {
    for (const [name, value] of Object.entries(frame.headers as Record<string, unknown>)) {
      if (typeof value === "string" && !/[\r\n]/.test(value)) {
        try {
          headers.set(name, value);
        } catch {
          // not a valid header name: not something quota parsing needs
        }
      }
    }
  }
  return new Response(JSON.stringify({ error: frame.error ?? {} }), { status, headers });
}

/** The error code inside an `error` or `response.failed` event, if it is a plain token. */
export function eventErrorCode(frame: Frame): string | undefined {
  const error = (frame.error ?? (frame.response as Frame | undefined)?.error) as Frame | undefined;
  const raw = error?.code ?? error?.type ?? frame.code;
  return typeof raw === "string" && /^[A-Za-z0-9_.-]{1,80}$/.test(raw) ? raw : undefined;
}
