// Usage totals of a Pool or a key from the daily usage rollups (the same counters /v1/usage and the
// admin API read): counts by status class, top error codes and models, token sums. Rollups are per
// UTC day, so a window counts every whole day it touches; nothing per request leaves this module.

import { iso } from "../core/accounts/accounts.ts";
import type { Gateway } from "../core/gateway.ts";
import type { RollupCounts } from "../core/usage/model.ts";
import { zeroCounts } from "../core/usage/model.ts";
import { addCounts, addErrorCodes, DAY_MS, dayOf, dayStart, readRollups } from "../core/usage/rollups.ts";
import type { TimeWindow } from "./query.ts";

const TOP = 10;

export async function summarizeUsage(
  gw: Gateway,
  filter: { pool?: string; keyId?: string },
  window: TimeWindow,
) {
  const fromDay = dayOf(window.from);
  const toDay = dayOf(window.to);
  const rollups = await readRollups(
    gw.ctx,
    { fromDay, toDay },
    filter.keyId
      ? { dimension: "key", keyId: filter.keyId, pool: filter.pool }
      : { dimension: "pool", pool: filter.pool },
  );
  const totals = zeroCounts();
  const errors = new Map<string, number>();
  const models = new Map<string, RollupCounts>();
  for (const rollup of rollups) {
    addCounts(totals, rollup.counts);
    addErrorCodes(errors, rollup.errorCodes);
    const name = rollup.model || "(none)";
    models.set(name, addCounts(models.get(name) ?? zeroCounts(), rollup.counts));
  }
  return {
    window: { from: iso(window.from), to: iso(window.to) },
    // What was counted: whole UTC days from the rollups.
    granularity: "utc_day",
    countedDays: { from: iso(dayStart(fromDay)), to: iso(dayStart(toDay) + DAY_MS) },
    requests: totals.requests,
    byStatusClass: {
      "2xx": totals.status2xx,
      "3xx": totals.status3xx,
      "4xx": totals.status4xx,
      "5xx": totals.status5xx,
    },
    tokenUsage: {
      inputTokens: totals.inputTokens,
      cachedTokens: totals.cachedTokens,
      outputTokens: totals.outputTokens,
      reasoningTokens: totals.reasoningTokens,
      totalTokens: totals.totalTokens,
    },
    topErrorCodes: [...errors.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, TOP)
      .map(([code, count]) => ({ code, count })),
    topModels: [...models.entries()]
      .sort((a, b) => b[1].requests - a[1].requests)
      .slice(0, TOP)
      .map(([model, t]) => ({ model, requests: t.requests, totalTokens: t.totalTokens })),
    // Rollups count every logged request; kept for clients of the earlier, scan-based answer.
    complete: true,
    oldestCounted: null,
  };
}
