// The Responses WebSocket behind a managed front (API Gateway WebSocket API on AWS): one call per
// connect, message and disconnect, no socket held between them. See docs/adr/0001-websocket-on-aws.md.
//
// Connect: the Pool key is checked on the handshake; Codex-style clients are sent to HTTPS with 426
// (their first message is bigger than the front's 32 KB frame limit); everyone else is registered.
// Message: a `response.create` is answered at once when no upstream call is needed (a `generate:false`
// warm-up, a `previous_response_id` the gateway cannot serve) and otherwise handed to a worker, so
// no turn depends on how long the front waits for one call. Nothing of the conversation is stored.
import { randomBytes } from "node:crypto";
import { badRequest, GatewayError } from "../../errors.ts";
import type { Gateway } from "../../gateway.ts";
import { authenticatePoolKey } from "../../keys/key-auth.ts";
import { enforceKeyPolicy, MODEL_ID } from "../../keys/key-policy.ts";
import type { Credential } from "../../model.ts";
import { requestLogger } from "../../request-log.ts";
import { SESSION_HEADERS } from "../responses.ts";
import { FORWARDED_CLIENT_HEADERS } from "../upstream-headers.ts";
import {
  type ConnectionSender,
  keyFingerprint,
  type TurnDispatcher,
  type WebSocketApiLimits,
  type WebSocketConnection,
  type WebSocketConnectionRepository,
} from "./connections.ts";
import { type Frame, gatewayErrorFrame, parseFrame, previousResponseNotFoundFrame } from "./protocol.ts";

/** The request-log route of turns over the WebSocket API (it has no paths of its own). */
export const WEBSOCKET_API_ROUTE = "/v1/responses";

export interface WebSocketApi {
  gw: Gateway;
  connections: WebSocketConnectionRepository;
  sender: ConnectionSender;
  dispatcher: TurnDispatcher;
  limits: WebSocketApiLimits;
}

const HEADER_VALUE_MAX = 2048;

/**
 * Codex (and clients built like it: an `originator`, or a Codex user agent) speaking the Responses
 * WebSocket protocol. Their first message carries the tool definitions, 30-40 KB in one frame.
 */
export function isCodexStyleClient(headers: Headers): boolean {
  const beta = headers.get("openai-beta") ?? "";
  if (!/(^|[\s,])responses_websockets=/.test(beta)) return false;
  return headers.has("originator") || /codex/i.test(headers.get("user-agent") ?? "");
}

/** The answer for `$connect`: 200 registers the connection; any other status is the client's upgrade answer. */
export async function acceptConnection(
  gw: Gateway,
  connections: WebSocketConnectionRepository,
  limits: WebSocketApiLimits,
  input: { connectionId: string; headers: Headers; sourceIp?: string },
): Promise<Response> {
  const { ctx } = gw;
  let auth: Awaited<ReturnType<typeof authenticatePoolKey>>;
  try {
    // The runtime firewall first, as on the HTTP routes (API Gateway gives the caller's address).
    const client = await gw.settings.admit(input.sourceIp, input.headers, "backend-api");
    auth = await authenticatePoolKey(gw, input.headers.get("authorization"), client);
  } catch (error) {
    if (!(error instanceof GatewayError)) throw error;
    ctx.metrics.count("websocket_connections", 1, { outcome: "rejected" });
    return error.toResponse();
  }
  if (isCodexStyleClient(input.headers)) {
    // 426 makes Codex continue over HTTP POST at once; 403/404/500 or a 1009 close cost it ~6.5 s of retries.
    ctx.metrics.count("websocket_connections", 1, { outcome: "http_fallback" });
    return new GatewayError(
      426,
      "websocket_unavailable",
      "Codex clients use HTTPS on this gateway (its WebSocket front limits frames to 32 KB); continue with HTTP POST",
    ).toResponse();
  }
  const now = ctx.clock.now();
  await connections.put({
    connectionId: input.connectionId,
    keyId: auth.key.id,
    pool: auth.pool.name,
    keyCheck: keyFingerprint(auth.key),
    headers: relayedHandshakeHeaders(input.headers),
    createdAt: now,
    expiresAt: Math.ceil((now + limits.maxConnectionMs) / 1000) + 60,
  });
  ctx.metrics.count("websocket_connections", 1, { outcome: "accepted" });
  return new Response(null, { status: 200 });
}

export async function dropConnection(
  connections: WebSocketConnectionRepository,
  connectionId: string,
): Promise<void> {
  await connections.delete(connectionId);
}

