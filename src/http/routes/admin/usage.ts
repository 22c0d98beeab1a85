// GET /admin/v1/usage: totals from the daily usage rollups, grouped by day, model, key, Pool or account.
import { Hono } from "hono";
import { UsageQuery } from "../../../admin-contract/requests.ts";
import { usageReportView } from "../../../admin-views/records.ts";
import { poolFilter, requirePoolScope } from "../../../core/access/scope.ts";
import type { Gateway } from "../../../core/gateway.ts";
import { reportRange, usageReport } from "../../../core/usage/report.ts";
import type { AppEnv } from "../../types.ts";
import { validate } from "../../validate.ts";
import { scopeOf } from "./scope.ts";

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
    return c.json(usageReportView(report, q));
  });
}
