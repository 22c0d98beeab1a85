// Audit events (operator actions) newest first, filtered and cursor-paged.
import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { z } from "zod";
import { auditView } from "../../admin-views/records.ts";
import { requireOwner } from "../../core/access/scope.ts";
import type { AuditEvent } from "../../core/model.ts";
import { cursor, resolveWindow, scanNewestFirst, timeRange } from "../query.ts";
import { registerTool, type ToolContext } from "../tool.ts";

const AUDIT_MAX_SCAN = 2_000;
const word = z.string().regex(/^[A-Za-z0-9_.:-]{1,96}$/);

export function registerAuditTools(server: McpServer, ctx: ToolContext): void {
  registerTool(server, ctx, {
    name: "codex_pooler_list_audit_events",
    title: "List audit events",
    description:
      "Use when: asked who changed what (Pools, accounts, keys, MCP tokens) and when. " +
      "Returns: newest-first events with time, actor (admin:<token id>, system, …), action such as api_key.revoke, target type and id, outcome and metadata details (labels, counts). " +
      "Never returns: secrets, tokens or request bodies (none are recorded). " +
      `Filters/limits: time window, action (exact, or a prefix ending in '.' such as 'api_key.'), actor, targetType, targetId, outcome; limit 1-100 (default 25); page on with nextCursor; one call examines at most ${AUDIT_MAX_SCAN} events.`,
    input: z.strictObject({
      ...timeRange,
      action: word.optional(),
      actor: word.optional(),
      targetType: word.optional(),
      targetId: word.optional(),
      outcome: z.enum(["success", "failure"]).optional(),
      limit: z.number().int().min(1).max(100).default(25),
      cursor: cursor.optional(),
    }),
    async run(args) {
      const { store, clock } = ctx.gw.ctx;
      requireOwner(ctx.scope, "the audit trail");
      const window = resolveWindow(args, clock.now(), undefined);
      const action = args.action;
      const match = (e: AuditEvent) =>
        (!window || e.at <= window.to) &&
        (!action || (action.endsWith(".") ? e.action.startsWith(action) : e.action === action)) &&
        (!args.actor || e.actor === args.actor) &&
        (!args.targetType || e.targetType === args.targetType) &&
        (!args.targetId || e.targetId === args.targetId) &&
        (!args.outcome || e.outcome === args.outcome);
      const result = await scanNewestFirst<AuditEvent>({
        fetch: (c, limit) => store.audit.list({ limit, cursor: c }),
        cursor: args.cursor,
        limit: args.limit,
        maxScan: AUDIT_MAX_SCAN,
        match,
        done: window ? (e) => e.at < window.from : undefined,
      });
      const more = result.nextCursor ? " More may follow: pass nextCursor." : "";
      return {
        summary: `${result.items.length} audit event(s) found.${more}`,
        data: {
          events: result.items.map(auditView),
          nextCursor: result.nextCursor ?? null,
          scanned: result.scanned,
          scanLimitReached: result.scanLimitReached,
        },
      };
    },
  });
}
