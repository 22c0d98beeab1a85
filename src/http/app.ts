// The one HTTP surface, built from web-standard Request/Response so any host (Node locally, Lambda
// response streaming on AWS) can serve it.
import { Hono } from "hono";
import { consoleRoutes } from "../console/routes.ts";
import { GatewayError } from "../core/errors.ts";
import type { Gateway } from "../core/gateway.ts";
import { requestId } from "../core/ids.ts";
import type { AdminAuthenticator } from "./middleware/admin-auth.ts";
import { adminRoutes } from "./routes/admin/index.ts";
import { codexRoutes } from "./routes/codex.ts";
import { healthRoutes } from "./routes/health.ts";
import { mcpRoutes } from "./routes/mcp.ts";
import { openaiRoutes } from "./routes/v1/index.ts";
import type { AppEnv } from "./types.ts";

export interface AppOptions {
  adminAuthenticator: AdminAuthenticator;
  version: string;
  isDraining?: () => boolean;
}

export function createApp(gw: Gateway, options: AppOptions) {
  const app = new Hono<AppEnv>();
  app.use("*", async (c, next) => {
    c.set("requestId", requestId());
    c.set("startedAt", gw.ctx.clock.now());
    await next();
  });
  app.route("/", healthRoutes(gw, options.isDraining ?? (() => false)));
  app.route("/admin/v1", adminRoutes(gw, options.adminAuthenticator, options.version));
  // The web console: page shells and static files only; its data comes from /admin/v1 above.
  app.route("/admin", consoleRoutes());
  // Before the Codex routes: the bridges here sit under /backend-api, which ends in a catch-all there.
  app.route("/", openaiRoutes(gw));
  app.route("/", codexRoutes(gw));
  app.route("/", mcpRoutes(gw, { version: options.version }));
  app.notFound(() => new GatewayError(404, "not_found", "no such route").toResponse());
  app.onError((error, c) => {
    if (error instanceof GatewayError) return error.toResponse();
    // Metadata only: the route and the error class and message, never the request.
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
