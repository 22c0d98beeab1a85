// The OpenAI-compatible /v1 surface and the remaining /backend-api bridges. Order matters for /v1:
// key auth first (no key → 401 even on unsupported routes), then the unsupported-endpoint table
// (before any body is read), then the routes, then `not_found` for any other /v1 path.
import { Hono } from "hono";
import { GatewayError } from "../../../core/errors.ts";
import type { Gateway } from "../../../core/gateway.ts";
import { poolKeyAuth } from "../../middleware/pool-key-auth.ts";
import type { AppEnv } from "../../types.ts";
import { audioRoutes } from "./audio.ts";
import { chatCompletionRoutes } from "./chat-completions.ts";
import { compactRoutes } from "./compact.ts";
import { fileRoutes } from "./files.ts";
import { imageRoutes } from "./images.ts";
import { modelRoutes } from "./models.ts";
import { openaiErrorShape } from "./request.ts";
import { responsesRoutes } from "./responses.ts";
import { unsupportedEndpoints } from "./unsupported.ts";
import { usageRoutes } from "./usage.ts";

export function openaiRoutes(gw: Gateway) {
  const app = new Hono<AppEnv>();
  app.use("/v1/*", openaiErrorShape, poolKeyAuth(gw), unsupportedEndpoints);
  app.route("/", chatCompletionRoutes(gw));
  app.route("/", responsesRoutes(gw));
  app.route("/", modelRoutes(gw));
  app.route("/", usageRoutes(gw));
  app.route("/", fileRoutes(gw));
  app.route("/", audioRoutes(gw));
  app.route("/", imageRoutes(gw));
  app.route("/", compactRoutes(gw));
  // Upgrades are taken by the host before the app sees them (src/server/websocket-upgrade.ts); what
  // reaches here is a plain GET (400), or an upgrade on a host without WebSockets (426: fall back to POST).
  app.get("/v1/responses", (c) => {
    if (c.req.header("upgrade")?.toLowerCase() !== "websocket") {
      throw new GatewayError(
        400,
        "websocket_upgrade_required",
        "GET on this route needs a WebSocket upgrade; use POST",
      );
    }
    throw new GatewayError(
      426,
      "websocket_unavailable",
      "WebSocket transport is not available here; use HTTP POST",
    );
  });
  app.all("/v1/*", () => {
    throw new GatewayError(
      404,
      "not_found",
      "no such /v1 route; see docs/openai-compatibility.md for what is served",
    );
  });
  return app;
}
