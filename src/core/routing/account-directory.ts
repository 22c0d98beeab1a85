// A Pool's accounts, cached briefly in memory so the warm hot path does not query the store on every
// request; local mutations invalidate at once, other instances see changes within the TTL.
import type { CoreContext } from "../context.ts";
import type { Account } from "../model.ts";
import { TtlCache } from "../support/ttl-cache.ts";

const TTL_MS = 2_000;
/** Served while re-read in the background for this long: a change on another instance shows within it. */
export const ACCOUNTS_STALE_MS = 60_000;

export class AccountDirectory {
  readonly #cache: TtlCache<Account[]>;
  /** Exhaustion seen here but maybe not yet written to the store (the write is in the background). */
  readonly #exhausted = new Map<string, number>();

  constructor(private readonly ctx: CoreContext) {
    this.#cache = new TtlCache(ctx.clock, {
      ttlMs: TTL_MS,
      staleMs: ACCOUNTS_STALE_MS,
      background: (task) => ctx.background(task),
      // The last known list keeps routing going through a store hiccup (retried after another TTL);
      // keys are still verified against the store, so nothing unverified gets in this way.
      onStale: (error) =>
        ctx.logger.warn("account list refresh failed; using the last known list", {
          error: (error as Error).name,
        }),
    });
  }

  forPool(pool: string): Promise<Account[]> {
    return this.#cache.get(pool, () => this.#load(pool));
  }

  async #load(pool: string): Promise<Account[]> {
    const now = this.ctx.clock.now();
    const accounts = await this.ctx.store.accounts.listByPool(pool);
    for (const account of accounts) {
      const until = this.#exhausted.get(account.id);
      if (until === undefined) continue;
      if (until * 1000 <= now) this.#exhausted.delete(account.id);
      else if ((account.quota?.exhaustedUntil ?? 0) < until) {
        account.quota = { observedAt: now, ...account.quota, exhaustedUntil: until };
      }
    }
    accounts.sort((a, b) => a.createdAt - b.createdAt || a.id.localeCompare(b.id));
    return accounts;
  }

  invalidate(): void {
    this.#cache.clear();
  }

  noteExhausted(accountId: string, untilSeconds: number): void {
    this.#exhausted.set(accountId, untilSeconds);
  }

  /** Authoritative evidence says the account has room again. */
  clearExhausted(accountId: string): void {
    this.#exhausted.delete(accountId);
  }
}
