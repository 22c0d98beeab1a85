import type { CoreContext } from "./context.ts";
import type { Pool } from "./model.ts";
import { normalizePool } from "./pools.ts";
import { SingleFlight } from "./single-flight.ts";

const TTL_MS = 5_000;

/** Pools change rarely; a short cache keeps a store read off every runtime request. */
export class PoolDirectory {
  readonly #cache = new Map<string, { pool: Pool | undefined; fetchedAt: number }>();
  readonly #reads = new SingleFlight<Pool | undefined>();

  constructor(private readonly ctx: CoreContext) {}

  async get(name: string): Promise<Pool | undefined> {
    const now = this.ctx.clock.now();
    const hit = this.#cache.get(name);
    if (hit && now - hit.fetchedAt < TTL_MS) return hit.pool;
    return this.#reads.run(name, async () => {
      const stored = await this.ctx.store.pools.get(name);
      const pool = stored && normalizePool(stored);
      this.#cache.set(name, { pool, fetchedAt: now });
      return pool;
    });
  }

  invalidate(): void {
    this.#cache.clear();
    this.#reads.forget();
  }
}
