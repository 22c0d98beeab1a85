// A WebSocket turn's accounting, beside the frames (which are relayed unchanged): what the turn is
// (model, anchors, attempts, first byte, usage, outcome), the terminal event that ends it, its
// request-log row, and after a served turn the routing health and soft affinities.
import { usageLimitFrom } from "../../accounts/quota.ts";
import type { Gateway } from "../../gateway.ts";
import type { PoolKeyAuth } from "../../keys/key-auth.ts";
import type { Account, TokenUsage } from "../../model.ts";
import { requestLogger } from "../../request-log.ts";
import { anchorsFrom } from "../responses.ts";
import { usageFrom } from "../sse-relay.ts";
import { eventErrorCode, type Frame, TERMINAL_EVENTS, wrappedErrorAsResponse } from "./protocol.ts";

export interface Turn {
  text: string;
  model?: string;
  warmup: boolean;
  previousResponseId?: string;
  promptCacheKey?: string;
  startedAt: number;
  attempts: number;
  account?: Account;
  sent: boolean;
  /** Pre-content events are held back while another account could still take the turn. */
  window: boolean;
  held: string[];
  windowTimer?: NodeJS.Timeout;
  refreshed: boolean;
  firstByteAt?: number;
  usage?: TokenUsage;
  status?: number;
  errorCode?: string;
  completed: boolean;
  /** The policy check already wrote this turn's row. */
  logged: boolean;
}

/** Who the connection's turns are logged and settled for. */
export interface TurnOwner {
  auth: PoolKeyAuth;
  route: string;
  clientHeaders: Headers;
}

/** A `response.create` frame as a turn; `attempts` counts the dials already made for it. */
export function newTurn(text: string, frame: Frame, startedAt: number, attempts: number): Turn {
  const string = (v: unknown) => (typeof v === "string" && v.trim() !== "" ? v : undefined);
  return {
    text,
    model: string(frame.model),
    warmup: frame.generate === false,
    previousResponseId: string(frame.previous_response_id),
    promptCacheKey: string(frame.prompt_cache_key),
    startedAt,
    attempts,
    sent: false,
    window: false,
    held: [],
    refreshed: false,
    completed: false,
    logged: false,
  };
}

/**
 * Notes what a terminal event says about the turn (usage, error code, an exhausted account);
 * false for any other event.
 */
export function recordTerminal(
  gw: Gateway,
  turn: Turn,
  account: Account,
  type: string,
  event: Frame,
): boolean {
  if (!TERMINAL_EVENTS.has(type)) return false;
  const response = (event.response ?? {}) as Frame;
  if (type === "response.completed" || type === "response.done" || type === "response.incomplete") {
    turn.completed = true;
    turn.usage = usageFrom(response.usage);
    if (type === "response.incomplete") turn.errorCode = "response_incomplete";
  } else if (type === "response.failed") {
    turn.errorCode = eventErrorCode(event) ?? "upstream_error";
    turn.usage = usageFrom(response.usage);
  } else {
    const status = typeof event.status_code === "number" ? event.status_code : 500;
    turn.status = status;
    turn.errorCode = eventErrorCode(event) ?? `upstream_http_${status}`;
    // Relayed as is (Codex shows its usage-limit message); the account is out until its reset.
    const asHttp = wrappedErrorAsResponse(event);
    const limit =
      asHttp && usageLimitFrom(status, asHttp.headers, { error: event.error }, gw.ctx.clock.now());
    if (limit && asHttp) gw.quota.exhausted(account, limit, asHttp.headers);
  }
  return true;
}

/** The turn has ended: its request-log row (unless the policy check wrote it) and, if served, settling. */
export function recordTurnEnd(
  gw: Gateway,
  owner: TurnOwner,
  turn: Turn,
  fields: { status?: number; errorCode?: string },
): void {
  if (!turn.logged) {
    logWebSocketRow(gw, owner, turn.startedAt, turn.account, {
      model: turn.model,
      status: fields.status ?? turn.status ?? 200,
      errorCode: fields.errorCode ?? turn.errorCode,
      attempts: turn.attempts,
      ttfbMs: turn.firstByteAt !== undefined ? turn.firstByteAt - turn.startedAt : undefined,
      usage: turn.usage,
    });
  }
  if (turn.completed && turn.account) settle(gw, owner, turn, turn.account);
}

/** Output already reached the client when the upstream socket died: the account is noted for it. */
export function recordInterrupted(gw: Gateway, owner: TurnOwner, turn: Turn, account: Account): void {
  gw.ctx.background(
    gw.router
      .recordFailure(owner.auth.pool.name, account, turn.model ?? "default", "stream_interrupted")
      .catch(() => undefined),
  );
}

/** One request-log row of the connection (a turn, or a handshake that failed). */
export function logWebSocketRow(
  gw: Gateway,
  owner: Pick<TurnOwner, "auth" | "route">,
  at: number,
  account: Account | undefined,
  fields: {
    model?: string;
    status: number;
    errorCode?: string;
    attempts: number;
    ttfbMs?: number;
    usage?: TokenUsage;
  },
): void {
  requestLogger(gw.ctx, {
    at,
    pool: owner.auth.pool.name,
    keyId: owner.auth.key.id,
    route: owner.route,
    method: "GET",
    transport: "websocket",
  })({ account, ...fields });
}

/** After a served turn: routing health and soft affinities, off the relay's path. */
function settle(gw: Gateway, owner: TurnOwner, turn: Turn, account: Account): void {
  const pool = owner.auth.pool;
  const model = turn.model ?? "default";
  const anchors = anchorsFrom(owner.clientHeaders, {});
  const work: Promise<unknown>[] = [gw.attempts.served(pool, account, model)];
  if (anchors.sessionKey) work.push(gw.router.remember(pool.name, "session", anchors.sessionKey, account.id));
  if (turn.promptCacheKey)
    work.push(gw.router.remember(pool.name, "prompt_cache", turn.promptCacheKey, account.id));
  gw.ctx.background(
    Promise.all(work).catch((error) =>
      gw.ctx.logger.warn("routing state write failed", { error: String(error) }),
    ),
  );
}
