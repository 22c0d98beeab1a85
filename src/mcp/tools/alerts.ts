// Alert incidents as the evaluator recorded them (src/core/alerts/): rule kind, Pool, state,
// summary and safe evidence. Metadata only: no channel URL, signing secret or payload.
import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { z } from "zod";
import { INCIDENT_STATES } from "../../admin-contract/enums.ts";
import { incidentView } from "../../admin-views/alerts.ts";
import { hasPool, requirePoolScope } from "../../core/access/scope.ts";
import { poolName } from "../query.ts";
import { registerTool, type ToolContext } from "../tool.ts";

export function registerAlertTools(server: McpServer, ctx: ToolContext): void {
  registerTool(server, ctx, {
    name: "codex_pooler_list_alert_incidents",
    title: "List alert incidents",
    description:
      "Use when: asked about alerts that fired, are open, or were resolved (accounts needing a new login, failing refreshes, quota thresholds, Pools without usable accounts, error-rate spikes). " +
      "Returns: incidents newest first: rule kind, Pool, severity, state (open/acknowledged/resolved), a one-line summary, safe evidence (counts, percents, account label), occurrence count, first seen/last seen/acknowledged/resolved times. " +
      "Never returns: webhook URLs, signing secrets, delivery payloads, emails or tokens. " +
      "Filters/limits: pool, state; limit 1-100 (default 25); cursor from the previous answer.",
    input: z.strictObject({
      pool: poolName.optional(),
      state: z.enum(INCIDENT_STATES).optional(),
      limit: z.number().int().min(1).max(100).default(25),
      cursor: z.string().min(1).max(2048).optional(),
    }),
    async run(args) {
      if (args.pool) requirePoolScope(ctx.scope, args.pool, `the incidents of Pool ${args.pool}`);
      const listed = await ctx.gw.ctx.store.alerts.incidents.list({
        limit: args.limit,
        cursor: args.cursor,
        pool: args.pool,
        state: args.state,
      });
      // A Pool-scoped token's page may come out short; the cursor still walks on.
      const page = { ...listed, items: listed.items.filter((i) => hasPool(ctx.scope, i.pool)) };
      const open = page.items.filter((i) => i.state !== "resolved").length;
      return {
        summary:
          page.items.length === 0
            ? "No alert incidents match."
            : `${page.items.length} incident(s), ${open} not resolved${page.nextCursor ? "; more with the cursor" : ""}.`,
        data: {
          available: true,
          incidents: page.items.map(incidentView),
          nextCursor: page.nextCursor ?? null,
        },
      };
    },
  });
}
