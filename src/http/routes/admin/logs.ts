import { Hono } from "hono";
import { LogQuery, PageQuery } from "../../../admin-contract/requests.ts";
import { auditView, requestLogView } from "../../../admin-views/records.ts";
import { poolFilter, requirePoolScope } from "../../../core/access/scope.ts";
import type { Gateway } from "../../../core/gateway.ts";
import type { AppEnv } from "../../types.ts";
import { validate } from "../../validate.ts";
import { scopeOf } from "./scope.ts";

export function logAdminRoutes(gw: Gateway) {
  const { store } = gw.ctx;
  return new Hono<AppEnv>()
    .get("/request-logs", async (c) => {
      const q = validate(LogQuery, c.req.query());
      const scope = scopeOf(c);
      if (q.pool) requirePoolScope(scope, q.pool, `reading the request logs of Pool ${q.pool}`);
      const page = await store.requestLogs.list({
        limit: q.limit,
        cursor: q.cursor,
        pool: q.pool,
        pools: q.pool ? undefined : poolFilter(scope),
        keyId: q.key,
      });
      return c.json({ data: page.items.map(requestLogView), nextCursor: page.nextCursor ?? null });
    })
    .get("/audit-events", async (c) => {
      const q = validate(PageQuery, c.req.query());
      const page = await store.audit.list(q);
      return c.json({ data: page.items.map(auditView), nextCursor: page.nextCursor ?? null });
    });
}
