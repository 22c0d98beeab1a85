// Usage and quota summary of one Pool: request and token totals over a window plus quota headroom.
import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { z } from "zod";
import { requirePoolScope } from "../../core/access/scope.ts";
import { notFound } from "../../core/errors.ts";
import { quotaSummary, statusCounts } from "../pool-health.ts";
import { poolName, resolveWindow, timeRange } from "../query.ts";
import { registerTool, type ToolContext } from "../tool.ts";
import { summarizeUsage } from "../usage.ts";

export function registerUsageTools(server: McpServer, ctx: ToolContext): void {
  registerTool(server, ctx, {
    name: "codex_pooler_get_pool_usage_summary",
    title: "Pool usage and quota summary",
    description:
      "Use when: asked how busy a Pool is, how much capacity is left, or which accounts are close to their limits. " +
      "Returns: requests by status class, top error codes and models, token sums over the window; quota headroom per window (mean and max used percent, soonest reset), accounts at or above `nearLimitPercent`, and exhausted accounts with their reset. " +
      "Never returns: prompts, bodies, keys, tokens, emails or upstream account ids. " +
      "Filters/limits: one Pool; window from/to or lastHours (default last 24 hours, at most 31 days); usage is counted from the daily usage rollups, so every whole UTC day the window touches is counted (`countedDays`).",
    input: z.strictObject({
      pool: poolName.describe("Pool name, see codex_pooler_list_pools"),
      ...timeRange,
      nearLimitPercent: z.number().min(1).max(100).default(80),
    }),
    async run(args) {
      const { store, clock } = ctx.gw.ctx;
      const now = clock.now();
      const window = resolveWindow(args, now) as { from: number; to: number };
      requirePoolScope(ctx.scope, args.pool, `the usage of Pool ${args.pool}`);
      if (!(await store.pools.get(args.pool))) {
        throw notFound(`pool ${args.pool} does not exist; see codex_pooler_list_pools`, "pool_not_found");
      }
      const [accounts, usage] = await Promise.all([
        store.accounts.listByPool(args.pool),
        summarizeUsage(ctx.gw, { pool: args.pool }, window),
      ]);
      const quota = quotaSummary(accounts, now, args.nearLimitPercent);
      return {
        summary:
          `Pool ${args.pool}: ${usage.requests} request(s) and ${usage.tokenUsage.totalTokens} tokens in the window; ` +
          `${quota.nearLimit.length} account window(s) at or above ${args.nearLimitPercent}% and ` +
          `${quota.exhausted.length} exhausted account(s).`,
        data: {
          pool: args.pool,
          usage,
          quota: { accounts: accounts.length, accountsByStatus: statusCounts(accounts), ...quota },
        },
      };
    },
  });
}
