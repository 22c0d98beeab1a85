// Plans which accounts one request may try: hard eligibility first (status, model, quota, circuit,
// continuity pins), then the Pool's strategy, soft affinities to the front, demoted accounts to the
// back, truncated to the ring size. Routing state is shared through the store and cached briefly.
import { createHash } from "node:crypto";
import type { CoreContext } from "../context.ts";
import { GatewayError } from "../errors.ts";
import type { Account, Pool } from "../model.ts";
import type { CircuitRecord, RoutingSnapshot } from "../ports.ts";
import { TtlCache } from "../support/ttl-cache.ts";
import type { AccountDirectory } from "./account-directory.ts";
import { orderCandidates, type StrategyName, usableWindows } from "./strategies.ts";

export const DEMOTION_MS = 60_000;
export const CIRCUIT = { threshold: 3, openMs: 60_000, probeLeaseMs: 30_000 };
const SNAPSHOT_TTL_MS = 2_000;
/** Served while re-read in the background for this long (demotions last a minute anyway). */
export const SNAPSHOT_STALE_MS = 60_000;
const PIN_TTL_S = 24 * 3600;

/** Continuity anchors of one request, already extracted from headers and body. */
export interface Anchors {
  sessionKey?: string;
  promptCacheKey?: string;
  previousResponseId?: string;
}

export interface RouteQuery {
  pool: Pool;
  keyId: string;
  model: string;
  anchors: Anchors;
  requestId: string;
}

export interface RoutePlan {
  candidates: Account[];
  /** Set when a previous_response_id pins the request: no other account may serve it. */
  hardPin?: string;
  /** Accounts in a half-open circuit: the attempt must first win the probe. */
  halfOpen: Set<string>;
}

export type Exclusion =
  | "paused"
  | "refresh_failed"
  | "reauth_required"
  | "quota_exhausted"
  | "circuit_open"
  | "model_unavailable";

export class Router {
  readonly #snapshots: TtlCache<RoutingSnapshot>;
  readonly #pinCache = new Map<string, { accountId: string; expiresAt: number }>();

