// Failed-authentication rate limiting for Pool keys, admin tokens and MCP tokens: token buckets per
// client address and per credential id, in memory on each instance (no store write on any path).
// Only failures spend tokens, so a client whose keys verify is never slowed down; once a client has
// spent its allowance, its requests are refused before any store read, except a key this instance
// verified recently (a cache hit costs nothing and proves the client holds a real key).
import { GatewayError } from "./errors.ts";
import type { Gateway } from "./gateway.ts";
import type { Clock } from "./ports.ts";

export interface BucketLimit {
  /** Failures allowed in a burst. */
  burst: number;
  /** Failures forgiven per minute once the burst is spent. */
  perMinute: number;
}

export interface AuthThrottleLimits {
  client: BucketLimit;
  credential: BucketLimit;
}

export const DEFAULT_AUTH_THROTTLE: AuthThrottleLimits = {
  client: { burst: 30, perMinute: 30 },
  credential: { burst: 10, perMinute: 10 },
};

/** Buckets kept per map; the ones that refilled completely go first, then the oldest. */
const MAX_BUCKETS = 10_000;

class Buckets {
  readonly #buckets = new Map<string, { tokens: number; at: number }>();

  constructor(
    private readonly clock: Clock,
    private readonly limit: BucketLimit,
  ) {}

  #level(id: string, now: number): number {
    const bucket = this.#buckets.get(id);
    if (!bucket) return this.limit.burst;
    return Math.min(this.limit.burst, bucket.tokens + ((now - bucket.at) * this.limit.perMinute) / 60_000);
  }

  #wait(tokens: number): number {
    return Math.max(1, Math.ceil(((1 - tokens) * 60) / this.limit.perMinute));
  }

  /** Seconds until `id` may fail again; 0 when it still has allowance. Takes nothing. */
  waitFor(id: string): number {
    const tokens = this.#level(id, this.clock.now());
    return tokens >= 1 ? 0 : this.#wait(tokens);
  }

  /** Spends one failure; returns 0 when it was within the allowance, else seconds to wait. */
  spend(id: string): number {
    const now = this.clock.now();
    const tokens = this.#level(id, now);
    this.#buckets.delete(id); // re-inserted last: the map's order is least recently failed first
    if (this.#buckets.size >= MAX_BUCKETS) this.#evict(now);
    this.#buckets.set(id, { tokens: Math.max(0, tokens - 1), at: now });
    return tokens >= 1 ? 0 : this.#wait(tokens);
  }

  #evict(now: number): void {
    for (const [id] of this.#buckets) {
      if (this.#level(id, now) >= this.limit.burst) this.#buckets.delete(id);
    }
    while (this.#buckets.size >= MAX_BUCKETS) {
      const oldest = this.#buckets.keys().next().value as string;
      this.#buckets.delete(oldest);
    }
  }
}

export class AuthThrottle {
  readonly #clients: Buckets;
  readonly #credentials: Buckets;

  constructor(clock: Clock, limits: AuthThrottleLimits = DEFAULT_AUTH_THROTTLE) {
    this.#clients = new Buckets(clock, limits.client);
    this.#credentials = new Buckets(clock, limits.credential);
  }

  /** Seconds a client must wait before it may try an unverified credential again (0: go ahead). */
  blockedFor(client: string | undefined): number {
    return client ? this.#clients.waitFor(client) : 0;
  }

  /**
   * Counts a failed attempt against the client and the credential id it named (unknown ids too, so
   * unknown and wrong keys are treated alike); returns seconds to wait when either is over its limit.
   */
  failed(client: string | undefined, credentialId: string | undefined): number {
    const byClient = client ? this.#clients.spend(client) : 0;
    const byCredential = credentialId ? this.#credentials.spend(credentialId) : 0;
    return Math.max(byClient, byCredential);
  }
}

const throttles = new WeakMap<Gateway, AuthThrottle>();

/** The gateway's one throttle (per process, like its caches). */
export function authThrottle(gw: Gateway): AuthThrottle {
  let throttle = throttles.get(gw);
  if (!throttle) {
    throttle = new AuthThrottle(gw.ctx.clock);
    throttles.set(gw, throttle);
  }
  return throttle;
}

/** Replaces the gateway's limits (hosts and tests that need other numbers). */
export function setAuthThrottleLimits(gw: Gateway, limits: AuthThrottleLimits): void {
  throttles.set(gw, new AuthThrottle(gw.ctx.clock, limits));
}

export function tooManyAuthFailures(waitSeconds: number): GatewayError {
  return new GatewayError(
    429,
    "too_many_auth_failures",
    `too many failed authentication attempts from this client or for this key; retry after ${waitSeconds} s with a valid key`,
    { headers: { "retry-after": String(waitSeconds) } },
  );
}
