// Pools: the list with account and key counts, and one Pool's settings, members and headroom.
import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { z } from "zod";
import type { McpPoolSummary } from "../../admin-contract/responses.ts";
import { poolView } from "../../admin-views/records.ts";
import { hasPool, requirePoolScope } from "../../core/access/scope.ts";
import { notFound } from "../../core/errors.ts";
import type { Account, Credential, Pool } from "../../core/model.ts";
import { normalizePool } from "../../core/pools/pools.ts";
import { isServing, quotaSummary, routingHealth, statusCounts } from "../pool-health.ts";
import { poolName } from "../query.ts";
import { registerTool, type ToolContext } from "../tool.ts";

function keyCounts(keys: Credential[]) {
  const counts = { active: 0, paused: 0, revoked: 0 };
  for (const k of keys) counts[k.status]++;
  return counts;
}

/** The admin API's Pool record: accounts serving it and keys not revoked. */
const poolRecord = (pool: Pool, accounts: Account[], keys: Credential[]) =>
  poolView(pool, {
    accountCount: accounts.length,
    keyCount: keys.filter((k) => k.status !== "revoked").length,
  });

export function registerPoolTools(server: McpServer, ctx: ToolContext): void {
  const { store } = ctx.gw.ctx;

  registerTool(server, ctx, {
    name: "codex_pooler_list_pools",
    title: "List Pools",
    description:
      "Use when: you need the Pools this gateway serves, or a Pool name for other tools. " +
      "Returns: the admin API's Pool record (strategy, ring size, accountCount, keyCount, …) plus servingAccounts, accountsByStatus and keysByStatus. " +
      "Never returns: keys, tokens, emails or upstream account ids. " +
      "Filters/limits: `query` matches part of the name; at most `limit` (1-100, default 50) Pools from `offset`.",
    input: z.strictObject({
      query: z.string().min(1).max(63).optional().describe("Part of a Pool name"),
      limit: z.number().int().min(1).max(100).default(50),
      offset: z.number().int().min(0).max(10_000).default(0),
    }),
    async run(args) {
      const now = ctx.gw.ctx.clock.now();
      const [pools, accounts, keys] = await Promise.all([
        store.pools.list(),
        store.accounts.list(),
        store.credentials.list("pool_key"),
      ]);
      const matching = pools
        .map(normalizePool)
        .filter(
          (p) => hasPool(ctx.scope, p.name) && (!args.query || p.name.includes(args.query.toLowerCase())),
        )
        .sort((a, b) => a.name.localeCompare(b.name));
      const page = matching.slice(args.offset, args.offset + args.limit).map((pool) => {
        const members = accounts.filter((a) => a.pools.includes(pool.name));
        const poolKeys = keys.filter((k) => k.pool === pool.name);
        const summary: z.output<typeof McpPoolSummary> = {
          ...poolRecord(pool, members, poolKeys),
          servingAccounts: members.filter((a) => isServing(a, now)).length,
          accountsByStatus: statusCounts(members),
          keysByStatus: keyCounts(poolKeys),
        };
        return summary;
      });
      const next = args.offset + page.length;
      return {
        summary: `${matching.length} Pool(s) match; showing ${page.length}.`,
        data: { pools: page, total: matching.length, nextOffset: next < matching.length ? next : null },
      };
    },
  });

  registerTool(server, ctx, {
    name: "codex_pooler_get_pool",
    title: "Get one Pool",
    description:
      "Use when: you need one Pool's settings, its accounts (labels and status), its keys' counts, quota headroom and routing status. " +
      "Returns: the Pool record, member accounts, keysByStatus, quota summary (mean/max used percent per window, accounts near their limit or exhausted) and a health status. " +
      "Never returns: keys, tokens, emails or upstream account ids. " +
      "Filters/limits: one Pool by exact name; member lists are capped at 100.",
    input: z.strictObject({ pool: poolName.describe("Pool name, see codex_pooler_list_pools") }),
    async run(args) {
      const now = ctx.gw.ctx.clock.now();
      requirePoolScope(ctx.scope, args.pool, `Pool ${args.pool}`);
      const stored = await store.pools.get(args.pool);
      if (!stored) {
        throw notFound(`pool ${args.pool} does not exist; see codex_pooler_list_pools`, "pool_not_found");
      }
      const [accounts, keys, health] = await Promise.all([
        store.accounts.listByPool(args.pool),
        store.credentials.list("pool_key", { pool: args.pool }),
        routingHealth(ctx.gw, args.pool, now),
      ]);
      accounts.sort((a, b) => a.createdAt - b.createdAt);
      return {
        summary:
          `Pool ${args.pool}: ${accounts.length} account(s), ${health.servingAccounts} serving now, ` +
          `routing ${health.status}.`,
        data: {
          pool: poolRecord(normalizePool(stored), accounts, keys),
          health: {
            status: health.status,
            servingAccounts: health.servingAccounts,
            openCircuits: health.openCircuits.length,
            demotions: health.demotions.length,
            needsReauth: health.needsReauth.length,
            refreshFailing: health.refreshFailing.length,
          },
          accounts: accounts.slice(0, 100).map((a) => ({
            id: a.id,
            label: a.label,
            status: a.status,
            planType: a.planType ?? a.quota?.planType ?? null,
            serving: isServing(a, now),
          })),
          keysByStatus: keyCounts(keys),
          quota: quotaSummary(accounts, now),
        },
      };
    },
  });
}
