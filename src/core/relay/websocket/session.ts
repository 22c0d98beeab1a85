// One downstream Responses WebSocket paired with one upstream WebSocket, pinned to one account:
// with store=false the upstream keeps the conversation on its socket, so a continuation
// (`previous_response_id` + only the new input) can only be served there. Frames pass unchanged
// both ways. Another account may be tried only while the upstream socket holds no state yet: at
// the upgrade, and before the first decisive event of the first turn on a fresh socket. When the
// socket dies between turns, the next continuation is answered `previous_response_not_found`, so
// the client resends the full history (on a fresh socket) and nothing is silently lost.
// Transport-free: the host supplies the sockets (FrameSocket) and the upstream dialer.

import { FIREWALL_DENIED_MESSAGE } from "../../access/firewall.ts";
import { usageLimitFrom } from "../../accounts/quota.ts";
import { GatewayError } from "../../errors.ts";
import type { Gateway } from "../../gateway.ts";
import type { PoolKeyAuth } from "../../keys/key-auth.ts";
import { enforceKeyPolicy, MODEL_ID } from "../../keys/key-policy.ts";
import type { Account, TokenUsage } from "../../model.ts";
import { requestLogger } from "../../request-log.ts";
import type { RoutePlan } from "../../routing/router.ts";
import { type Attempts, transportFailure, UNAUTHORIZED } from "../attempts.ts";
import type { Retry } from "../failover-ledger.ts";
import { type Attempt, anchorsFrom, classifyError } from "../responses.ts";
import { PRE_CONTENT, RETRYABLE_FIRST_EVENT_CODES } from "../sse-peek.ts";
import { usageFrom } from "../sse-relay.ts";
import { relayedResponseHeaders } from "../upstream-headers.ts";
import {
  eventErrorCode,
  type Frame,
  gatewayErrorFrame,
  handshakeModel,
  parseFrame,
  previousResponseNotFoundFrame,
  responseAsErrorFrame,
  TERMINAL_EVENTS,
  websocketUpstreamHeaders,
  wrappedErrorAsResponse,
  wrappedErrorFrame,
} from "./protocol.ts";

/** What the session is told about one side of the relay. */
export interface FrameHandlers {
  frame(text: string, binary: boolean): void;
  /** `failure` when the peer broke the protocol (the host's library already closed with its code). */
  closed(code: number, reason: string, failure?: SocketFailure): void;
}

/** A peer that broke the WebSocket protocol, as the request log records it. */
export interface SocketFailure {
  status: number;
  errorCode: string;
}

/** One WebSocket as the host's library exposes it. */
export interface FrameSocket {
  /** Starts delivering frames (the host holds them back until then). */
  listen(handlers: FrameHandlers): void;
  send(text: string): void;
  close(code: number, reason: string): void;
  /** Bytes queued for sending and not yet written. */
  readonly bufferedAmount: number;
  /** Stops / restarts reading incoming frames (backpressure). */
  pause(): void;
  resume(): void;
  /** Calls back once the queued bytes have been written out. */
  onceDrained(callback: () => void): void;
}

export type DialResult =
  | { kind: "open"; socket: FrameSocket; headers: Headers }
  | { kind: "rejected"; status: number; headers: Headers; body: string }
  | { kind: "failed" };

/** Opens an upstream WebSocket (`ws(s)://…`) with these headers. */
export type DialUpstream = (url: string, headers: Headers, signal: AbortSignal) => Promise<DialResult>;

export interface WebSocketLimits {
  /** No frame either way for this long closes the connection (1000). */
  idleTimeoutMs: number;
  /** The upstream closes a socket after 60 minutes; the pair is closed at this age, between turns. */
  upstreamMaxAgeMs: number;
  /** Above this many queued bytes on one side, reading from the other side pauses. */
  highWaterBytes: number;
}

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

type Final = Extract<Attempt, { kind: "final" }>;
type DialAttempt = { kind: "open"; socket: FrameSocket; headers: Headers } | Retry | Final;

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

