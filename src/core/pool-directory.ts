import type { CoreContext } from "./context.ts";
import type { Pool } from "./model.ts";
import { normalizePool } from "./pools.ts";
import { TtlCache } from "./ttl-cache.ts";

const TTL_MS = 5_000;

/** Pools change rarely; a short cache keeps a store read off every runtime request. */
export class PoolDirectory {
  readonly #cache: TtlCache<Pool | undefined>;

  constructor(private readonly ctx: CoreContext) {
    this.#cache = new TtlCache(ctx.clock, { ttlMs: TTL_MS });
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
