// Usage totals from the daily rollups for the admin API and `pooler usage`: a range of UTC days,
// optional Pool / key filters, grouped by day, model, key, Pool or account.
import { USAGE_GROUPS } from "../../admin-contract/enums.ts";

export { USAGE_GROUPS };

import type { CoreContext } from "../context.ts";
import { badRequest } from "../errors.ts";
import { type RollupCounts, type RollupSelector, type UsageRollup, zeroCounts } from "./model.ts";
import { addCounts, addErrorCodes, DAY_MS, dayOf, dayStart, readRollups } from "./rollups.ts";

export type UsageGroup = (typeof USAGE_GROUPS)[number];
export const MAX_REPORT_DAYS = 400;
export const DEFAULT_REPORT_DAYS = 7;

export interface UsageReportQuery {
  fromDay: string;
  toDay: string;
  pool?: string;
  /** Only these Pools' rollups (a Pool admin's scope). */
  pools?: readonly string[];
  keyId?: string;
  groupBy: UsageGroup;
}

export interface UsageReportRow {
  group: string;
  /** Keys and accounts: their label; accounts: their Pool too. */
  label?: string;
  pool?: string;
  counts: RollupCounts;
  errorCodes: Record<string, number>;
}

export interface UsageReport {
  fromDay: string;
  toDay: string;
  groupBy: UsageGroup;
  rows: UsageReportRow[];
  totals: RollupCounts;
}

/** `since` / `until` as UTC days (`YYYY-MM-DD` or any ISO time); default the last 7 days. */
export function reportRange(
  input: { since?: string; until?: string },
  nowMs: number,
): { fromDay: string; toDay: string } {
  const parse = (value: string, param: string) => {
    const ms = /^\d{4}-\d{2}-\d{2}$/.test(value) ? dayStart(value) : Date.parse(value);
    if (!Number.isFinite(ms)) throw badRequest(`${param} must be a date (YYYY-MM-DD) or an ISO time`, param);
    return dayOf(ms);
  };
  const toDay = input.until ? parse(input.until, "until") : dayOf(nowMs);
  const fromDay = input.since
    ? parse(input.since, "since")
    : dayOf(dayStart(toDay) - (DEFAULT_REPORT_DAYS - 1) * DAY_MS);
  if (dayStart(fromDay) > dayStart(toDay)) throw badRequest("since must not be after until", "since");
  if ((dayStart(toDay) - dayStart(fromDay)) / DAY_MS + 1 > MAX_REPORT_DAYS) {
    throw badRequest(`the range may span at most ${MAX_REPORT_DAYS} days; narrow since/until`, "since");
  }
  return { fromDay, toDay };
}

function selectorFor(query: UsageReportQuery): RollupSelector {
  if (query.keyId) {
    if (query.groupBy === "account") {
      throw badRequest(
        "groupBy=account cannot be combined with key: rollups count accounts per Pool, not per key",
        "groupBy",
      );
    }
    return { dimension: "key", keyId: query.keyId, pool: query.pool };
  }
  if (query.groupBy === "key") return { dimension: "key", pool: query.pool };
  if (query.groupBy === "account") return { dimension: "account", pool: query.pool };
  return { dimension: "pool", pool: query.pool };
}

function groupOf(rollup: UsageRollup, groupBy: UsageGroup): string {
  switch (groupBy) {
    case "day":
      return rollup.day;
    case "model":
      return rollup.model || "(none)";
    case "key":
      return rollup.keyId ?? "(none)";
    case "pool":
      return rollup.pool;
    case "account":
      return `${rollup.pool}/${rollup.accountId ?? "(none)"}`;
  }
}

export async function usageReport(ctx: CoreContext, query: UsageReportQuery): Promise<UsageReport> {
  const read = await readRollups(ctx, query, selectorFor(query));
  const rollups = query.pools ? read.filter((r) => query.pools?.includes(r.pool)) : read;
  const groups = new Map<string, UsageReportRow & { codes: Map<string, number>; labelDay: string }>();
  const totals = zeroCounts();
  for (const rollup of rollups) {
    const name = groupOf(rollup, query.groupBy);
    let row = groups.get(name);
    if (!row) {
      row = { group: name, counts: zeroCounts(), errorCodes: {}, codes: new Map(), labelDay: "" };
      if (query.groupBy === "account") {
        row.group = rollup.accountId ?? "(none)";
        row.pool = rollup.pool;
      }
      if (query.groupBy === "key") row.pool = rollup.pool;
      groups.set(name, row);
    }
    // The newest day's label wins (labels can be renamed).
    if (rollup.accountLabel && rollup.day >= row.labelDay && query.groupBy === "account") {
      row.label = rollup.accountLabel;
      row.labelDay = rollup.day;
    }
    addCounts(row.counts, rollup.counts);
    addErrorCodes(row.codes, rollup.errorCodes);
    addCounts(totals, rollup.counts);
  }
  if (query.groupBy === "key" && groups.size > 0) {
    const keys = await ctx.store.credentials.list("pool_key");
    const labels = new Map(keys.map((k) => [k.id, k.label]));
    for (const row of groups.values()) row.label = labels.get(row.group) ?? undefined;
  }
  const rows = [...groups.values()].map(({ codes, labelDay: _, ...row }) => ({
    ...row,
    errorCodes: Object.fromEntries([...codes.entries()].sort((a, b) => b[1] - a[1])),
  }));
  rows.sort((a, b) =>
    query.groupBy === "day"
      ? a.group.localeCompare(b.group)
      : b.counts.totalTokens - a.counts.totalTokens ||
        b.counts.requests - a.counts.requests ||
        a.group.localeCompare(b.group),
  );
  return { fromDay: query.fromDay, toDay: query.toDay, groupBy: query.groupBy, rows, totals };
}
