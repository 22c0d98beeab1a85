// What every app built on the core shares: per-request context and one OpenAI-shaped error answer.
import { Hono } from "hono";
import { GatewayError } from "../core/errors.ts";
import type { Gateway } from "../core/gateway.ts";
import { requestId } from "../core/ids.ts";
import { runtimeFirewall } from "./middleware/firewall.ts";
import { requestCutShort } from "./request-io.ts";
import type { AppEnv } from "./types.ts";

export function baseApp(gw: Gateway, notFoundMessage = "no such route"): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.use("*", async (c, next) => {
    c.set("requestId", requestId());
    c.set("startedAt", gw.ctx.clock.now());
    await next();
  });
  // Every route behind the runtime firewall but the health probes and the admin API; /mcp answers
  // in JSON-RPC. Unknown paths too: a refused client does not learn which routes exist.
  app.use("*", runtimeFirewall(gw));
  app.notFound(() => new GatewayError(404, "not_found", notFoundMessage).toResponse());
  app.onError((error, c) => {
    if (error instanceof GatewayError) return error.toResponse();
    // A client that left mid-body is not the gateway failing: counted, not logged as an error (the
    // answer reaches no one; 499 is what the request was).
    if (requestCutShort(c)) {
      gw.ctx.metrics.count("client_aborts", 1, { phase: "request_body" });
      return new GatewayError(499, "client_closed", "the client closed the connection").toResponse();
    }
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
