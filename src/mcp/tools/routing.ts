// Routing health: open circuits, demotions, accounts needing a new login or failing to refresh.
import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { z } from "zod";
import { hasPool, requirePoolScope } from "../../core/access/scope.ts";
import { notFound } from "../../core/errors.ts";
import { routingHealth } from "../pool-health.ts";
import { poolName } from "../query.ts";
import { registerTool, type ToolContext } from "../tool.ts";

const MAX_POOLS = 50;

export function registerRoutingTools(server: McpServer, ctx: ToolContext): void {
  registerTool(server, ctx, {
    name: "codex_pooler_get_routing_health",
    title: "Routing health",
    description:
      "Use when: asked whether a Pool is healthy or why requests fail over, get 503s or skip an account. " +
      "Returns: per Pool a status (healthy, degraded, unavailable), serving account count, open and half-open circuits per account and model, active demotions, accounts that need a new login (reauth_required), accounts whose token refresh is failing, and paused accounts. " +
      "Never returns: tokens, emails or upstream account ids. " +
      `Filters/limits: one Pool, or every Pool (at most ${MAX_POOLS}); each list is capped at 100 entries.`,
    input: z.strictObject({ pool: poolName.optional().describe("Pool name; omit for every Pool") }),
    async run(args) {
      const { store, clock } = ctx.gw.ctx;
      const now = clock.now();
      let names: string[];
      if (args.pool) {
        requirePoolScope(ctx.scope, args.pool, `the routing health of Pool ${args.pool}`);
        if (!(await store.pools.get(args.pool))) {
          throw notFound(`pool ${args.pool} does not exist; see codex_pooler_list_pools`, "pool_not_found");
        }
        names = [args.pool];
      } else {
        names = (await store.pools.list())
          .map((p) => p.name)
          .filter((name) => hasPool(ctx.scope, name))
          .sort();
      }
      const pools = await Promise.all(
        names.slice(0, MAX_POOLS).map((name) => routingHealth(ctx.gw, name, now)),
      );
      const worst = pools.some((p) => p.status === "unavailable")
        ? "unavailable"
        : pools.some((p) => p.status === "degraded")
          ? "degraded"
          : "healthy";
      const lines = pools.map((p) => `${p.pool}: ${p.status}`).join(", ");
      return {
        summary: pools.length ? `Routing ${worst} (${lines}).` : "No Pools exist yet.",
        data: {
          status: pools.length ? worst : "no_pools",
          checkedAt: new Date(now).toISOString(),
          pools,
          poolsOmitted: Math.max(0, names.length - MAX_POOLS),
        },
      };
    },
  });
}
