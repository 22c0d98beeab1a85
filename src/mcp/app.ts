// A Hono app holding only the MCP route and the health probes, for hosts that serve /mcp on its own
// (the dedicated MCP Lambda). The full gateway app mounts the same route through `createApp`.
import { Hono } from "hono";
import { GatewayError } from "../core/errors.ts";
import type { Gateway } from "../core/gateway.ts";
import { requestId } from "../core/ids.ts";
import { healthRoutes } from "../http/routes/health.ts";
import { type McpRouteOptions, mcpRoutes } from "../http/routes/mcp.ts";
import type { AppEnv } from "../http/types.ts";

export function createMcpApp(gw: Gateway, options: McpRouteOptions & { isDraining?: () => boolean }) {
  const app = new Hono<AppEnv>();
  app.use("*", async (c, next) => {
    c.set("requestId", requestId());
    c.set("startedAt", gw.ctx.clock.now());
    await next();
  });
  app.route("/", healthRoutes(gw, options.isDraining ?? (() => false)));
  app.route("/", mcpRoutes(gw, options));
  app.notFound(() =>
    new GatewayError(404, "not_found", "no such route; this host serves only /mcp").toResponse(),
  );
  app.onError((error, c) => {
    if (error instanceof GatewayError) return error.toResponse();
    gw.ctx.logger.error("unhandled error", {
      route: c.req.routePath,
      method: c.req.method,
      error: error.name,
      detail: error.message.slice(0, 200),
    });
    return new GatewayError(500, "internal_error", "internal error; see the gateway log").toResponse();
  });
  return app;
}
