// Upstream accounts by label and synthetic id: status, plan, quota windows and resets, last error.

import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { z } from "zod";
import { ACCOUNT_STATUSES } from "../../admin-contract/enums.ts";
import { hasPool, isOwner, requirePoolScope } from "../../core/access/scope.ts";
import type { Account } from "../../core/model.ts";
import { poolName } from "../query.ts";
import { registerTool, type ToolContext } from "../tool.ts";
import { mcpAccountView } from "../views.ts";

/** Highest used percent over windows that have not reset yet (the last evidence, however old). */
function maxUsed(account: Account, now: number): number | undefined {
  const windows = [account.quota?.primary, account.quota?.secondary].filter(
    (w) => w && !(w.resetAt !== undefined && w.resetAt * 1000 <= now),
  );
  return windows.length ? Math.max(...windows.map((w) => w?.usedPercent ?? 0)) : undefined;
}

function soonestReset(account: Account, now: number): number {
  const resets = [account.quota?.primary?.resetAt, account.quota?.secondary?.resetAt].filter(
    (r): r is number => r !== undefined && r * 1000 > now,
  );
  return resets.length ? Math.min(...resets) : Number.MAX_SAFE_INTEGER;
}

export function registerAccountTools(server: McpServer, ctx: ToolContext): void {
  registerTool(server, ctx, {
    name: "codex_pooler_list_accounts",
    title: "List upstream accounts",
    description:
      "Use when: asked which ChatGPT accounts are healthy, paused, need a new login, or are close to a quota limit. " +
      "Returns: the admin API's account record without the email: synthetic id (acc_…), label, Pools, status, planType, quota (primary/secondary used percent, window minutes and reset time, exhausted, exhaustedUntil, observedAt), unavailable models, last error code and activity times. " +
      "Never returns: emails, ChatGPT account or user ids, tokens or auth.json content. " +
      "Filters/limits: pool, status, plan, `query` (part of label or id), `minUsedPercent` (any current window at or above); " +
      "sort by label, most used first, or soonest reset; at most `limit` (1-100, default 50) from `offset`.",
    input: z.strictObject({
      pool: poolName.optional(),
      status: z.enum(ACCOUNT_STATUSES).optional(),
      plan: z
        .string()
        .regex(/^[a-z0-9_-]{1,32}$/)
        .optional()
        .describe("Plan type such as plus, pro, team"),
      query: z.string().min(1).max(160).optional().describe("Part of an account label or id"),
      minUsedPercent: z.number().min(0).max(100).optional(),
      sort: z.enum(["label", "most_used", "soonest_reset"]).default("label"),
      limit: z.number().int().min(1).max(100).default(50),
      offset: z.number().int().min(0).max(10_000).default(0),
    }),
    async run(args) {
      const { store, clock } = ctx.gw.ctx;
      const now = clock.now();
      if (args.pool) requirePoolScope(ctx.scope, args.pool, `the accounts of Pool ${args.pool}`);
      const listed = args.pool ? await store.accounts.listByPool(args.pool) : await store.accounts.list();
      const all = listed.filter((a) => a.pools.some((p) => hasPool(ctx.scope, p)));
      const query = args.query?.toLowerCase();
      const matching = all.filter(
        (a) =>
          (!args.status || a.status === args.status) &&
          (!args.plan || (a.planType ?? a.quota?.planType) === args.plan) &&
          (!query || a.label.toLowerCase().includes(query) || a.id.includes(query)) &&
          (args.minUsedPercent === undefined || (maxUsed(a, now) ?? -1) >= args.minUsedPercent),
      );
      const order: Record<typeof args.sort, (a: Account, b: Account) => number> = {
        label: (a, b) => a.label.localeCompare(b.label),
        most_used: (a, b) => (maxUsed(b, now) ?? -1) - (maxUsed(a, now) ?? -1),
        soonest_reset: (a, b) => soonestReset(a, now) - soonestReset(b, now),
      };
      matching.sort(order[args.sort]);
      const page = matching.slice(args.offset, args.offset + args.limit);
      const next = args.offset + page.length;
      return {
        summary: `${matching.length} account(s) match; showing ${page.length}.`,
        data: {
          accounts: page.map((a) => {
            const view = mcpAccountView(a, now);
            return isOwner(ctx.scope)
              ? view
              : { ...view, pools: a.pools.filter((p) => hasPool(ctx.scope, p)) };
          }),
          total: matching.length,
          nextOffset: next < matching.length ? next : null,
          observedAt: new Date(now).toISOString(),
        },
      };
    },
  });
}
