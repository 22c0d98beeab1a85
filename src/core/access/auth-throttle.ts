// Failed-authentication rate limiting for Pool keys, admin tokens and MCP tokens: token buckets per
// client address (as the firewall resolves it, behind trusted proxies too; IPv6 by /64) and per
// credential, in memory on each instance (no store write on any path). Only failures spend tokens,
// and the limit never stands between a client and a credential that verifies: every presented
// credential is still checked (the same bounded work for an unknown id and a wrong secret: one cached
// lookup by id and one constant-time SHA-256 compare), and only its failure is answered 429 instead
// of 401. Stored credentials carry 256 random bits, so the answer is what is limited, not the odds.
// The environment admin token is the exception: it has no id and may be any string of 16 characters
// or more, so a client address that has spent its allowance of guesses at it (10, then 10 a minute)
// is not compared against it at all until the allowance refills. Only that address is held back:
// other addresses, and stored admin tokens from any address, are unaffected.
import { isIP } from "node:net";
import { GatewayError } from "../errors.ts";
import { parseCredential } from "../keys/secrets-format.ts";
import type { Clock } from "../ports.ts";

export interface BucketLimit {
  /** Failures allowed in a burst. */
  burst: number;
  /** Failures forgiven per minute once the burst is spent. */
  perMinute: number;
}

export interface AuthThrottleLimits {
  /** Failures per client address, whatever was presented. */
  client: BucketLimit;
  /** Failures per credential (a stored credential's id, or the environment admin token), from anywhere. */
  credential: BucketLimit;
  /** Guesses at the environment admin token per client address, past which it is not compared. */
  envToken: BucketLimit;
}

export const DEFAULT_AUTH_THROTTLE: AuthThrottleLimits = {
  client: { burst: 30, perMinute: 30 },
  credential: { burst: 10, perMinute: 10 },
  envToken: { burst: 10, perMinute: 10 },
};

/** The credential bucket of guesses at the environment admin token (it has no id). */
export const ENV_ADMIN_TOKEN = "admin_token:env";

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
  #clients!: Buckets;
  #credentials!: Buckets;
  #envGuesses!: Buckets;

  constructor(
    private readonly clock: Clock,
    limits: AuthThrottleLimits = DEFAULT_AUTH_THROTTLE,
  ) {
    this.reset(limits);
  }

  /** Starts afresh with these allowances (tests use other ones). */
  reset(limits: AuthThrottleLimits = DEFAULT_AUTH_THROTTLE): void {
    this.#clients = new Buckets(this.clock, limits.client);
    this.#credentials = new Buckets(this.clock, limits.credential);
    this.#envGuesses = new Buckets(this.clock, limits.envToken);
  }

  /**
   * Seconds before this client's bearer value may be compared with the environment admin token
   * again (0: compare it). Past its guesses it is not, so the answer says nothing about that token.
   */
  envTokenWait(client: string | undefined): number {
    return this.#envGuesses.waitFor(clientKey(client));
  }

  /**
   * Counts a failed attempt against the client and the credential it named (`kind:id`, unknown ids
   * too, so unknown and wrong keys are treated alike; ENV_ADMIN_TOKEN for an admin bearer value that
   * is no stored token's); returns seconds to wait when any of them is over its limit (the answer
   * is then 429, not 401).
   */
  failed(client: string | undefined, credential: string | undefined): number {
    const key = clientKey(client);
    const byClient = this.#clients.spend(key);
    const byCredential = credential ? this.#credentials.spend(credential) : 0;
    const byEnvGuess = credential === ENV_ADMIN_TOKEN ? this.#envGuesses.spend(key) : 0;
    return Math.max(byClient, byCredential, byEnvGuess);
  }
}

/** The credential bucket a failed bearer value is charged to: `kind:id` when it has the shape of one. */
export function credentialBucket(raw: string): string | undefined {
  const parsed = parseCredential(raw);
  return parsed ? `${parsed.kind}:${parsed.id}` : undefined;
}

/**
 * The bucket of a client address: IPv6 by its /64 (one host usually holds the whole prefix), others
 * as they are; hosts that know no address share one bucket.
 */
function clientKey(client: string | undefined): string {
  if (client === undefined) return "unknown";
  if (isIP(client) !== 6) return client;
  const [head = "", tail] = client.split("::");
  const left = head ? head.split(":") : [];
  const right = tail ? tail.split(":") : [];
  const groups = [...left, ...Array(Math.max(0, 8 - left.length - right.length)).fill("0"), ...right];
  return `${groups
    .slice(0, 4)
    .map((g) => Number.parseInt(g || "0", 16).toString(16))
    .join(":")}::/64`;
}

export function tooManyAuthFailures(waitSeconds: number): GatewayError {
  return new GatewayError(
    429,
    "too_many_auth_failures",
    `too many failed authentication attempts from this client or for this credential; retry after ${waitSeconds} s with a valid one`,
    { headers: { "retry-after": String(waitSeconds) } },
  );
}
