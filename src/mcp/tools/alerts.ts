// Alert incidents. The alerting feature is not built yet: the tool exists so clients can rely on a
// stable name and schema, and it says plainly that nothing is recorded.
import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { z } from "zod";
import { poolName } from "../query.ts";
import { registerTool, type ToolContext } from "../tool.ts";

export function registerAlertTools(server: McpServer, ctx: ToolContext): void {
  registerTool(server, ctx, {
    name: "codex_pooler_list_alert_incidents",
    title: "List alert incidents",
    description:
      "Use when: asked about alerts that fired or are open. " +
      "Returns: incidents (rule kind, Pool, status, opened/resolved times) newest first. This gateway does not record alert incidents yet, so the list is always empty and `available` is false; use codex_pooler_get_routing_health and codex_pooler_search_request_logs instead. " +
      "Never returns: webhook secrets or payloads. " +
      "Filters/limits: pool, status (open/resolved); limit 1-100 (default 25).",
    input: z.strictObject({
      pool: poolName.optional(),
      status: z.enum(["open", "resolved"]).optional(),
      limit: z.number().int().min(1).max(100).default(25),
      cursor: z.string().min(1).max(2048).optional(),
    }),
    async run() {
      return {
        summary:
          "No alert incidents: alerting is not available on this gateway yet. Check codex_pooler_get_routing_health for current problems.",
        data: {
          available: false,
          reason: "alert incidents are not recorded by this gateway version",
          incidents: [],
          nextCursor: null,
        },
      };
    },
  });
}
