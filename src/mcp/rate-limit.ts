// Per-token token bucket, in memory: each instance (one Node process, one warm Lambda) enforces it on
// its own, which bounds what a leaked or looping MCP token can cost without a store write per call.
import type { Clock } from "../core/ports.ts";

export interface RateLimit {
  /** Requests allowed in a burst. */
  capacity: number;
  /** Requests per minute once the burst is spent. */
  perMinute: number;
}

export const DEFAULT_MCP_RATE_LIMIT: RateLimit = { capacity: 60, perMinute: 60 };

const MAX_BUCKETS = 10_000;

export class TokenBuckets {
  readonly #buckets = new Map<string, { tokens: number; at: number }>();

  constructor(
    private readonly clock: Clock,
    private readonly limit: RateLimit = DEFAULT_MCP_RATE_LIMIT,
  ) {}

  /** Takes one request from `id`'s bucket; returns 0 when allowed, else seconds until the next one. */
  take(id: string): number {
    const now = this.clock.now();
    const perMs = this.limit.perMinute / 60_000;
    const current = this.#buckets.get(id);
    const tokens = current
      ? Math.min(this.limit.capacity, current.tokens + (now - current.at) * perMs)
      : this.limit.capacity;
    if (tokens < 1) {
      this.#buckets.set(id, { tokens, at: now });
      return Math.max(1, Math.ceil((1 - tokens) / perMs / 1000));
    }
    if (!current && this.#buckets.size >= MAX_BUCKETS) this.#buckets.clear();
    this.#buckets.set(id, { tokens: tokens - 1, at: now });
    return 0;
  }
}
