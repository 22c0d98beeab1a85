// Instance health and version: what an agent checks first when everything seems broken.
import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { LATEST_PROTOCOL_VERSION, SUPPORTED_PROTOCOL_VERSIONS } from "@modelcontextprotocol/sdk/types.js";
import { z } from "zod";
import { hasPool } from "../../core/access/scope.ts";
import { isServing, statusCounts } from "../pool-health.ts";
import { registerTool, type ToolContext } from "../tool.ts";

const PING_TIMEOUT_MS = 2_000;

async function storeReachable(ctx: ToolContext): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      ctx.gw.ctx.store.ping(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error("timeout")), PING_TIMEOUT_MS);
      }),
    ]);
    return true;
  } catch {
    return false;
  } finally {
    clearTimeout(timer);
  }
}

export function registerInstanceTools(server: McpServer, ctx: ToolContext): void {
  registerTool(server, ctx, {
    name: "codex_pooler_get_instance_health",
    title: "Instance health and version",
    description:
      "Use when: checking that the gateway itself is up, which version runs, or the server's current time (for time windows). " +
      "Returns: status, gateway version, server time, whether the store answers, counts of Pools, accounts by status, serving accounts and active keys, MCP protocol versions and the calling MCP token's id. " +
      "Never returns: configuration secrets, tokens or emails. " +
      "Filters/limits: none.",
    input: z.strictObject({}),
    async run() {
      const { store, clock } = ctx.gw.ctx;
      const now = clock.now();
      const reachable = await storeReachable(ctx);
      let counts: Record<string, unknown> | null = null;
      if (reachable) {
        const [allPools, allAccounts, allKeys] = await Promise.all([
          store.pools.list(),
          store.accounts.list(),
          store.credentials.list("pool_key"),
        ]);
        // A Pool-scoped token counts only its Pools.
        const pools = allPools.filter((p) => hasPool(ctx.scope, p.name));
        const accounts = allAccounts.filter((a) => a.pools.some((p) => hasPool(ctx.scope, p)));
        const keys = allKeys.filter((k) => k.pool !== undefined && hasPool(ctx.scope, k.pool));
        counts = {
          pools: pools.length,
          accounts: accounts.length,
          accountsByStatus: statusCounts(accounts),
          servingAccounts: accounts.filter((a) => isServing(a, now)).length,
          activeKeys: keys.filter((k) => k.status === "active").length,
        };
      }
      const status = reachable ? "ok" : "store_unreachable";
      return {
        summary: `Codex Pooler ${ctx.version}: ${status === "ok" ? "up, store reachable" : "store unreachable"}.`,
        data: {
          status,
          version: ctx.version,
          serverTime: new Date(now).toISOString(),
          store: { reachable },
          counts,
          mcp: {
            latestProtocolVersion: LATEST_PROTOCOL_VERSION,
            supportedProtocolVersions: SUPPORTED_PROTOCOL_VERSIONS,
            tools: ctx.toolNames.length,
            tokenId: ctx.tokenId,
            scope: { role: ctx.scope.role, pools: ctx.scope.pools },
          },
        },
      };
    },
  });
}
