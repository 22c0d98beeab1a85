// One downstream Responses WebSocket paired with one upstream WebSocket, pinned to one account:
// with store=false the upstream keeps the conversation on its socket, so a continuation
// (`previous_response_id` + only the new input) can only be served there. Frames pass unchanged
// both ways. Another account may be tried only while the upstream socket holds no state yet: at
// the upgrade, and before the first decisive event of the first turn on a fresh socket. When the
// socket dies between turns, the next continuation is answered `previous_response_not_found`, so
// the client resends the full history (on a fresh socket) and nothing is silently lost.
// This file is the session's lifecycle (handshake, turns one at a time, the failover window, idle,
// drain, close); its parts: frame-pump.ts (frames both ways, backpressure), dialer.ts (accounts and
// upstream dials), accounting.ts (request log, settling), upstream-errors.ts (verdicts on refusals).
// Transport-free: the host supplies the sockets and the upstream dial (sockets.ts).

import { FIREWALL_DENIED_MESSAGE } from "../../access/firewall.ts";
import { GatewayError } from "../../errors.ts";
import type { Gateway } from "../../gateway.ts";
import type { PoolKeyAuth } from "../../keys/key-auth.ts";
import { enforceKeyPolicy, MODEL_ID } from "../../keys/key-policy.ts";
import type { Account } from "../../model.ts";
import type { Retry } from "../failover-ledger.ts";
import { PRE_CONTENT } from "../sse-peek.ts";
import { relayedResponseHeaders } from "../upstream-headers.ts";
import {
  logWebSocketRow,
  newTurn,
  recordInterrupted,
  recordTerminal,
  recordTurnEnd,
  type Turn,
} from "./accounting.ts";
import { UpstreamDialer } from "./dialer.ts";
import { FramePump } from "./frame-pump.ts";
import {
  type Frame,
  gatewayErrorFrame,
  handshakeModel,
  parseFrame,
  previousResponseNotFoundFrame,
  responseAsErrorFrame,
  wrappedErrorFrame,
} from "./protocol.ts";
import type { DialUpstream, FrameSocket, WebSocketLimits } from "./sockets.ts";
import { type Failure, failureFrom, isAuthFailure, judgeFirstEvent } from "./upstream-errors.ts";

export interface SessionInit {
  auth: PoolKeyAuth;
  route: string;
  clientHeaders: Headers;
  /** The connection's peer address, for the runtime firewall (re-checked every turn). */
  clientAddress?: string;
  dial: DialUpstream;
  limits: WebSocketLimits;
  requestId: string;
  /** Aborts dialing when the client gives up during the handshake. */
  signal?: AbortSignal;
  /** Called once when the session has fully closed (the host's registry forgets it). */
  onClosed?(session: WebSocketSession): void;
}

export type OpenResult =
  | { kind: "open"; session: WebSocketSession; headers: Headers }
  | { kind: "rejected"; response: Response };

interface Upstream {
  socket: FrameSocket;
  account: Account;
  headers: Headers;
  /** No turn has committed on it yet, so nothing would be lost by moving to another account. */
  fresh: boolean;
  /** Past the age limit: close the pair once the current turn ends. */
  aged: boolean;
  ageTimer: NodeJS.Timeout;
}

const DRAIN_REASON = "server shutting down; reconnect";

/** Authenticates nothing (the host did): plans, dials the upstream with failover, and returns the pair's first half. */
export async function openWebSocketSession(gw: Gateway, init: SessionInit): Promise<OpenResult> {
  const session = new WebSocketSession(gw, init);
  const failure = await session.connect();
  if (failure) {
    session.abort();
    return { kind: "rejected", response: failure.response };
  }
  return { kind: "open", session, headers: session.handshakeHeaders() };
}