interface Turn {
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

interface Failure {
  response: Response;
  status: number;
  code: string;
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
  readonly #clientHolds = new Set<"queue" | "backpressure">();
  #client?: FrameSocket;
  #upstream?: Upstream;
  #routing?: Attempts;
  #turn?: Turn;
  /** Upstream dials made since the last turn started (the handshake's count towards the first turn). */
  #dials = 0;
  #upstreamHeld = false;
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
    init.signal?.addEventListener("abort", () => this.#abort.abort(), { once: true });
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Plans the connection's accounts and opens the first upstream socket that accepts. */
  async connect(): Promise<Failure | undefined> {
    const model = handshakeModel(this.#init.clientHeaders) ?? "default";
    const started = this.#gw.ctx.clock.now();
    const failure = await this.#plan(model, {}).then(() => this.#connectNext(), failureFrom);
    if (failure) {
      this.#log(started, this.#lastAccountTried(), {
        model: model === "default" ? undefined : model,
        status: failure.status,
        errorCode: failure.code,
        attempts: this.#routing?.attempts ?? 0,
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
      if (this.#upstream) this.#toUpstream(text);
      return;
    }
    // One turn at a time: later turns wait (and reading pauses) until the current one ends.
    if (this.#turn) {
      this.#queue.push(text);
      this.#holdClient("queue");
      return;
    }
    void this.#startTurn(text, frame);
  }

  async #startTurn(text: string, frame: Frame): Promise<void> {
    const { ctx } = this.#gw;
    const string = (v: unknown) => (typeof v === "string" && v.trim() !== "" ? v : undefined);
    const turn: Turn = {
      text,
      model: string(frame.model),
      warmup: frame.generate === false,
      previousResponseId: string(frame.previous_response_id),
      promptCacheKey: string(frame.prompt_cache_key),
      startedAt: ctx.clock.now(),
      attempts: this.#dials,
      sent: false,
      window: false,
      held: [],
      refreshed: false,
      completed: false,
      logged: false,
    };
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
        await this.#plan(turn.model ?? "default", { promptCacheKey: turn.promptCacheKey });
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
    this.#toUpstream(turn.text);
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
    const status = fields.status ?? turn.status ?? 200;
    const errorCode = fields.errorCode ?? turn.errorCode;
    if (!turn.logged) {
      this.#log(turn.startedAt, turn.account, {
        model: turn.model,
        status,
        errorCode,
        attempts: turn.attempts,
        ttfbMs: turn.firstByteAt !== undefined ? turn.firstByteAt - turn.startedAt : undefined,
        usage: turn.usage,
      });
    }
    if (turn.completed && turn.account) this.#settle(turn, turn.account);
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
    if (this.#queue.length === 0) this.#releaseClient("queue");
    if (next !== undefined) {
      const frame = parseFrame(next);
      if (frame) void this.#startTurn(next, frame);
    }
  }

  /** After a served turn: routing health and soft affinities, off the relay's path. */
  #settle(turn: Turn, account: Account): void {
    const { router } = this.#gw;
    const pool = this.#init.auth.pool;
    const model = turn.model ?? "default";
    const anchors = anchorsFrom(this.#init.clientHeaders, {});
    const work: Promise<unknown>[] = [this.#gw.attempts.served(pool, account, model)];
    if (anchors.sessionKey) work.push(router.remember(pool.name, "session", anchors.sessionKey, account.id));
    if (turn.promptCacheKey)
      work.push(router.remember(pool.name, "prompt_cache", turn.promptCacheKey, account.id));
    this.#gw.ctx.background(
      Promise.all(work).catch((error) =>
        this.#gw.ctx.logger.warn("routing state write failed", { error: String(error) }),
      ),
    );
  }

  // --- upstream side -----------------------------------------------------------------------

  async #plan(model: string, extra: { promptCacheKey?: string }): Promise<void> {
    const { auth, clientHeaders, requestId } = this.#init;
    const anchors = anchorsFrom(clientHeaders, { prompt_cache_key: extra.promptCacheKey });
    // A new socket starts a new upstream conversation: no response id can pin it.
    anchors.previousResponseId = undefined;
    const plan: RoutePlan = await this.#gw.router.plan({
      pool: auth.pool,
      keyId: auth.key.id,
      model,
      anchors,
      requestId,
    });
    this.#routing = this.#gw.attempts.begin(auth.pool.name, model, plan);
  }

  /** Dials the plan's remaining candidates in order until one accepts. */
  async #connectNext(turn?: Turn): Promise<Failure | undefined> {
    const routing = this.#routing;
    if (!routing)
      return failureFrom(new GatewayError(503, "no_eligible_backend", "no upstream account planned"));
    const signal = this.#abort.signal;
    for (let account = await routing.next(signal); account; account = await routing.next(signal)) {
      if (turn) turn.attempts++;
      else this.#dials++;
      // "default" only orders the candidates; it is no model an upstream answer could be about.
      const model = turn?.model ?? (routing.model === "default" ? undefined : routing.model);
      const attempt = await this.#dialAccount(account, model);
      if (attempt.kind === "open") {
        this.#attachUpstream(account, attempt.socket, attempt.headers);
        return undefined;
      }
      if (attempt.kind === "final") {
        return {
          response: attempt.response,
          status: attempt.response.status,
          code: attempt.errorCode ?? "upstream_error",
        };
      }
      await routing.note(account, attempt);
    }
    if (signal.aborted) return failureFrom(new GatewayError(499, "client_closed", "client closed"));
    return routing.outcome();
  }

  #dialAccount(account: Account, model: string | undefined): Promise<DialAttempt> {
    const { ctx } = this.#gw;
    const url = `${ctx.config.upstreamBaseUrl.replace(/^http/, "ws")}/codex/responses`;
    return this.#gw.attempts.withAccessToken(account, async (accessToken, lastTry) => {
      const headers = websocketUpstreamHeaders(
        this.#init.clientHeaders,
        account,
        accessToken,
        ctx.config.clientVersion,
      );
      const result = await this.#init.dial(url, headers, this.#abort.signal);
      if (result.kind === "failed") return transportFailure(this.#abort.signal);
      this.#gw.quota.observe(account, result.headers);
      if (result.kind === "open") return result;
      if (result.status === 401 && !lastTry) return UNAUTHORIZED;
      // Any answer but 101 refused the upgrade; one that is not a 4xx or 5xx (a 200, a redirect, a
      // status no HTTP has) is the upstream misbehaving, like a broken connection: another account.
      const status = result.status >= 400 && result.status <= 599 ? result.status : 502;
      const answer = new Response(result.body || null, { status, headers: result.headers });
      return judge(this.#gw, account, answer, model);
    });
  }

  async #noteRetry(account: Account, attempt: Retry): Promise<void> {
    const routing = this.#routing;
    if (routing) await routing.note(account, attempt);
    else this.#gw.ctx.metrics.count("upstream_failover", 1, { code: attempt.code });
  }

  #lastAccountTried(): Account | undefined {
    return this.#upstream?.account ?? this.#routing?.lastAccount;
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
    if (this.#upstreamHeld) socket.pause();
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
      const retry = event ? await this.#judgeFirstEvent(turn, upstream, type, event) : undefined;
      if (upstream !== this.#upstream || this.#turn !== turn || this.#closed) return;
      if (retry) {
        await this.#failover(turn, upstream, retry);
        return;
      }
      this.#commit(turn, upstream);
    }
    this.#toClient(text);
    if (event) this.#observe(turn, upstream, type, event);
  }

  /** A retry verdict when the first decisive event says another account should take the turn. */
  async #judgeFirstEvent(
    turn: Turn,
    upstream: Upstream,
    type: string,
    event: Frame,
  ): Promise<Retry | undefined> {
    if (type !== "error" && type !== "response.failed") return undefined;
    const asHttp = type === "error" ? wrappedErrorAsResponse(event) : undefined;
    if (asHttp) {
      const attempt = await judge(this.#gw, upstream.account, asHttp, turn.model);
      return attempt.kind === "retry" ? attempt : undefined;
    }
    const code = eventErrorCode(event);
    if (!code || !RETRYABLE_FIRST_EVENT_CODES.has(code)) return undefined;
    const usageLimited = code === "usage_limit_reached";
    if (usageLimited) {
      const resetsAt = Math.floor(this.#gw.ctx.clock.now() / 1000) + 300;
      this.#gw.quota.exhausted(upstream.account, { resetsAt }, new Headers());
    }
    return { kind: "retry", status: 502, code, usageLimited };
  }

  /** Nothing reached the client for this turn yet: drop the socket and give the turn to the next account. */
  async #failover(turn: Turn, upstream: Upstream, retry: Retry): Promise<void> {
    clearTimeout(turn.windowTimer);
    turn.window = false;
    this.#dropUpstream(upstream, 1000, "failover");
    // An expired token seen as the first event: one refresh, then the same account again.
    if (!turn.refreshed && isAuthFailure(retry)) {
      turn.refreshed = true;
      const refreshed = await this.#gw.tokens
        .refresh(upstream.account, "unauthorized_recovery")
        .then(() => true)
        .catch(() => false);
      if (refreshed) this.#routing?.again(upstream.account);
      else await this.#noteRetry(upstream.account, retry);
    } else {
      await this.#noteRetry(upstream.account, retry);
    }
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

  /** Accounting on the side; frames were already relayed unchanged. */
  #observe(turn: Turn, upstream: Upstream, type: string, event: Frame): void {
    if (!TERMINAL_EVENTS.has(type)) return;
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
        asHttp && usageLimitFrom(status, asHttp.headers, { error: event.error }, this.#gw.ctx.clock.now());
      if (limit && asHttp) this.#gw.quota.exhausted(upstream.account, limit, asHttp.headers);
    }
    this.#endTurn(turn);
  }

  #onUpstreamClosed(upstream: Upstream, code: number): Promise<void> | undefined {
    if (upstream !== this.#upstream) return;
    this.#dropUpstream(upstream, 1000, "closed");
    const turn = this.#turn;
    if (this.#closed || !turn?.sent) return; // between turns: the next continuation learns it
    if (turn.window)
      return this.#failover(turn, upstream, { kind: "retry", status: 502, code: "stream_incomplete" });
    // Output already reached the client: nothing can be replayed; the client resends the turn.
    this.#gw.ctx.background(
      this.#gw.router
        .recordFailure(
          this.#init.auth.pool.name,
          upstream.account,
          turn.model ?? "default",
          "stream_interrupted",
        )
        .catch(() => undefined),
    );
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
    if (this.#upstream === upstream) this.#upstream = undefined;
    upstream.socket.close(code, reason);
  }

  // --- both sides ----------------------------------------------------------------------------

  #toClient(text: string): void {
    const client = this.#client;
    if (!client || this.#closed) return;
    const turn = this.#turn;
    if (turn?.sent) turn.firstByteAt ??= this.#gw.ctx.clock.now();
    client.send(text);
    if (client.bufferedAmount > this.#init.limits.highWaterBytes && !this.#upstreamHeld) {
      this.#upstreamHeld = true;
      this.#upstream?.socket.pause();
      client.onceDrained(() => {
        this.#upstreamHeld = false;
        this.#upstream?.socket.resume();
      });
    }
  }

  #toUpstream(text: string): void {
    const upstream = this.#upstream;
    if (!upstream) return;
    upstream.socket.send(text);
    if (
      upstream.socket.bufferedAmount > this.#init.limits.highWaterBytes &&
      !this.#clientHolds.has("backpressure")
    ) {
      this.#holdClient("backpressure");
      upstream.socket.onceDrained(() => this.#releaseClient("backpressure"));
    }
  }

  #holdClient(reason: "queue" | "backpressure"): void {
    if (this.#clientHolds.has(reason)) return;
    this.#clientHolds.add(reason);
    if (this.#clientHolds.size === 1) this.#client?.pause();
  }

  #releaseClient(reason: "queue" | "backpressure"): void {
    if (this.#clientHolds.delete(reason) && this.#clientHolds.size === 0) this.#client?.resume();
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

  #log(
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
    const { auth, route } = this.#init;
    requestLogger(this.#gw.ctx, {
      at,
      pool: auth.pool.name,
      keyId: auth.key.id,
      route,
      method: "GET",
      transport: "websocket",
    })({ account, ...fields });
  }
}

/** The HTTP relay's error classification (usage limits, model availability, retryable statuses). */
async function judge(
  gw: Gateway,
  account: Account,
  answer: Response,
  model?: string,
): Promise<Retry | Final> {
  const attempt = await classifyError(gw, account, answer, model);
  return attempt.kind === "stream" ? { kind: "retry", status: 502, code: "upstream_error" } : attempt;
}

function failureFrom(error: unknown): Failure {
  const gatewayError =
    error instanceof GatewayError
      ? error
      : new GatewayError(500, "internal_error", "internal error; see the gateway log");
  return { response: gatewayError.toResponse(), status: gatewayError.status, code: gatewayError.code };
}

/** classifyError maps upstream 401/403 to a 502 retry named by the upstream's code. */
function isAuthFailure(retry: Retry): boolean {
  return ["token_expired", "invalid_api_key", "invalid_authentication", "upstream_http_401"].includes(
    retry.code,
  );
}
