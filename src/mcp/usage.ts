// Usage totals summed from request logs over a bounded window and a bounded number of rows: counts by
// status class, top error codes and models, token sums. Nothing per request leaves this module.
import type { Gateway } from "../core/gateway.ts";
import type { RequestLog } from "../core/model.ts";
import { iso, scanNewestFirst, statusClassOf, type TimeWindow } from "./query.ts";

export const USAGE_MAX_SCAN = 5_000;
const TOP = 10;

interface Totals {
  inputTokens: number;
  cachedTokens: number;
  outputTokens: number;
  reasoningTokens: number;
  totalTokens: number;
}

const zero = (): Totals => ({
  inputTokens: 0,
  cachedTokens: 0,
  outputTokens: 0,
  reasoningTokens: 0,
  totalTokens: 0,
});

function add(totals: Totals, log: RequestLog): void {
  if (!log.usage) return;
  totals.inputTokens += log.usage.inputTokens;
  totals.cachedTokens += log.usage.cachedTokens;
  totals.outputTokens += log.usage.outputTokens;
  totals.reasoningTokens += log.usage.reasoningTokens;
  totals.totalTokens += log.usage.totalTokens;
}

export async function summarizeUsage(
  gw: Gateway,
  filter: { pool?: string; keyId?: string },
  window: TimeWindow,
) {
  const { store } = gw.ctx;
  const scan = await scanNewestFirst<RequestLog>({
    fetch: (cursor, limit) =>
      store.requestLogs.list({ limit, cursor, pool: filter.pool, keyId: filter.keyId }),
    limit: USAGE_MAX_SCAN,
    maxScan: USAGE_MAX_SCAN,
    match: (log) => log.at <= window.to,
    done: (log) => log.at < window.from,
  });
  const byStatusClass: Record<string, number> = { "2xx": 0, "3xx": 0, "4xx": 0, "5xx": 0 };
  const errors = new Map<string, number>();
  const models = new Map<string, { requests: number; totals: Totals }>();
  const tokens = zero();
  for (const log of scan.items) {
    const cls = statusClassOf(log.status);
    byStatusClass[cls] = (byStatusClass[cls] ?? 0) + 1;
    if (log.errorCode) errors.set(log.errorCode, (errors.get(log.errorCode) ?? 0) + 1);
    const name = log.model ?? "(none)";
    const entry = models.get(name) ?? { requests: 0, totals: zero() };
    entry.requests++;
    add(entry.totals, log);
    models.set(name, entry);
    add(tokens, log);
  }
  const oldest = scan.items.at(-1)?.at;
  return {
    window: { from: iso(window.from), to: iso(window.to) },
    requests: scan.items.length,
    byStatusClass,
    tokenUsage: tokens,
    topErrorCodes: [...errors.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, TOP)
      .map(([code, count]) => ({ code, count })),
    topModels: [...models.entries()]
      .sort((a, b) => b[1].requests - a[1].requests)
      .slice(0, TOP)
      .map(([model, v]) => ({ model, requests: v.requests, totalTokens: v.totals.totalTokens })),
    // When the bound stops the scan, totals cover only [oldestCounted, to].
    complete: scan.nextCursor === undefined,
    oldestCounted: scan.nextCursor === undefined ? null : iso(oldest),
  };
}
