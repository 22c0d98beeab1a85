// The short in-memory caches in front of the store on the request path (keys, Pools, a Pool's accounts,
// routing state): an entry is served for `ttlMs`, concurrent misses for one key share one store read,
// and a change made on this instance drops the entry and any read begun before it. Other instances
// see a change within the TTL, or within `staleMs` where a cache serves stale-while-revalidate.
import type { Clock } from "../ports.ts";
import { SingleFlight } from "./single-flight.ts";

export interface TtlCacheOptions {
  ttlMs: number;
  /**
   * Stale-while-revalidate: past `ttlMs` but younger than this, an entry is still served at once and
   * re-read in the background (one read per key), so a request on an instance that sat idle for a few
   * seconds pays no store round trip. Older entries are read before they are served. This is the
   * bound on how long a change made on another instance can go unseen here.
   */
  staleMs?: number;
  /** Which stale values may be served (default: all); the others are read first. */
  serveStale?(value: unknown): boolean;
  /** Where background re-reads go (the host awaits them before a Lambda instance freezes). */
  background?(task: Promise<unknown>): void;
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
  /** Moves on every local change: a read begun before it does not store what it read. */
  #generation = 0;

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
    const hit = this.#entries.get(key);
    if (hit && now - hit.fetchedAt < this.options.ttlMs) return hit.value;
    const { staleMs, serveStale, background } = this.options;
    if (hit && staleMs !== undefined && now - hit.fetchedAt < staleMs && (serveStale?.(hit.value) ?? true)) {
      const refresh = this.#read(key, load, hit, now);
      // Failures are the next caller's to see (its entry is then too old to serve, or retried).
      const settled = refresh.then(
        () => undefined,
        () => undefined,
      );
      if (background) background(settled);
      return hit.value;
    }
    return this.#read(key, load, hit, now);
  }

  #read(key: string, load: () => Promise<T>, hit: Entry<T> | undefined, now: number): Promise<T> {
    return this.#reads.run(key, async () => {
      const generation = this.#generation;
      let value: T;
      try {
        value = await load();
      } catch (error) {
        if (!hit || !this.options.onStale) throw error;
        this.options.onStale(error);
        hit.fetchedAt = now;
        return hit.value;
      }
      if (generation !== this.#generation) return value;
      if (this.options.maxEntries !== undefined && this.#entries.size >= this.options.maxEntries) {
        this.#entries.clear();
      }
      this.#entries.set(key, { value, fetchedAt: now });
      return value;
    });
  }

  /** Reads `key` now, joining a read already in flight (such as the background re-read `get` began). */
  revalidate(key: string, load: () => Promise<T>): Promise<T> {
    return this.#read(key, load, this.#entries.get(key), this.clock.now());
  }

  /** After a change made here: drop the entry and any read that began before the change. */
  delete(key: string): void {
    this.#generation++;
    this.#entries.delete(key);
    this.#reads.forget(key);
  }

  clear(): void {
    this.#generation++;
    this.#entries.clear();
    this.#reads.forget();
  }
}
