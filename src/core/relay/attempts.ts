// The one attempt loop every upstream caller uses (SSE relay, WebSocket dials, unary routes, catalog
// and usage reads): candidates in the plan's order, the half-open probe, the account's token with one
// forced refresh on 401, the failover ledger (demotion, circuit, the single answer when nothing
// served) and the success that closes a circuit. Callers supply only what differs: how one request
// is sent and how its answer is judged.
import { GatewayError } from "../errors.ts";
import type { Gateway } from "../gateway.ts";
import type { Account } from "../model.ts";
import type { RoutePlan } from "../routing/router.ts";
import { FailoverLedger, type FailoverOutcome, type Retry } from "./failover-ledger.ts";

/** What `send` answers when the upstream said 401 and another try with a refreshed token is allowed. */
export const UNAUTHORIZED: unique symbol = Symbol("unauthorized");

/**
 * One account's request with its access token: `send` is called with the token and whether it is the
 * last try; on `UNAUTHORIZED` the token is refreshed once (single-flight) and `send` called again.
 * A token or refresh failure is the account's login, not the upstream's health: a neutral retry.
 */
export async function withAccessToken<T>(
  gw: Gateway,
  account: Account,
  send: (accessToken: string, lastTry: boolean) => Promise<T | typeof UNAUTHORIZED>,
): Promise<T | Retry> {
  let accessToken: string;
  try {
    accessToken = (await gw.tokens.accessToken(account)).accessToken;
  } catch (error) {
    gw.directory.invalidate();
    const known = error instanceof GatewayError ? error : undefined;
    return {
      kind: "retry",
      status: 503,
      code: known?.code ?? "account_unavailable",
      healthNeutral: true,
      error: known,
    };
  }
  const first = await send(accessToken, false);
  if (first !== UNAUTHORIZED) return first;
  try {
    accessToken = (await gw.tokens.refresh(account, "unauthorized_recovery")).accessToken;
  } catch (error) {
    gw.directory.invalidate();
    const known = error instanceof GatewayError ? error : undefined;
    return {
      kind: "retry",
      status: 502,
      code: known?.code ?? "upstream_auth_failed",
      healthNeutral: true,
      error: known,
    };
  }
  const second = await send(accessToken, true);
  return second === UNAUTHORIZED ? { kind: "retry", status: 502, code: "upstream_auth_failed" } : second;
}

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
  readonly #gw: Gateway;
  readonly #pool: string;
  readonly #queue: Account[];
  readonly #halfOpen: Set<string>;

  constructor(gw: Gateway, pool: string, model: string, plan: Pick<RoutePlan, "candidates" | "halfOpen">) {
    this.#gw = gw;
    this.#pool = pool;
    this.model = model;
    this.#queue = [...plan.candidates];
    this.#halfOpen = plan.halfOpen;
    this.ledger = new FailoverLedger(gw, pool, model);
  }

  /** The next account to try, or undefined when none is left (or the client has gone). */
  async next(signal?: AbortSignal): Promise<Account | undefined> {
    for (let account = this.#queue.shift(); account; account = this.#queue.shift()) {
      if (signal?.aborted) return undefined;
      if (
        this.#halfOpen.has(account.id) &&
        !(await this.#gw.router.acquireProbe(this.#pool, account, this.model))
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

/** An account served a request: its circuit closes and its demotion clears. Best effort, off the path. */
export function recordServed(
  gw: Gateway,
  pool: { name: string; strategy: string },
  account: Account,
  model: string,
) {
  gw.quota.succeeded(account);
  return gw.router.recordSuccess(pool.name, account, model, pool.strategy);
}
