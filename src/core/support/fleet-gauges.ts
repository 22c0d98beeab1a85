// Point-in-time gauges an operator watches between requests: accounts by status and how much of each
// Pool's quota is used. Emitted by the scheduled usage poll, right after fresh evidence was written.
import { ACCOUNT_STATUSES } from "../../admin-contract/enums.ts";
import type { CoreContext } from "../context.ts";
import type { Account } from "../model.ts";
import { capacityScore } from "../routing/strategies.ts";

/** Bounds the Pool dimension (CloudWatch bills per metric); the rest still count in the maximum. */
const MAX_POOL_SERIES = 50;

export interface FleetGauges {
  accountsByStatus: Record<string, number>;
  /** Pool → used percent (100 − mean remaining capacity of its routable accounts with evidence). */
  poolQuotaUsedPercent: Map<string, number>;
}

export async function reportFleetGauges(ctx: CoreContext): Promise<FleetGauges> {
  const now = ctx.clock.now();
  const [accounts, pools] = await Promise.all([ctx.store.accounts.list(), ctx.store.pools.list()]);
  const accountsByStatus = Object.fromEntries(ACCOUNT_STATUSES.map((s) => [s, 0])) as Record<string, number>;
  for (const account of accounts)
    accountsByStatus[account.status] = (accountsByStatus[account.status] ?? 0) + 1;
  // Every status every time, zeros included, so "accounts needing re-auth" alarms see 0, not no data.
  for (const [status, n] of Object.entries(accountsByStatus)) ctx.metrics.count("accounts", n, { status });

  const poolQuotaUsedPercent = new Map<string, number>();
  for (const pool of pools) {
    const used = poolUsedPercent(
      accounts.filter((a) => a.pools.includes(pool.name)),
      now,
    );
    if (used !== undefined) poolQuotaUsedPercent.set(pool.name, used);
  }
  const names = [...poolQuotaUsedPercent.keys()].sort().slice(0, MAX_POOL_SERIES);
  for (const pool of names) {
    ctx.metrics.count("pool_quota_used_percent", poolQuotaUsedPercent.get(pool) as number, { pool });
  }
  if (poolQuotaUsedPercent.size > 0) {
    ctx.metrics.count("max_pool_quota_used_percent", Math.max(...poolQuotaUsedPercent.values()));
  }
  return { accountsByStatus, poolQuotaUsedPercent };
}

function poolUsedPercent(members: Account[], nowMs: number): number | undefined {
  const routable = members.filter((a) => a.status === "active" || a.status === "refreshing");
  if (members.length > 0 && routable.length === 0) return 100;
  const capacities = routable.flatMap((a) => {
    if (a.quota?.exhaustedUntil !== undefined && a.quota.exhaustedUntil * 1000 > nowMs) return [0];
    const capacity = capacityScore(a, nowMs);
    return capacity === undefined ? [] : [capacity];
  });
  if (capacities.length === 0) return undefined;
  const mean = capacities.reduce((sum, c) => sum + c, 0) / capacities.length;
  return Math.round((100 - mean) * 100) / 100;
}
