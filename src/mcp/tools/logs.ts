// Request-log search (newest first, filtered, cursor-paged, scan-bounded) and one log's detail.
import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { z } from "zod";
import { requestLogView, statusClassOf } from "../../admin-views/records.ts";
import { isOwner, poolFilter, requirePoolScope } from "../../core/access/scope.ts";
import { notFound } from "../../core/errors.ts";
import type { RequestLog } from "../../core/model.ts";
import {
  accountRef,
  cursor,
  errorCode,
  keyId,
  model,
  poolName,
  resolveWindow,
  scanNewestFirst,
  statusClass,
  timeRange,
} from "../query.ts";
import { registerTool, type ToolContext } from "../tool.ts";

export const LOG_SEARCH_MAX_SCAN = 2_000;

export function registerLogTools(server: McpServer, ctx: ToolContext): void {
  const { store } = ctx.gw.ctx;

  registerTool(server, ctx, {
    name: "codex_pooler_search_request_logs",
    title: "Search request logs",
    description:
      "Use when: investigating what happened to requests, e.g. why a key got 429s this morning or which model fails. " +
      "Returns: newest-first rows with time, Pool, key id, account id and label, route, transport, model, status and status class, error code, attempts, timings and token counts. " +
      "Never returns: prompts, request or response bodies, headers, keys or tokens (none are stored). " +
      `Filters/limits: pool, key, account, time window (from/to or lastHours), statusClass (2xx/3xx/4xx/5xx), status, model, errorCode; limit 1-100 (default 25); page on with nextCursor. One call examines at most ${LOG_SEARCH_MAX_SCAN} rows; when it stops early, nextCursor continues the search.`,
    input: z.strictObject({
      pool: poolName.optional(),
      key: keyId.optional().describe("Key id (12 hex characters) or its sk-cxp-<id> prefix"),
      account: accountRef.optional(),
      ...timeRange,
      statusClass: statusClass.optional(),
      status: z.number().int().min(100).max(599).optional(),
      model: model.optional(),
      errorCode: errorCode.optional(),
      limit: z.number().int().min(1).max(100).default(25),
      cursor: cursor.optional(),
    }),
    async run(args) {
      const now = ctx.gw.ctx.clock.now();
      if (args.pool) requirePoolScope(ctx.scope, args.pool, `the request logs of Pool ${args.pool}`);
      const pools = args.pool ? undefined : poolFilter(ctx.scope);
      const window = resolveWindow(args, now, undefined);
      const match = (log: RequestLog) =>
        (!window || log.at <= window.to) &&
        (!args.account || log.accountId === args.account) &&
        (!args.statusClass || statusClassOf(log.status) === args.statusClass) &&
        (args.status === undefined || log.status === args.status) &&
        (!args.model || log.model === args.model) &&
        (!args.errorCode || log.errorCode === args.errorCode);
      const result = await scanNewestFirst<RequestLog>({
        fetch: (c, limit) =>
          store.requestLogs.list({ limit, cursor: c, pool: args.pool, pools, keyId: args.key }),
        cursor: args.cursor,
        limit: args.limit,
        maxScan: LOG_SEARCH_MAX_SCAN,
        match,
        done: window ? (log) => log.at < window.from : undefined,
      });
      const more = result.nextCursor ? " More may follow: pass nextCursor." : "";
      return {
        summary: `${result.items.length} request log(s) found after examining ${result.scanned} row(s).${more}`,
        data: {
          logs: result.items.map(requestLogView),
          nextCursor: result.nextCursor ?? null,
          scanned: result.scanned,
          scanLimitReached: result.scanLimitReached,
        },
      };
    },
  });

  registerTool(server, ctx, {
    name: "codex_pooler_get_request_log",
    title: "Get one request log",
    description:
      "Use when: you have a log id from a search and need its full metadata. " +
      "Returns: the same fields as the search plus the key's label and the account's current status. " +
      "Never returns: prompts, bodies, headers, keys or tokens. " +
      "Filters/limits: one id (log_…); logs expire after the retention period.",
    input: z.strictObject({
      id: z
        .string()
        .regex(/^log_[0-9a-z]{9}[0-9a-f]{12}$/, "a request log id such as log_0mbx4k2a0a1b2c3d4e5f6")
        .describe("Request log id"),
    }),
    async run(args) {
      const log = await store.requestLogs.get(args.id);
      if (!log) {
        throw notFound(
          `request log ${args.id} does not exist or has expired; see codex_pooler_search_request_logs`,
          "request_log_not_found",
        );
      }
      // A row with no Pool (refused before a Pool was known) is for the owner view only.
      if (!isOwner(ctx.scope)) requirePoolScope(ctx.scope, log.pool ?? "(none)", `request log ${log.id}`);
      const [key, account] = await Promise.all([
        log.keyId ? store.credentials.get("pool_key", log.keyId) : undefined,
        log.accountId ? store.accounts.get(log.accountId) : undefined,
      ]);
      return {
        summary: `${log.method} ${log.route} → ${log.status}${log.errorCode ? ` (${log.errorCode})` : ""} at ${new Date(log.at).toISOString()}.`,
        data: {
          log: requestLogView(log),
          key: key ? { id: key.id, label: key.label ?? null, status: key.status } : null,
          account: account ? { id: account.id, label: account.label, status: account.status } : null,
        },
      };
    },
  });
}