  constructor(
    private readonly ctx: CoreContext,
    private readonly directory: AccountDirectory,
  ) {
    this.#snapshots = new TtlCache(ctx.clock, {
      ttlMs: SNAPSHOT_TTL_MS,
      staleMs: SNAPSHOT_STALE_MS,
      background: (task) => ctx.background(task),
      // Demotions and circuits only reorder or skip accounts: the last known state is safe to route
      // on while the store is throttled or slow (retried after another TTL).
      onStale: (error) =>
        ctx.logger.warn("routing state refresh failed; using the last known state", {
          error: (error as Error).name,
        }),
    });
  }

  async plan(query: RouteQuery): Promise<RoutePlan> {
    const now = this.ctx.clock.now();
    const { previousResponseId, sessionKey, promptCacheKey } = query.anchors;
    const pin = (kind: string, value: string | undefined) =>
      value ? this.#pin(anchorHash(query.pool.name, kind, value)) : undefined;
    // Everything a plan reads, at once: one store round trip at most (each part may come from memory).
    const [members, snapshot, responsePin, cachePin, sessionPin] = await Promise.all([
      this.directory.forPool(query.pool.name),
      this.#snapshot(query.pool.name),
      pin("response", previousResponseId),
      pin("prompt_cache", promptCacheKey),
      pin("session", sessionKey),
    ]);
    const exclusions = new Map<string, Exclusion>();
    const halfOpen = new Set<string>();
    const eligible = members.filter((account) => {
      const reason = this.#exclusion(account, query.model, snapshot, now);
      if (reason === "half_open") {
        halfOpen.add(account.id);
        return true;
      }
      if (reason) exclusions.set(account.id, reason);
      return !reason;
    });

    // A previous_response_id pin wins over everything else: only its account may serve the turn.
    if (responsePin) {
      const account = eligible.find((a) => a.id === responsePin);
      if (!account)
        throw pinnedUnavailable(
          members.find((a) => a.id === responsePin),
          exclusions.get(responsePin),
        );
      return { candidates: [account], hardPin: account.id, halfOpen };
    }
    if (eligible.length === 0) throw noEligible(members, exclusions, now);

    const seed = sessionKey ?? promptCacheKey ?? query.requestId;
    let ordered = orderCandidates(query.pool.strategy as StrategyName, {
      seed: `${query.pool.name}:${seed}`,
      candidates: eligible,
      nowMs: now,
      lastSuccessAt: (id) => snapshot.lastSuccess.get(id),
    });
    // Soft affinities: the account that served this session (or prompt cache) before goes first.
    for (const pinned of [cachePin, sessionPin]) {
      const index = pinned ? ordered.findIndex((a) => a.id === pinned) : -1;
      if (index > 0) ordered = [ordered[index] as Account, ...ordered.filter((_, i) => i !== index)];
    }
    const demoted = (a: Account) => (snapshot.demotions.get(`${query.model}|${a.id}`) ?? 0) > now;
    ordered = [...ordered.filter((a) => !demoted(a)), ...ordered.filter(demoted)];
    return { candidates: ordered.slice(0, Math.max(1, query.pool.ringSize)), halfOpen };
  }

  /** Starts (or joins) the reads a plan for this Pool makes, before the request has asked for one. */
  prefetch(pool: string): Promise<Account[]> {
    return Promise.all([this.directory.forPool(pool), this.#snapshot(pool)]).then(([members]) => members);
  }

  /** Single half-open probe across instances; false means another instance is probing. */
  acquireProbe(pool: string, account: Account, model: string): Promise<boolean> {
    return this.ctx.store.routing.acquireProbe(
      pool,
      account.id,
      model,
      this.ctx.clock.now(),
      CIRCUIT.probeLeaseMs,
    );
  }

  /** A retryable failure: demote for 60 s in (pool, model) and count towards the circuit. */
  async recordFailure(pool: string, account: Account, model: string, reason: string): Promise<void> {
    const now = this.ctx.clock.now();
    const cached = this.#snapshots.latest(pool);
    cached?.demotions.set(`${model}|${account.id}`, now + DEMOTION_MS);
    const [, circuit] = await Promise.all([
      this.ctx.store.routing.demote(pool, model, account.id, now + DEMOTION_MS, reason),
      this.ctx.store.routing.recordFailure(pool, account.id, model, now, CIRCUIT),
    ]);
    cached?.circuits.set(`${account.id}|${model}`, circuit);
    this.ctx.metrics.count("routing_failure", 1, { reason });
  }

  /** Success closes the circuit and clears the demotion; written only when there is state to clear. */
  async recordSuccess(pool: string, account: Account, model: string, strategy: string): Promise<void> {
    const now = this.ctx.clock.now();
    const cached = this.#snapshots.latest(pool);
    const circuit = cached?.circuits.get(`${account.id}|${model}`);
    const demoted = (cached?.demotions.get(`${model}|${account.id}`) ?? 0) > now;
    const lastSuccess = cached?.lastSuccess.get(account.id) ?? 0;
    // least_recent_success needs fresh stamps; the others only need state cleared.
    const stamp = strategy === "least_recent_success" && now - lastSuccess > 1_000;
    if (!cached || (circuit?.failures ?? 0) > 0 || demoted || stamp) {
      cached?.circuits.delete(`${account.id}|${model}`);
      cached?.demotions.delete(`${model}|${account.id}`);
      cached?.lastSuccess.set(account.id, now);
      await this.ctx.store.routing.recordSuccess(pool, account.id, model, now);
    }
  }

  /** Remembers which account served an anchor (hashed, 24 h) so later turns can follow it. */
  async remember(
    pool: string,
    kind: "response" | "session" | "prompt_cache",
    value: string,
    accountId: string,
  ) {
    const hash = anchorHash(pool, kind, value);
    const now = this.ctx.clock.now();
    const cached = this.#pinCache.get(hash);
    // Skip the write when this instance already knows the same pin with plenty of life left.
    if (cached?.accountId === accountId && cached.expiresAt * 1000 - now > (PIN_TTL_S * 1000) / 2) return;
    const expiresAt = Math.floor(now / 1000) + PIN_TTL_S;
    this.#remember(hash, { accountId, expiresAt });
    await this.ctx.store.pins.put(hash, accountId, expiresAt);
  }

  async #pin(hash: string): Promise<string | undefined> {
    const now = this.ctx.clock.now();
    const cached = this.#pinCache.get(hash);
    if (cached && cached.expiresAt * 1000 > now) return cached.accountId;
    const stored = await this.ctx.store.pins.get(hash);
    if (stored) this.#remember(hash, stored);
    return stored?.accountId;
  }

  #remember(hash: string, pin: { accountId: string; expiresAt: number }) {
    if (this.#pinCache.size > 50_000) this.#pinCache.clear();
    this.#pinCache.set(hash, pin);
  }

  #snapshot(pool: string): Promise<RoutingSnapshot> {
    return this.#snapshots.get(pool, () => this.ctx.store.routing.load(pool, this.ctx.clock.now()));
  }

  #exclusion(
    account: Account,
    model: string,
    snapshot: RoutingSnapshot,
    now: number,
  ): Exclusion | "half_open" | undefined {
    if (account.status === "paused") return "paused";
    if (account.status === "reauth_required") return account.status;
    // A transient refresh failure is retried (by the next request that routes here) after its backoff.
    if (account.status === "refresh_failed" && (account.refreshRetryAt ?? 0) > now) return account.status;
    if (account.unavailableModels?.includes(model)) return "model_unavailable";
    if (quotaExhausted(account, now)) return "quota_exhausted";
    const circuit: CircuitRecord | undefined = snapshot.circuits.get(`${account.id}|${model}`);
    if (circuit && circuit.failures >= CIRCUIT.threshold && circuit.openUntil !== undefined) {
      if (circuit.openUntil > now) return "circuit_open";
      if ((circuit.probeUntil ?? 0) > now) return "circuit_open";
      return "half_open";
    }
    return undefined;
  }
}