export class WebSocketSession {
  readonly keyId: string;
  readonly keySecretHash: string;
  readonly #gw: Gateway;
  readonly #init: SessionInit;
  readonly #abort = new AbortController();
  readonly #queue: string[] = [];
  readonly #pump: FramePump;
  readonly #dialer: UpstreamDialer;
  #client?: FrameSocket;
  #upstream?: Upstream;
  #turn?: Turn;
  /** Upstream dials made since the last turn started (the handshake's count towards the first turn). */
  #dials = 0;
  #closed = false;
  /** The host is stopping: close with 1001 once the turn in flight ends (queued turns are dropped). */
  #draining = false;
  #lastActivity = 0;
  #idleTimer?: NodeJS.Timeout;
  /** Upstream events are handled one at a time, in order, even when judging one has to wait. */
  #upstreamChain: Promise<void> = Promise.resolve();

  constructor(gw: Gateway, init: SessionInit) {
    this.#gw = gw;
    this.#init = init;
    this.keyId = init.auth.key.id;
    this.keySecretHash = init.auth.key.secretHash;
    this.#pump = new FramePump(init.limits.highWaterBytes);
    this.#dialer = new UpstreamDialer(gw, init, this.#abort.signal);
    init.signal?.addEventListener("abort", () => this.#abort.abort(), { once: true });
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Plans the connection's accounts and opens the first upstream socket that accepts. */
  async connect(): Promise<Failure | undefined> {
    const model = handshakeModel(this.#init.clientHeaders) ?? "default";
    const started = this.#gw.ctx.clock.now();
    const failure = await this.#dialer.plan(model, {}).then(() => this.#connectNext(), failureFrom);
    if (failure) {
      logWebSocketRow(this.#gw, this.#init, started, this.#lastAccountTried(), {
        model: model === "default" ? undefined : model,
        status: failure.status,
        errorCode: failure.code,
        attempts: this.#dialer.attempts,
      });
    }
    return failure;
  }

  /** Headers for the downstream 101: the upstream's turn state and quota headers, our catalog etag. */
  handshakeHeaders(): Headers {
    const headers = relayedResponseHeaders(this.#upstream?.headers ?? new Headers());
    headers.delete("retry-after");
    const etag = this.#gw.models.etag(this.#init.auth.pool.name);
    if (etag) headers.set("x-models-etag", etag);
    else headers.delete("x-models-etag");
    return headers;
  }

  /** The downstream socket is open: start relaying. */
  attach(client: FrameSocket): void {
    if (this.#closed) {
      client.close(1001, "connection closed");
      return;
    }
    this.#client = client;
    this.#pump.client = client;
    client.listen({
      frame: (text, binary) => this.#onClientFrame(text, binary),
      closed: (_code, _reason, failure) =>
        failure
          ? this.#shutdown(failure.status, failure.errorCode, 1002, "protocol error")
          : this.#shutdown(499, "client_closed", 1000, "client closed"),
    });
    this.#touch();
    this.#armIdle();
  }

  /** Closes both sides; a turn in flight is logged with `turnStatus` and `errorCode`. */
  close(code: number, reason: string, errorCode: string, turnStatus = 499): void {
    this.#shutdown(turnStatus, errorCode, code, reason);
  }

  /** The host is stopping: close with 1001 now if no turn is in flight, else as soon as it ends. */
  drain(): void {
    this.#draining = true;
    if (!this.#turn) this.#shutdown(499, "shutdown", 1001, DRAIN_REASON);
  }

  /**
   * The host's grace period is over: a turn still in flight gets a terminal error event (Codex retries
   * it on a new connection), is logged as 503 `server_shutting_down`, and the socket closes with 1001.
   */
  stop(): void {
    if (this.#closed) return;
    const error = new GatewayError(
      503,
      "server_shutting_down",
      "the gateway is shutting down; reconnect and send the request again",
    );
    if (this.#turn) this.#toClient(gatewayErrorFrame(error));
    this.#shutdown(error.status, error.code, 1001, DRAIN_REASON);
  }

  /** The downstream handshake never completed: release the upstream socket. */
  abort(): void {
    this.#shutdown(499, "client_closed", 1000, "handshake aborted");
  }

  // --- client side -------------------------------------------------------------------------

  #onClientFrame(text: string, binary: boolean): void {
    if (this.#closed) return;
    this.#touch();
    if (binary) {
      this.#toClient(
        wrappedErrorFrame(400, {
          type: "invalid_request_error",
          code: "invalid_request",
          message: "binary frames are not supported; send JSON text frames",
          param: null,
        }),
      );
      return;
    }
    const frame = parseFrame(text);
    if (frame?.type !== "response.create") {
      // response.interrupt and anything newer: the upstream's business, passed on unchanged.
      if (this.#upstream) this.#pump.toUpstream(text);
      return;
    }
    // One turn at a time: later turns wait (and reading pauses) until the current one ends.
    if (this.#turn) {
      this.#queue.push(text);
      this.#pump.holdClient("queue");
      return;
    }
    void this.#startTurn(text, frame);
  }

  async #startTurn(text: string, frame: Frame): Promise<void> {
    const { ctx } = this.#gw;
    const turn = newTurn(text, frame, ctx.clock.now(), this.#dials);
    this.#dials = 0;
    this.#turn = turn;
    try {
      // Revocation elsewhere reaches this instance through the credential cache, checked per turn.
      const key = await this.#gw.credentials.verify("pool_key", this.#init.auth.raw);
      if (key?.status !== "active") {
        const why = !key ? "api key is no longer valid" : `api key is ${key.status}`;
        this.close(1008, why, "api_key_disabled", 401);
        return;
      }
      // A firewall change reaches open sockets here, within the settings cache's few seconds.
      if (
        !(await this.#gw.settings.admits(this.#init.clientAddress, this.#init.clientHeaders, "backend-api"))
      ) {
        this.close(1008, FIREWALL_DENIED_MESSAGE, "access_denied", 403);
        return;
      }
      if (turn.model !== undefined && !MODEL_ID.test(turn.model)) {
        this.#failTurn(
          turn,
          new GatewayError(400, "invalid_request", "model must be a model id string", { param: "model" }),
        );
        return;
      }
      // A warm-up generates nothing: it is not counted against the key's limits.
      if (!turn.warmup) {
        await enforceKeyPolicy(this.#gw.ctx, key, {
          model: turn.model,
          reasoningEffort: (frame.reasoning as { effort?: unknown } | undefined)?.effort,
          effortParam: "reasoning.effort",
          route: this.#init.route,
          method: "GET",
          transport: "websocket",
          startedAt: turn.startedAt,
        }).catch((error: unknown) => {
          if (error instanceof GatewayError) turn.logged = true;
          throw error;
        });
      }
      if (this.#closed) return;
      if (!this.#upstream) {
        // The socket that held this conversation is gone: the client must resend the full history.
        if (turn.previousResponseId) {
          this.#toClient(previousResponseNotFoundFrame(turn.previousResponseId));
          this.#endTurn(turn, { status: 400, errorCode: "previous_response_not_found" });
          return;
        }
        await this.#dialer.plan(turn.model ?? "default", { promptCacheKey: turn.promptCacheKey });
        const failure = await this.#connectNext(turn);
        if (this.#closed) return;
        if (failure) {
          await this.#sendFailure(turn, failure);
          return;
        }
      }
      this.#send(turn);
    } catch (error) {
      if (this.#closed || this.#turn !== turn) return;
      if (error instanceof GatewayError) {
        this.#failTurn(turn, error);
        return;
      }
      ctx.logger.error("websocket turn failed", { route: this.#init.route, error: (error as Error).name });
      this.#failTurn(turn, new GatewayError(500, "internal_error", "internal error; see the gateway log"));
    }
  }

  /** Sends the turn's frame on the current upstream socket (again, after a failover). */
  #send(turn: Turn): void {
    const upstream = this.#upstream;
    if (!upstream) return;
    turn.account = upstream.account;
    turn.attempts = Math.max(turn.attempts, 1);
    turn.sent = true;
    turn.held = [];
    turn.window = upstream.fresh;
    if (turn.window) {
      const timeout = this.#gw.ctx.config.firstEventTimeoutMs;
      // A slow first event: stop holding back, the turn stays here.
      turn.windowTimer = setTimeout(() => this.#enqueueUpstream(() => this.#commit(turn, upstream)), timeout);
    }
    this.#pump.toUpstream(turn.text);
  }

  #failTurn(turn: Turn, error: GatewayError): void {
    this.#toClient(gatewayErrorFrame(error));
    this.#endTurn(turn, { status: error.status, errorCode: error.code });
  }

  async #sendFailure(turn: Turn, failure: Failure): Promise<void> {
    const frame = await responseAsErrorFrame(failure.response);
    if (this.#turn !== turn || this.#closed) return;
    turn.account ??= this.#lastAccountTried();
    this.#toClient(frame);
    this.#endTurn(turn, { status: failure.status, errorCode: failure.code });
  }

  #endTurn(turn: Turn, fields: { status?: number; errorCode?: string } = {}): void {
    if (this.#turn !== turn) return;
    this.#turn = undefined;
    clearTimeout(turn.windowTimer);
    recordTurnEnd(this.#gw, this.#init, turn, fields);
    if (this.#closed) return;
    if (this.#draining) {
      this.#shutdown(499, "shutdown", 1001, DRAIN_REASON);
      return;
    }
    if (this.#upstream?.aged) {
      this.close(
        1000,
        "upstream connection limit reached; reconnect to continue",
        "websocket_connection_limit_reached",
      );
      return;
    }
    const next = this.#queue.shift();
    if (this.#queue.length === 0) this.#pump.releaseClient("queue");
    if (next !== undefined) {
      const frame = parseFrame(next);
      if (frame) void this.#startTurn(next, frame);
    }
  }

  // --- upstream side -----------------------------------------------------------------------

  /** Dials the plan's remaining candidates; the first that accepts becomes the upstream. */
  async #connectNext(turn?: Turn): Promise<Failure | undefined> {
    const result = await this.#dialer.connect(turn?.model, () => {
      if (turn) turn.attempts++;
      else this.#dials++;
    });
    if (!("socket" in result)) return result;
    this.#attachUpstream(result.account, result.socket, result.headers);
    return undefined;
  }

  #lastAccountTried(): Account | undefined {
    return this.#upstream?.account ?? this.#dialer.lastAccount;
  }

  #attachUpstream(account: Account, socket: FrameSocket, headers: Headers): void {
    const upstream: Upstream = {
      socket,
      account,
      headers,
      fresh: true,
      aged: false,
      ageTimer: setTimeout(
        () => this.#enqueueUpstream(() => this.#onAged(upstream)),
        this.#init.limits.upstreamMaxAgeMs,
      ),
    };
    upstream.ageTimer.unref?.();
    this.#upstream = upstream;
    this.#pump.upstream = socket;
    socket.listen({
      frame: (text, binary) => this.#enqueueUpstream(() => this.#onUpstreamFrame(upstream, text, binary)),
      closed: (code) => this.#enqueueUpstream(() => this.#onUpstreamClosed(upstream, code)),
    });
  }

  #enqueueUpstream(task: () => void | Promise<void>): void {
    this.#upstreamChain = this.#upstreamChain.then(task).catch((error: unknown) => {
      this.#gw.ctx.logger.error("websocket relay failed", {
        route: this.#init.route,
        error: (error as Error).name,
      });
      this.close(1011, "internal error; reconnect", "internal_error");
    });
  }

  async #onUpstreamFrame(upstream: Upstream, text: string, binary: boolean): Promise<void> {
    if (upstream !== this.#upstream || this.#closed) return;
    this.#touch();
    if (binary) return; // not part of the protocol; Codex would fail the turn on one
    const turn = this.#turn;
    if (!turn?.sent) {
      this.#toClient(text);
      return;
    }
    const event = parseFrame(text);
    const type = typeof event?.type === "string" ? event.type : "";
    if (type === "codex.rate_limits" && event) this.#gw.quota.observeEvent(upstream.account, event);
    if (turn.window) {
      if (PRE_CONTENT.has(type)) {
        turn.held.push(text);
        return;
      }
      const retry = event
        ? await judgeFirstEvent(this.#gw, upstream.account, turn.model, type, event)
        : undefined;
      if (upstream !== this.#upstream || this.#turn !== turn || this.#closed) return;
      if (retry) {
        await this.#failover(turn, upstream, retry);
        return;
      }
      this.#commit(turn, upstream);
    }
    this.#toClient(text);
    if (event && recordTerminal(this.#gw, turn, upstream.account, type, event)) this.#endTurn(turn);
  }

  /** Nothing reached the client for this turn yet: drop the socket and give the turn to the next account. */
  async #failover(turn: Turn, upstream: Upstream, retry: Retry): Promise<void> {
    clearTimeout(turn.windowTimer);
    turn.window = false;
    this.#dropUpstream(upstream, 1000, "failover");
    // An expired token seen as the first event: one refresh, then the same account again.
    const refresh = !turn.refreshed && isAuthFailure(retry);
    if (refresh) turn.refreshed = true;
    await this.#dialer.retire(upstream.account, retry, refresh);
    if (this.#closed || this.#turn !== turn) return;
    const failure = await this.#connectNext(turn);
    if (this.#closed || this.#turn !== turn) return;
    if (failure) {
      await this.#sendFailure(turn, failure);
      return;
    }
    this.#send(turn);
  }

  #commit(turn: Turn, upstream: Upstream): void {
    if (!turn.window || this.#turn !== turn || this.#upstream !== upstream) return;
    clearTimeout(turn.windowTimer);
    turn.window = false;
    upstream.fresh = false;
    for (const text of turn.held.splice(0)) this.#toClient(text);
  }

  #onUpstreamClosed(upstream: Upstream, code: number): Promise<void> | undefined {
    if (upstream !== this.#upstream) return;
    this.#dropUpstream(upstream, 1000, "closed");
    const turn = this.#turn;
    if (this.#closed || !turn?.sent) return; // between turns: the next continuation learns it
    if (turn.window)
      return this.#failover(turn, upstream, { kind: "retry", status: 502, code: "stream_incomplete" });
    // Output already reached the client: nothing can be replayed; the client resends the turn.
    recordInterrupted(this.#gw, this.#init, turn, upstream.account);
    this.#gw.ctx.logger.warn("upstream websocket lost mid-turn", { route: this.#init.route, code });
    this.close(
      1011,
      "upstream connection lost mid-response; send the request again",
      "stream_interrupted",
      502,
    );
    return undefined;
  }

  #onAged(upstream: Upstream): void {
    if (upstream !== this.#upstream || this.#closed) return;
    upstream.aged = true;
    if (!this.#turn) {
      this.close(
        1000,
        "upstream connection limit reached; reconnect to continue",
        "websocket_connection_limit_reached",
      );
    }
  }

  #dropUpstream(upstream: Upstream, code: number, reason: string): void {
    clearTimeout(upstream.ageTimer);
    if (this.#upstream === upstream) {
      this.#upstream = undefined;
      this.#pump.upstream = undefined;
    }
    upstream.socket.close(code, reason);
  }

  // --- both sides ----------------------------------------------------------------------------

  #toClient(text: string): void {
    if (!this.#client || this.#closed) return;
    const turn = this.#turn;
    if (turn?.sent) turn.firstByteAt ??= this.#gw.ctx.clock.now();
    this.#pump.toClient(text);
  }

  #touch(): void {
    this.#lastActivity = this.#gw.ctx.clock.now();
  }

  #armIdle(): void {
    const { idleTimeoutMs } = this.#init.limits;
    const remaining = this.#lastActivity + idleTimeoutMs - this.#gw.ctx.clock.now();
    this.#idleTimer = setTimeout(
      () => {
        if (this.#closed) return;
        if (this.#gw.ctx.clock.now() - this.#lastActivity >= idleTimeoutMs) {
          this.close(1000, "idle timeout; reconnect to continue", "idle_timeout");
        } else {
          this.#armIdle();
        }
      },
      Math.max(1_000, remaining),
    );
    this.#idleTimer.unref?.();
  }

  #shutdown(turnStatus: number, errorCode: string, code: number, reason: string): void {
    if (this.#closed) return;
    this.#closed = true;
    const turn = this.#turn;
    if (turn) this.#endTurn(turn, { status: turnStatus, errorCode });
    this.#abort.abort();
    clearTimeout(this.#idleTimer);
    if (this.#upstream) this.#dropUpstream(this.#upstream, 1000, "client closed");
    this.#client?.close(code, reason);
    this.#queue.length = 0;
    this.#init.onClosed?.(this);
  }
}
