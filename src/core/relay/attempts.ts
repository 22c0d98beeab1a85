// The one attempt loop every upstream caller uses (SSE relay, WebSocket dials, unary routes, catalog
// and usage reads): candidates in the plan's order, the half-open probe, the account's token with one
// forced refresh on 401, the failover ledger (demotion, circuit, the single answer when nothing
// served) and the success that closes a circuit. Callers supply only what differs: how one request
// is sent and how its answer is judged.
import type { QuotaRecorder } from "../accounts/quota-recorder.ts";
import type { TokenManager } from "../accounts/token-manager.ts";
import { GatewayError } from "../errors.ts";
import type { Account } from "../model.ts";
import type { AccountDirectory } from "../routing/account-directory.ts";
import type { RoutePlan, Router } from "../routing/router.ts";
import { FailoverLedger, type FailoverOutcome, type LedgerDeps, type Retry } from "./failover-ledger.ts";

/** What `send` answers when the upstream said 401 and another try with a refreshed token is allowed. */
export const UNAUTHORIZED: unique symbol = Symbol("unauthorized");

/** The upstream could not be reached (or the client left while we tried): the retry to note. */
export const transportFailure = (signal: AbortSignal): Retry => ({
  kind: "retry",
  status: 502,
  code: signal.aborted ? "client_closed" : "upstream_unreachable",
  // A client that left says nothing about the account.
  healthNeutral: signal.aborted,
});

export const isRetry = (value: unknown): value is Retry =>
  typeof value === "object" && value !== null && (value as { kind?: unknown }).kind === "retry";

/** What one request's attempts use: the router (probes, failures), the clock and metrics. */
export interface AttemptsDeps extends LedgerDeps {
  router: Pick<Router, "acquireProbe" | "recordFailure">;
}

/**
 * The accounts one request (or one WebSocket connection) may still try, and what it learned from
 * those it did. `next()` hands out candidates in order, skipping a half-open account whose probe
 * another request holds; `note()` records a failure; `outcome()` is the answer when none served.
 */
export class Attempts {
  readonly ledger: FailoverLedger;
  readonly model: string;
  attempts = 0;
  lastAccount?: Account;
  readonly #deps: AttemptsDeps;
  readonly #pool: string;
  readonly #queue: Account[];
  readonly #halfOpen: Set<string>;

  constructor(
    deps: AttemptsDeps,
    pool: string,
    model: string,
    plan: Pick<RoutePlan, "candidates" | "halfOpen">,
  ) {
    this.#deps = deps;
    this.#pool = pool;
    this.model = model;
    this.#queue = [...plan.candidates];
    this.#halfOpen = plan.halfOpen;
    this.ledger = new FailoverLedger(deps, pool, model);
  }

  /** The next account to try, or undefined when none is left (or the client has gone). */
  async next(signal?: AbortSignal): Promise<Account | undefined> {
    for (let account = this.#queue.shift(); account; account = this.#queue.shift()) {
      if (signal?.aborted) return undefined;
      if (
        this.#halfOpen.has(account.id) &&
        !(await this.#deps.router.acquireProbe(this.#pool, account, this.model))
      )
        continue;
      this.attempts++;
      this.lastAccount = account;
      return account;
    }
    return undefined;
  }

  /** Puts an account back at the front (the same account again after a token refresh). */
  again(account: Account): void {
    this.#queue.unshift(account);
  }

  /** A failed attempt: demotes the account and counts towards its circuit unless health-neutral. */
  note(account: Account, retry: Retry): Promise<void> {
    return this.ledger.note(account, retry);
  }

  outcome(): FailoverOutcome {
    return this.ledger.outcome();
  }

  /**
   * Tries accounts until one gives an answer that is not a retry; undefined when every candidate
   * failed (then `outcome()` is the answer). Each failure is noted before the next try.
   */
  async firstServed<T>(
    signal: AbortSignal | undefined,
    tryAccount: (account: Account) => Promise<T>,
  ): Promise<{ account: Account; result: Exclude<T, Retry> } | undefined> {
    for (let account = await this.next(signal); account; account = await this.next(signal)) {
      const result = await tryAccount(account);
      if (!isRetry(result)) return { account, result: result as Exclude<T, Retry> };
      await this.note(account, result);
    }
    return undefined;
  }
}

/** What the attempt loop is built with: tokens, the account list's cache, the router, quota evidence. */
export interface AttemptDeps extends AttemptsDeps {
  tokens: Pick<TokenManager, "accessToken" | "refresh">;
  directory: Pick<AccountDirectory, "invalidate">;
  router: Pick<Router, "acquireProbe" | "recordFailure" | "recordSuccess">;
  quota: Pick<QuotaRecorder, "succeeded">;
}

/**
 * The attempt loop as a service, built once per gateway with what it uses: `begin` hands one
 * request its candidates, `withAccessToken` sends as one account, `served` records the account that
 * answered.
 */
export class AttemptLoop {
  constructor(private readonly deps: AttemptDeps) {}

  /** The accounts one request (or one WebSocket connection) may try, in the plan's order. */
  begin(pool: string, model: string, plan: Pick<RoutePlan, "candidates" | "halfOpen">): Attempts {
    return new Attempts(this.deps, pool, model, plan);
  }

  /**
   * One account's request with its access token: `send` is called with the token and whether it is the
   * last try; on `UNAUTHORIZED` the token is refreshed once (single-flight) and `send` called again.
   * A token or refresh failure is the account's login, not the upstream's health: a neutral retry.
   */
  async withAccessToken<T>(
    account: Account,
    send: (accessToken: string, lastTry: boolean) => Promise<T | typeof UNAUTHORIZED>,
  ): Promise<T | Retry> {
    let accessToken: string;
    try {
      accessToken = (await this.deps.tokens.accessToken(account)).accessToken;
    } catch (error) {
      return this.#loginFailure(error, 503, "account_unavailable");
    }
    const first = await send(accessToken, false);
    if (first !== UNAUTHORIZED) return first;
    try {
      accessToken = (await this.deps.tokens.refresh(account, "unauthorized_recovery")).accessToken;
    } catch (error) {
      return this.#loginFailure(error, 502, "upstream_auth_failed");
    }
    const second = await send(accessToken, true);
    return second === UNAUTHORIZED ? { kind: "retry", status: 502, code: "upstream_auth_failed" } : second;
  }

  /** A token that could not be had: a neutral retry (the account's login, not the upstream's health). */
  #loginFailure(error: unknown, status: number, code: string): Retry {
    this.deps.directory.invalidate();
    const known = error instanceof GatewayError ? error : undefined;
    return { kind: "retry", status, code: known?.code ?? code, healthNeutral: true, error: known };
  }

  /** An account served a request: its circuit closes and its demotion clears. Best effort, off the path. */
  served(pool: { name: string; strategy: string }, account: Account, model: string): Promise<void> {
    this.deps.quota.succeeded(account);
    return this.deps.router.recordSuccess(pool.name, account, model, pool.strategy);
  }
}