/** Exhausted by a usage-limit answer, or by a fresh window at 100 % that has not reset yet. */
export function quotaExhausted(account: Account, nowMs: number): boolean {
  const until = account.quota?.exhaustedUntil;
  if (until !== undefined && until * 1000 > nowMs) return true;
  return usableWindows(account, nowMs).some((w) => w.usedPercent >= 100);
}

/** When an exhausted account comes back (epoch s): its reset, else the limit's end. */
export function exhaustedUntil(account: Account, nowMs: number): number {
  const candidates = [account.quota?.exhaustedUntil ?? 0];
  for (const w of usableWindows(account, nowMs))
    if (w.usedPercent >= 100 && w.resetAt) candidates.push(w.resetAt);
  return Math.max(...candidates.filter((c) => c * 1000 > nowMs), Math.ceil(nowMs / 1000) + 60);
}

export function anchorHash(pool: string, kind: string, value: string): string {
  return createHash("sha256").update(`${pool}\u0000${kind}\u0000${value}`).digest("base64url");
}

const RECOVERY_HEADERS = { "x-codex-recovery-kind": "restart_with_full_context" };

function pinnedUnavailable(account: Account | undefined, reason: Exclusion | undefined): GatewayError {
  const reauth = account?.status === "reauth_required";
  const error = new GatewayError(
    503,
    reauth ? "pinned_continuation_reauth_required" : "pinned_continuation_unavailable",
    `${reauth ? "Pinned continuation requires upstream reauthentication" : "Pinned continuation is not available"}` +
      ` (${reason ?? "account removed"}). Restart with full visible context and remove continuation anchors.`,
    { param: "previous_response_id", headers: RECOVERY_HEADERS },
  );
  return error;
}

function noEligible(members: Account[], exclusions: Map<string, Exclusion>, nowMs: number): GatewayError {
  // Quota is the only thing that comes back by itself (the rest needs an operator), unless a circuit
  // is open: that clears within a minute, so a 503 that invites a retry fits better.
  const exhausted = members.filter((a) => exclusions.get(a.id) === "quota_exhausted");
  if (exhausted.length > 0 && ![...exclusions.values()].includes("circuit_open")) {
    return usageLimitError(exhausted, nowMs);
  }
  if (members.length === 0) {
    return new GatewayError(
      503,
      "no_eligible_backend",
      "this pool has no upstream accounts; import one with `pooler account import`",
      { param: "model" },
    );
  }
  const counts = new Map<Exclusion, number>();
  for (const reason of exclusions.values()) counts.set(reason, (counts.get(reason) ?? 0) + 1);
  const hints: Record<Exclusion, string> = {
    paused: "paused (resume with `pooler account resume`)",
    refresh_failed: "token refresh failing (check the auth server / network)",
    reauth_required: "needing a new login (re-import auth.json)",
    quota_exhausted: "out of quota until reset",
    circuit_open: "failing upstream (circuit open for up to 60 s)",
    model_unavailable: "not offering this model",
  };
  const detail = [...counts.entries()].map(([reason, n]) => `${n} ${hints[reason]}`).join(", ");
  return new GatewayError(
    503,
    "no_eligible_backend",
    `no eligible upstream account in this pool: ${detail}`,
    {
      param: "model",
    },
  );
}

/** Every usable account is out of quota: answer as the upstream does, so Codex shows when to retry. */
export class UsageLimitError extends GatewayError {
  constructor(
    readonly resetsAt: number,
    readonly planType: string | undefined,
    nowMs: number,
  ) {
    const retryAfter = Math.max(1, resetsAt - Math.floor(nowMs / 1000));
    super(429, "usage_limit_reached", "The usage limit has been reached on every account of this pool", {
      headers: { "retry-after": String(retryAfter), "x-codex-rate-limit-reached-type": "rate_limit_reached" },
    });
  }

  override toJSON() {
    const base = super.toJSON();
    return {
      error: {
        ...base.error,
        type: "usage_limit_reached",
        plan_type: this.planType,
        resets_at: this.resetsAt,
        resets_in_seconds: Number(this.headers["retry-after"]),
      },
    } as unknown as ReturnType<GatewayError["toJSON"]>;
  }
}

export function usageLimitError(exhausted: Account[], nowMs: number): UsageLimitError {
  const soonest = exhausted
    .map((a) => ({ a, at: exhaustedUntil(a, nowMs) }))
    .reduce((x, y) => (x.at <= y.at ? x : y));
  return new UsageLimitError(soonest.at, soonest.a.planType ?? soonest.a.quota?.planType, nowMs);
}
