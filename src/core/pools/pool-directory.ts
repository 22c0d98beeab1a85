import type { CoreContext } from "../context.ts";
import type { Pool } from "../model.ts";
import { TtlCache } from "../support/ttl-cache.ts";
import { normalizePool } from "./pools.ts";

const TTL_MS = 5_000;
/** Served while re-read in the background for this long (a Pool's settings reach other instances within it). */
export const POOL_STALE_MS = 60_000;

/** Pools change rarely; a short cache keeps a store read off every runtime request. */
export class PoolDirectory {
  readonly #cache: TtlCache<Pool | undefined>;

  constructor(private readonly ctx: CoreContext) {
    this.#cache = new TtlCache(ctx.clock, {
      ttlMs: TTL_MS,
      staleMs: POOL_STALE_MS,
      // A Pool that was not there is looked up again rather than refused from memory.
      serveStale: (pool) => pool !== undefined,
      background: (task) => ctx.background(task),
    });
  }

  async get(name: string): Promise<Pool | undefined> {
    return this.#cache.get(name, async () => {
      const stored = await this.ctx.store.pools.get(name);
      return stored && normalizePool(stored);
    });
  }

  invalidate(): void {
    this.#cache.clear();
  }
}
