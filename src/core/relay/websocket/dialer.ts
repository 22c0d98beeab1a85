// The upstream side of a WebSocket connection's routing: plans the connection's accounts, and dials
// them in order through the one attempt loop (relay/attempts.ts: half-open probes, the token with one
// refresh on 401, the failover ledger) until one accepts the upgrade. A rejected upgrade is judged
// like the HTTP relay's error answer; the first account that accepts holds the connection.
import { GatewayError } from "../../errors.ts";
import type { Gateway } from "../../gateway.ts";
import type { PoolKeyAuth } from "../../keys/key-auth.ts";
import type { Account } from "../../model.ts";
import { type Attempts, transportFailure, UNAUTHORIZED } from "../attempts.ts";
import type { Retry } from "../failover-ledger.ts";
import { anchorsFrom } from "../responses.ts";
import { websocketUpstreamHeaders } from "./protocol.ts";
import type { DialUpstream, FrameSocket } from "./sockets.ts";
import { type Failure, type Final, failureFrom, judge } from "./upstream-errors.ts";

export interface Connected {
  kind: "open";
  account: Account;
  socket: FrameSocket;
  headers: Headers;
}

type DialAttempt = { kind: "open"; socket: FrameSocket; headers: Headers } | Retry | Final;

export class UpstreamDialer {
  readonly #gw: Gateway;
  readonly #auth: PoolKeyAuth;
  readonly #clientHeaders: Headers;
  readonly #requestId: string;
  readonly #dial: DialUpstream;
  readonly #signal: AbortSignal;
  #routing?: Attempts;

  constructor(
    gw: Gateway,
    init: { auth: PoolKeyAuth; clientHeaders: Headers; requestId: string; dial: DialUpstream },
    signal: AbortSignal,
  ) {
    this.#gw = gw;
    this.#auth = init.auth;
    this.#clientHeaders = init.clientHeaders;
    this.#requestId = init.requestId;
    this.#dial = init.dial;
    this.#signal = signal;
  }

  /** Accounts tried under the current plan. */
  get attempts(): number {
    return this.#routing?.attempts ?? 0;
  }

  /** The account tried last under the current plan. */
  get lastAccount(): Account | undefined {
    return this.#routing?.lastAccount;
  }

  /** Plans the candidates for a new upstream socket (a new upstream conversation). */
  async plan(model: string, extra: { promptCacheKey?: string }): Promise<void> {
    const anchors = anchorsFrom(this.#clientHeaders, { prompt_cache_key: extra.promptCacheKey });
    // A new socket starts a new upstream conversation: no response id can pin it.
    anchors.previousResponseId = undefined;
    const plan = await this.#gw.router.plan({
      pool: this.#auth.pool,
      keyId: this.#auth.key.id,
      model,
      anchors,
      requestId: this.#requestId,
    });
    this.#routing = this.#gw.attempts.begin(this.#auth.pool.name, model, plan);
  }

  /**
   * Dials the plan's remaining candidates in order until one accepts; `dialed` is told of each
   * account tried. `model` is the turn's, if a turn is waiting for the socket.
   */
  async connect(model: string | undefined, dialed: () => void): Promise<Connected | Failure> {
    const routing = this.#routing;
    if (!routing)
      return failureFrom(new GatewayError(503, "no_eligible_backend", "no upstream account planned"));
    // "default" only orders the candidates; it is no model an upstream answer could be about.
    const judged = model ?? (routing.model === "default" ? undefined : routing.model);
    const served = await routing.firstServed(this.#signal, (account) => {
      dialed();
      return this.#dialAccount(account, judged);
    });
    if (served?.result.kind === "open") return { ...served.result, account: served.account };
    if (served) {
      const { response, errorCode } = served.result;
      return { response, status: response.status, code: errorCode ?? "upstream_error" };
    }
    if (this.#signal.aborted) return failureFrom(new GatewayError(499, "client_closed", "client closed"));
    return routing.outcome();
  }

  /**
   * The account's socket failed its turn before anything reached the client. An expired token (seen
   * as the first event) gets one refresh and the same account again (`refresh`: once per turn);
   * anything else counts against the account.
   */
  async retire(account: Account, retry: Retry, refresh: boolean): Promise<void> {
    if (refresh) {
      const refreshed = await this.#gw.tokens
        .refresh(account, "unauthorized_recovery")
        .then(() => true)
        .catch(() => false);
      if (refreshed) {
        this.#routing?.again(account);
        return;
      }
    }
    if (this.#routing) await this.#routing.note(account, retry);
    else this.#gw.ctx.metrics.count("upstream_failover", 1, { code: retry.code });
  }

  #dialAccount(account: Account, model: string | undefined): Promise<DialAttempt> {
    const { ctx } = this.#gw;
    const url = `${ctx.config.upstreamBaseUrl.replace(/^http/, "ws")}/codex/responses`;
    return this.#gw.attempts.withAccessToken(account, async (accessToken, lastTry) => {
      const headers = websocketUpstreamHeaders(
        this.#clientHeaders,
        account,
        accessToken,
        ctx.config.clientVersion,
      );
      const result = await this.#dial(url, headers, this.#signal);
      if (result.kind === "failed") return transportFailure(this.#signal);
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
}
