// The short in-memory caches in front of the store on the request path (keys, Pools, a Pool's accounts,
// routing state): an entry is served for `ttlMs`, concurrent misses for one key share one store read,
// and a change made on this instance drops the entry and any read begun before it. Other instances
// see a change within the TTL.
import type { Clock } from "./ports.ts";
import { SingleFlight } from "./single-flight.ts";

export interface TtlCacheOptions {
  ttlMs: number;
  /** Past this many entries the cache starts over (a key sprayer cannot grow memory without bound). */
  maxEntries?: number;
  /**
   * Serve the last value when a refresh fails, for another TTL, after telling this; without it a
   * failed refresh fails the caller (where stale data would be unsafe).
   */
  onStale?(error: unknown): void;
}

interface Entry<T> {
  value: T;
  fetchedAt: number;
}

export class TtlCache<T> {
  readonly #entries = new Map<string, Entry<T>>();
  readonly #reads = new SingleFlight<T>();

  constructor(
    private readonly clock: Clock,
    private readonly options: TtlCacheOptions,
  ) {}

  /** The cached value while it is fresh (wrapped: the value itself may be `undefined`). */
  fresh(key: string, now = this.clock.now()): { value: T } | undefined {
    const hit = this.#entries.get(key);
    return hit && now - hit.fetchedAt < this.options.ttlMs ? hit : undefined;
  }

  /** The last value loaded, however old. */
  latest(key: string): T | undefined {
    return this.#entries.get(key)?.value;
  }

  async get(key: string, load: () => Promise<T>): Promise<T> {
    const now = this.clock.now();
    const fresh = this.fresh(key, now);
    if (fresh) return fresh.value;
    const hit = this.#entries.get(key);
    return this.#reads.run(key, async () => {
      let value: T;
      try {
        value = await load();
      } catch (error) {
        if (!hit || !this.options.onStale) throw error;
        this.options.onStale(error);
        hit.fetchedAt = now;
        return hit.value;
      }
      if (this.options.maxEntries !== undefined && this.#entries.size >= this.options.maxEntries) {
        this.#entries.clear();
      }
      this.#entries.set(key, { value, fetchedAt: now });
      return value;
    });
  }

  /** After a change made here: drop the entry and any read that began before the change. */
  delete(key: string): void {
    this.#entries.delete(key);
    this.#reads.forget(key);
  }

  clear(): void {
    this.#entries.clear();
    this.#reads.forget();
  }
}
