// Ordering strategies over the already-eligible accounts of a Pool. Pure functions of (seed,
// candidates, evidence, now) so the same inputs always give the same order (table-tested).
import { createHash } from "node:crypto";
import type { Account, QuotaWindow, RoutingStrategy } from "../model.ts";

export type StrategyName = RoutingStrategy;

export interface OrderingInput {
  seed: string;
  candidates: Account[];
  nowMs: number;
  /** Epoch ms of each account's latest successful request (least_recent_success). */
  lastSuccessAt?: (accountId: string) => number | undefined;
}

/** Quota windows older than this are not evidence (the original's 15-minute freshness). */
export const QUOTA_FRESH_MS = 15 * 60_000;

/** Highest-random-weight score: SHA-256("<seed>:<id>") as a big unsigned integer. */
export function rendezvousScore(seed: string, id: string): bigint {
  return BigInt(`0x${createHash("sha256").update(`${seed}:${id}`).digest("hex")}`);
}

/** Highest score first; each account's score is hashed once per ordering, not once per comparison. */
const byRendezvous = (seed: string) => {
  const scores = new Map<string, bigint>();
  const score = (a: Account) => {
    let s = scores.get(a.id);
    if (s === undefined) {
      s = rendezvousScore(seed, a.id);
      scores.set(a.id, s);
    }
    return s;
  };
  return (a: Account, b: Account) => {
    const sa = score(a);
    const sb = score(b);
    return sa === sb ? 0 : sa > sb ? -1 : 1;
  };
};

/** Usable windows: fresh, and (if at 100 %) not past their reset — a passed reset means refilled. */
export function usableWindows(account: Account, nowMs: number): QuotaWindow[] {
  const quota = account.quota;
  if (!quota || nowMs - quota.observedAt > QUOTA_FRESH_MS) return [];
  return [quota.primary, quota.secondary].filter((w): w is QuotaWindow => {
    if (!w) return false;
    return !(w.resetAt !== undefined && w.resetAt * 1000 <= nowMs);
  });
}

/**
 * Remaining capacity in percent: the minimum of (100 − used) over usable windows; undefined when
 * there is no evidence (such accounts rank after those with evidence, as the original's #321 fix).
 */
export function capacityScore(account: Account, nowMs: number): number | undefined {
  const windows = usableWindows(account, nowMs);
  if (windows.length === 0) return undefined;
  return Math.min(...windows.map((w) => Math.max(0, 100 - w.usedPercent)));
}

/** Soonest reset among usable windows that still have capacity (epoch ms). */
function soonestReset(account: Account, nowMs: number): number | undefined {
  const resets = usableWindows(account, nowMs)
    .filter((w) => w.usedPercent < 100 && w.resetAt !== undefined)
    .map((w) => (w.resetAt as number) * 1000);
  return resets.length ? Math.min(...resets) : undefined;
}

/** Stable hash of the seed to an unsigned 32-bit integer (rotation offset, weighted draw). */
function seedHash(seed: string): number {
  return createHash("sha256").update(seed).digest().readUInt32BE(0);
}

export function orderCandidates(strategy: StrategyName, input: OrderingInput): Account[] {
  const { seed, candidates, nowMs } = input;
  const list = [...candidates];
  switch (strategy) {
    case "bridge_ring":
      return list.sort(byRendezvous(seed));
    case "deterministic_rotation": {
      if (list.length === 0) return list;
      const offset = seedHash(seed) % list.length;
      return [...list.slice(offset), ...list.slice(0, offset)];
    }
    case "least_recent_success": {
      const last = (a: Account) => input.lastSuccessAt?.(a.id) ?? -1;
      const tie = byRendezvous(seed);
      return list.sort((a, b) => last(a) - last(b) || tie(a, b));
    }
    case "quota_first": {
      const tie = byRendezvous(seed);
      const score = (a: Account) => capacityScore(a, nowMs) ?? -1;
      return list.sort((a, b) => score(b) - score(a) || tie(a, b));
    }
    case "capacity_weighted":
      return capacityWeighted(seed, list, nowMs);
    case "reset_drain": {
      const tie = byRendezvous(seed);
      const reset = (a: Account) => soonestReset(a, nowMs) ?? Number.POSITIVE_INFINITY;
      const unknownLast = (a: Account) => (capacityScore(a, nowMs) === undefined ? 1 : 0);
      return list.sort((a, b) => unknownLast(a) - unknownLast(b) || reset(a) - reset(b) || tie(a, b));
    }
  }
}

/**
 * Weighted draw without replacement, weight = remaining capacity (accounts without evidence get the
 * mean weight of those with it, so they are neither starved nor favoured). Deterministic per seed.
 */
function capacityWeighted(seed: string, list: Account[], nowMs: number): Account[] {
  const known = list.map((a) => capacityScore(a, nowMs)).filter((s): s is number => s !== undefined);
  const fallback = known.length ? known.reduce((x, y) => x + y, 0) / known.length : 1;
  const weight = (a: Account) => Math.max(0.001, capacityScore(a, nowMs) ?? fallback);
  // Efraimidis–Spirakis keys: u^(1/w) with u drawn from the seed, sorted descending.
  return list
    .map((a) => {
      const draw = (Number(rendezvousScore(seed, a.id) % 1_000_000n) + 0.5) / 1_000_001;
      return { a, key: Math.log(draw) / weight(a) };
    })
    .sort((x, y) => y.key - x.key)
    .map((x) => x.a);
}
