// GET /admin/v1/usage: totals from the daily usage rollups, grouped by day, model, key, Pool or account.
import { Hono } from "hono";
import { z } from "zod";
import { poolFilter, requirePoolScope } from "../../../core/access/scope.ts";
import type { Gateway } from "../../../core/gateway.ts";
import type { RollupCounts } from "../../../core/usage/model.ts";
import { reportRange, USAGE_GROUPS, usageReport } from "../../../core/usage/report.ts";
import type { AppEnv } from "../../types.ts";
import { validate } from "../../validate.ts";
import { PoolName } from "./schemas.ts";
import { scopeOf } from "./scope.ts";

export const UsageQuery = z.strictObject({
  since: z.string().max(40).optional(),
  until: z.string().max(40).optional(),
  pool: PoolName.optional(),
  key: z
    .string()
    .regex(/^(sk-cxp-)?[0-9a-f]{12}$/, "a 12-hex key id (or its sk-cxp- prefix)")
    .transform((v) => v.replace(/^sk-cxp-/, ""))
    .optional(),
  groupBy: z.enum(USAGE_GROUPS).default("day"),
});

export const countsView = (c: RollupCounts) => ({
  requests: c.requests,
  errors: c.errors,
  inputTokens: c.inputTokens,
  cachedTokens: c.cachedTokens,
  outputTokens: c.outputTokens,
  reasoningTokens: c.reasoningTokens,
  totalTokens: c.totalTokens,
  byStatusClass: { "2xx": c.status2xx, "3xx": c.status3xx, "4xx": c.status4xx, "5xx": c.status5xx },
});

export function usageAdminRoutes(gw: Gateway) {
  return new Hono<AppEnv>().get("/usage", async (c) => {
    const q = validate(UsageQuery, c.req.query());
    const range = reportRange(q, gw.ctx.clock.now());
    const scope = scopeOf(c);
    if (q.pool) requirePoolScope(scope, q.pool, `reading the usage of Pool ${q.pool}`);
    const report = await usageReport(gw.ctx, {
      ...range,
      pool: q.pool,
      pools: poolFilter(scope),
      keyId: q.key,
      groupBy: q.groupBy,
    });
    return c.json({
      since: report.fromDay,
      until: report.toDay,
      groupBy: report.groupBy,
      filters: { pool: q.pool ?? null, key: q.key ?? null },
      data: report.rows.map((row) => ({
        group: row.group,
        label: row.label ?? null,
        pool: row.pool ?? null,
        ...countsView(row.counts),
        errorCodes: row.errorCodes,
      })),
      totals: countsView(report.totals),
    });
  });
}
