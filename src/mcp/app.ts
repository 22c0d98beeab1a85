// A Hono app holding only the MCP route and the health probes, for hosts that serve /mcp on its own
// (the dedicated MCP Lambda). The full gateway app mounts the same route through `createApp`.
import type { Gateway } from "../core/gateway.ts";
import { baseApp } from "../http/app-base.ts";
import { healthRoutes } from "../http/routes/health.ts";
import { type McpRouteOptions, mcpRoutes } from "../http/routes/mcp.ts";

export function createMcpApp(gw: Gateway, options: McpRouteOptions & { isDraining?: () => boolean }) {
  const app = baseApp(gw, "no such route; this host serves only /mcp");
  app.route("/", healthRoutes(gw, options.isDraining ?? (() => false)));
  app.route("/", mcpRoutes(gw, options));
  return app;
}
