// The operator MCP server: read-only tools over the gateway's metadata. One server per HTTP request
// (stateless Streamable HTTP), so per-request facts (the caller's token, the public origin) are plain
// constructor inputs.
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import type { Scope } from "../core/access/scope.ts";
import type { Gateway } from "../core/gateway.ts";
import type { ToolContext } from "./tool.ts";
import { registerAccountTools } from "./tools/accounts.ts";
import { registerAlertTools } from "./tools/alerts.ts";
import { registerAuditTools } from "./tools/audit.ts";
import { registerInstanceTools } from "./tools/instance.ts";
import { registerInviteTools } from "./tools/invites.ts";
import { registerKeyTools } from "./tools/keys.ts";
import { registerLogTools } from "./tools/logs.ts";
import { registerPoolTools } from "./tools/pools.ts";
import { registerRoutingTools } from "./tools/routing.ts";
import { registerSetupTools } from "./tools/setup.ts";
import { registerUsageTools } from "./tools/usage.ts";

/** Largest number of array elements plus object members one tools/call may carry. */
const MAX_TOOL_INPUT_ELEMENTS = 64;

const INSTRUCTIONS =
  "Read-only operator view of a Codex Pooler gateway: Pools, upstream accounts (by label and acc_ id), " +
  "Pool API key metadata, request logs, usage, quota, routing health and audit events. Answers hold metadata " +
  "only: never prompts, bodies, keys, tokens or emails. Start with codex_pooler_get_instance_health (it also " +
  "gives the server time for time windows) or codex_pooler_list_pools.";

export interface McpServerOptions {
  version: string;
  /** Public origin of the gateway, used in setup help. */
  baseUrl: string;
  /** Id of the authenticated MCP token. */
  tokenId: string;
  /** The token's scope: a Pool-scoped token sees only its Pools. */
  scope: Scope;
}

export function createMcpServer(gw: Gateway, options: McpServerOptions): McpServer {
  const server = new McpServer(
    { name: "codex-pooler", title: "Codex Pooler (read-only)", version: options.version },
    { instructions: INSTRUCTIONS, maxToolInputElements: MAX_TOOL_INPUT_ELEMENTS },
  );
  const ctx: ToolContext = { gw, ...options, toolNames: [] };
  registerInstanceTools(server, ctx);
  registerPoolTools(server, ctx);
  registerAccountTools(server, ctx);
  registerKeyTools(server, ctx);
  registerLogTools(server, ctx);
  registerUsageTools(server, ctx);
  registerRoutingTools(server, ctx);
  registerAlertTools(server, ctx);
  registerAuditTools(server, ctx);
  registerInviteTools(server, ctx);
  registerSetupTools(server, ctx);
  return server;
}
