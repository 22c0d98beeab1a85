// Writing and reading the daily rollups. A request-log row adds to up to two items (its Pool's, with
// the five-minute bucket; its key × account one); readers sum items over whole UTC days, so totals are
// exact however many instances wrote concurrently.
import type { CoreContext } from "../context.ts";
import type { RequestLog } from "../model.ts";
import { DAY_MS, utcDay } from "../support/utc-day.ts";
import {
  RECENT_BUCKET_MINUTES,
  type RecentIncrement,
  ROLLUP_COUNT_FIELDS,
  ROLLUP_RETENTION_DAYS,
  type RollupCounts,
  type RollupIncrement,
  type RollupSelector,
  type RollupTarget,
  type UsageRollup,
  zeroCounts,
} from "./model.ts";

export { DAY_MS };

const ERROR_CODE = /^[A-Za-z0-9_.:-]{1,80}$/;
const READ_CONCURRENCY = 8;

export const dayOf = utcDay;
export const dayStart = (day: string) => Date.parse(`${day}T00:00:00.000Z`);

/** What one row adds: one request, its status class, its error (if any) and its token usage. */
export function incrementOf(row: RequestLog, retentionDays: number): RollupIncrement {
  const counts = zeroCounts();
  counts.requests = 1;
  if (row.status >= 400 || row.errorCode) counts.errors = 1;
  const statusClass = `status${Math.floor(row.status / 100)}xx` as keyof RollupCounts;
  if (statusClass in counts) counts[statusClass] = 1;
  if (row.usage) {
    counts.inputTokens = row.usage.inputTokens;
    counts.cachedTokens = row.usage.cachedTokens;
    counts.outputTokens = row.usage.outputTokens;
    counts.reasoningTokens = row.usage.reasoningTokens;
    counts.totalTokens = row.usage.totalTokens;
  }
  const day = dayOf(row.at);
  const keepDays = Math.max(ROLLUP_RETENTION_DAYS, retentionDays);
  return {
    day,
    model: row.model ?? "",
    counts,
    errorCode: row.errorCode ? (ERROR_CODE.test(row.errorCode) ? row.errorCode : "other") : undefined,
    expiresAt: Math.floor((dayStart(day) + DAY_MS) / 1000) + keepDays * 86_400,
    recent: recentIncrementOf(row),
  };
}

export function targetsOf(row: RequestLog): RollupTarget[] {
  if (!row.pool) return [];
  const targets: RollupTarget[] = [{ item: "pool", pool: row.pool }];
  if (row.keyId || row.accountId) {
    targets.push({
      item: "use",
      pool: row.pool,
      keyId: row.keyId,
      accountId: row.accountId,
      accountLabel: row.accountLabel,
    });
  }
  return targets;
}

const BUCKET_MS = RECENT_BUCKET_MINUTES * 60_000;

/** The five-minute bucket holding `ms` (`YYYY-MM-DDTHH:MM`). */
export const bucketOf = (ms: number) =>
  new Date(Math.floor(ms / BUCKET_MS) * BUCKET_MS).toISOString().slice(0, 16);

/** Server-side failures: 5xx and 429 (a client's bad request says nothing about the Pool's health). */
export const isServerFailure = (status: number) => status >= 500 || status === 429;

function recentIncrementOf(row: RequestLog): RecentIncrement {
  const failure = isServerFailure(row.status);
  return {
    bucket: bucketOf(row.at),
    failures: failure ? 1 : 0,
    errorCode: failure
      ? row.errorCode && ERROR_CODE.test(row.errorCode)
        ? row.errorCode
        : `http_${row.status}`
      : undefined,
  };
}

/**
 * Adds a request-log row to its rollups (one update per item, in parallel). Rows without a Pool (none
 * are written today) are not counted. Failures are logged, never thrown: the caller writes the row
 * itself next.
 */
export async function recordUsageRollup(ctx: CoreContext, row: RequestLog): Promise<void> {
  const targets = targetsOf(row);
  if (targets.length === 0) return;
  try {
    await ctx.store.usageRollups.add(targets, incrementOf(row, ctx.config.requestLogRetentionDays));
  } catch (error) {
    ctx.logger.warn("usage rollup write failed", { route: row.route, error: String(error) });
  }
}

/** Every UTC day from `fromDay` to `toDay`, inclusive. */
export function daysBetween(fromDay: string, toDay: string): string[] {
  const days: string[] = [];
  for (let ms = dayStart(fromDay); ms <= dayStart(toDay); ms += DAY_MS) days.push(dayOf(ms));
  return days;
}

/** The rollup items matching `selector` on each day of the range (one store query per day). */
export async function readRollups(
  ctx: CoreContext,
  range: { fromDay: string; toDay: string },
  selector: RollupSelector,
): Promise<UsageRollup[]> {
  const days = daysBetween(range.fromDay, range.toDay);
  const out: UsageRollup[][] = new Array(days.length);
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < days.length; i = next++) {
      out[i] = await ctx.store.usageRollups.list(days[i] as string, selector);
    }
  };
  await Promise.all(Array.from({ length: Math.min(READ_CONCURRENCY, days.length) }, worker));
  return out.flat();
}

export function addCounts(into: RollupCounts, from: RollupCounts): RollupCounts {
  for (const field of ROLLUP_COUNT_FIELDS) into[field] += from[field];
  return into;
}

export function addErrorCodes(into: Map<string, number>, from: Record<string, number>): void {
  for (const [code, n] of Object.entries(from)) into.set(code, (into.get(code) ?? 0) + n);
}