/** One client message (`$default`). Errors reach the client as wrapped error frames; nothing throws for them. */
export async function receiveMessage(
  api: WebSocketApi,
  input: { connectionId: string; text: string; binary: boolean; replyTo: string; requestId: string },
): Promise<void> {
  const { gw, connections, sender } = api;
  const { ctx } = gw;
  const { connectionId } = input;
  const startedAt = ctx.clock.now();
  const post = (frame: string) => sender.post(connectionId, frame);

  const frame = input.binary ? undefined : parseFrame(input.text);
  if (frame?.type !== "response.create") {
    // An interrupt cannot reach the worker running the turn: closing the connection stops it.
    if (frame?.type === "response.interrupt") return;
    await post(
      gatewayErrorFrame(
        badRequest('send JSON text frames {"type":"response.create",…}, one turn at a time', "type"),
      ),
    );
    return;
  }
  const connection = await connections.get(connectionId);
  const key = connection ? await ctx.store.credentials.get("pool_key", connection.keyId) : undefined;
  const refusal = refuseKey(connection, key);
  if (refusal || !connection || !key) {
    await post(gatewayErrorFrame(refusal ?? keyGone()));
    // The record goes before the close, so nothing is left once the client sees the socket end.
    await connections.delete(connectionId);
    await sender.close(connectionId);
    return;
  }

  const text = (v: unknown) => (typeof v === "string" && v.trim() !== "" ? v : undefined);
  const model = text(frame.model);
  const logRow = requestLogger(ctx, {
    at: startedAt,
    pool: connection.pool,
    keyId: connection.keyId,
    route: WEBSOCKET_API_ROUTE,
    method: "GET",
    transport: "websocket",
    model,
  });
  const log = (status: number, errorCode?: string) =>
    logRow({ status, errorCode, ...(status === 200 ? { usage: ZERO_USAGE_LOG } : {}) });
  const fail = async (error: GatewayError, logged = false) => {
    await post(gatewayErrorFrame(error));
    if (!logged) log(error.status, error.code);
  };

  if (frame.model !== undefined && (model === undefined || !MODEL_ID.test(model))) {
    return fail(badRequest("model must be a model id string", "model"));
  }
  const warmup = frame.generate === false;
  if (!warmup) {
    try {
      await enforceKeyPolicy(gw.ctx, key, {
        model,
        reasoningEffort: (frame.reasoning as { effort?: unknown } | undefined)?.effort,
        effortParam: "reasoning.effort",
        route: WEBSOCKET_API_ROUTE,
        method: "GET",
        transport: "websocket",
        startedAt,
      });
    } catch (error) {
      if (error instanceof GatewayError) return fail(error, true); // the policy wrote the row
      throw error;
    }
  }
  if (warmup) {
    // Nothing to generate: answered here, without an upstream call or a worker.
    for (const event of warmupEvents(frame, startedAt)) await post(JSON.stringify(event));
    log(200);
    return;
  }
  const previous = text(frame.previous_response_id);
  if (previous) {
    // The conversation lives on no socket here (each turn is its own upstream request, nothing is
    // stored): the client resends the full history without previous_response_id.
    await post(previousResponseNotFoundFrame(previous));
    log(400, "previous_response_not_found");
    return;
  }
  const turnId = `turn_${randomBytes(8).toString("hex")}`;
  const claimed = await connections.claimTurn(
    connectionId,
    turnId,
    startedAt + api.limits.turnLeaseMs,
    startedAt,
  );
  if (!claimed) {
    return fail(
      new GatewayError(
        409,
        "turn_in_progress",
        "a response is still being generated on this connection; wait for its terminal event before sending the next response.create",
      ),
    );
  }
  try {
    await api.dispatcher.dispatch({
      kind: "websocket-turn",
      connectionId,
      turnId,
      requestId: input.requestId,
      frame: input.text,
      receivedAt: startedAt,
      replyTo: input.replyTo,
    });
  } catch (error) {
    ctx.logger.error("websocket turn could not be started", { error: (error as Error).name });
    await connections.releaseTurn(connectionId, turnId).catch(() => undefined);
    await fail(
      new GatewayError(503, "turn_not_started", "the gateway could not start this turn; send it again"),
    );
  }
}

function refuseKey(
  connection: WebSocketConnection | undefined,
  key: Credential | undefined,
): GatewayError | undefined {
  if (!connection) {
    return new GatewayError(401, "connection_unknown", "this connection is not registered; reconnect");
  }
  if (!key || keyFingerprint(key) !== connection.keyCheck) return keyGone();
  if (key.status !== "active") {
    return new GatewayError(401, "api_key_disabled", `api key is ${key.status}`);
  }
  return undefined;
}

const keyGone = () =>
  new GatewayError(401, "api_key_disabled", "api key was rotated or deleted; reconnect with the current key");

const ZERO_USAGE_LOG = {
  inputTokens: 0,
  cachedTokens: 0,
  outputTokens: 0,
  reasoningTokens: 0,
  totalTokens: 0,
};

/** `response.created` + `response.completed` with a fresh id and empty output, as the upstream answers a warm-up. */
function warmupEvents(frame: Frame, now: number): Frame[] {
  const response = {
    id: `resp_${randomBytes(12).toString("hex")}`,
    object: "response",
    created_at: Math.floor(now / 1000),
    status: "in_progress",
    model: typeof frame.model === "string" ? frame.model : null,
    output: [],
  };
  return [
    { type: "response.created", response },
    {
      type: "response.completed",
      response: {
        ...response,
        status: "completed",
        usage: {
          input_tokens: 0,
          input_tokens_details: { cached_tokens: 0 },
          output_tokens: 0,
          output_tokens_details: { reasoning_tokens: 0 },
          total_tokens: 0,
        },
      },
    },
  ];
}

/** The handshake headers a turn relays upstream (identity, session ids), bounded; never auth. */
function relayedHandshakeHeaders(headers: Headers): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of new Set([...FORWARDED_CLIENT_HEADERS, ...SESSION_HEADERS])) {
    const value = headers.get(name);
    if (value && value.length <= HEADER_VALUE_MAX) out[name] = value;
  }
  return out;
}
