// Invites (docs/invites.md): who was invited to lend an account to which Pool, and what became of it.
// Metadata only: never the link, its token or the invitee's email.
import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { z } from "zod";
import { hasPool, requirePoolScope } from "../../core/access/scope.ts";
import { INVITE_STATUSES, inviteStatus } from "../../core/accounts/invites.ts";
import { poolName } from "../query.ts";
import { registerTool, type ToolContext } from "../tool.ts";
import { mcpInviteView } from "../views.ts";

export function registerInviteTools(server: McpServer, ctx: ToolContext): void {
  registerTool(server, ctx, {
    name: "codex_pooler_list_invites",
    title: "List invites",
    description:
      "Use when: checking whether a teammate used, or still can use, an invite to lend a ChatGPT account to a Pool. " +
      "Returns: newest-first invites with Pool, status (active, accepted, revoked, expired), who created it, when it expires or was accepted, and the account it added. " +
      "Never returns: the invite link or its token, or the invitee's email. " +
      "Filters/limits: pool, status; limit 1-100 (default 25).",
    input: z.strictObject({
      pool: poolName.optional(),
      status: z.enum(INVITE_STATUSES).optional(),
      limit: z.number().int().min(1).max(100).default(25),
    }),
    async run(args) {
      if (args.pool) requirePoolScope(ctx.scope, args.pool, `the invites of Pool ${args.pool}`);
      const now = ctx.gw.ctx.clock.now();
      const matching = (await ctx.gw.ctx.store.invites.list()).filter(
        (i) =>
          hasPool(ctx.scope, i.pool) &&
          (!args.pool || i.pool === args.pool) &&
          (!args.status || inviteStatus(i, now) === args.status),
      );
      const page = matching.slice(0, args.limit).map((i) => mcpInviteView(i, now));
      return {
        summary: `${matching.length} invite(s) match; showing ${page.length}.`,
        data: { invites: page, total: matching.length },
      };
    },
  });
}
