// Pool API key metadata (public prefix, label, status, limits) and per-key usage from the daily rollups.

import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { z } from "zod";
import { CREDENTIAL_STATUSES } from "../../admin-contract/enums.ts";
import { keyView } from "../../admin-views/records.ts";
import { hasPool, requirePoolScope } from "../../core/access/scope.ts";
import { notFound } from "../../core/errors.ts";

import { keyId, poolName, resolveWindow, timeRange } from "../query.ts";
import { registerTool, type ToolContext } from "../tool.ts";
import { summarizeUsage } from "../usage.ts";

export function registerKeyTools(server: McpServer, ctx: ToolContext): void {
  const { store } = ctx.gw.ctx;

  registerTool(server, ctx, {
    name: "codex_pooler_list_pool_api_keys",
    title: "List Pool API keys",
    description:
      "Use when: you need which keys exist for a Pool, their status, limits or when they were last used. " +
      "Returns: id, public prefix (sk-cxp-<id>), Pool, label, status, policy limits, created/last used/revoked times. " +
      "Never returns: the secret part of a key or its hash. " +
      "Filters/limits: pool, status, `query` (part of label or id); at most `limit` (1-100, default 50) from `offset`, oldest first.",
    input: z.strictObject({
      pool: poolName.optional(),
      status: z.enum(CREDENTIAL_STATUSES).optional(),
      query: z.string().min(1).max(160).optional(),
      limit: z.number().int().min(1).max(100).default(50),
      offset: z.number().int().min(0).max(10_000).default(0),
    }),
    async run(args) {
      if (args.pool) requirePoolScope(ctx.scope, args.pool, `the keys of Pool ${args.pool}`);
      const listed = await store.credentials.list("pool_key", { pool: args.pool });
      const keys = listed.filter((k) => k.pool !== undefined && hasPool(ctx.scope, k.pool));
      const query = args.query?.toLowerCase();
      const matching = keys
        .filter(
          (k) =>
            (!args.status || k.status === args.status) &&
            (!query || k.id.includes(query) || (k.label ?? "").toLowerCase().includes(query)),
        )
        .sort((a, b) => a.createdAt - b.createdAt);
      const page = matching.slice(args.offset, args.offset + args.limit);
      const next = args.offset + page.length;
      return {
        summary: `${matching.length} key(s) match; showing ${page.length}.`,
        data: {
          keys: page.map(keyView),
          total: matching.length,
          nextOffset: next < matching.length ? next : null,
        },
      };
    },
  });

  registerTool(server, ctx, {
    name: "codex_pooler_get_key_usage",
    title: "Usage of one Pool API key",
    description:
      "Use when: asked how much a key was used, or why a key got errors (for example 429s) in a time window. " +
      "Returns: the key's metadata, request counts by status class, top error codes and models, and token sums over the window. " +
      "Never returns: prompts, bodies, the key's secret or per-request content. " +
      "Filters/limits: window from/to or lastHours (default last 24 hours, at most 31 days); counted from the daily usage rollups, so every whole UTC day the window touches is counted (`countedDays`).",
    input: z.strictObject({
      key: keyId.describe("Key id (12 hex characters) or its sk-cxp-<id> prefix"),
      ...timeRange,
    }),
    async run(args) {
      const now = ctx.gw.ctx.clock.now();
      const key = await store.credentials.get("pool_key", args.key);
      if (!key) {
        throw notFound(
          `key ${args.key} does not exist; see codex_pooler_list_pool_api_keys`,
          "pool_key_not_found",
        );
      }
      requirePoolScope(ctx.scope, key.pool ?? "(none)", `key ${key.id}`);
      const window = resolveWindow(args, now) as { from: number; to: number };
      const usage = await summarizeUsage(ctx.gw, { keyId: key.id }, window);
      return {
        summary:
          `Key ${key.id} (${key.label ?? "no label"}): ${usage.requests} request(s), ` +
          `${usage.byStatusClass["4xx"]} 4xx, ${usage.byStatusClass["5xx"]} 5xx, ` +
          `${usage.tokenUsage.totalTokens} tokens in the window.`,
        data: { key: keyView(key), ...usage },
      };
    },
  });
}
