// Codex backend routes under /backend-api: Responses relay, model catalog, usage. Everything else
// under /backend-api answers 404 without touching the upstream (we proxy model traffic only).
import { Hono } from "hono";
import { badRequest, GatewayError } from "../../core/errors.ts";
import type { Gateway } from "../../core/gateway.ts";
import { enforceKeyPolicy } from "../../core/keys/key-policy.ts";
import { anchorsFrom, relayResponses } from "../../core/relay/responses.ts";
import { parseJsonObject, readBody } from "../body.ts";
import { withTurnSlot } from "../middleware/admission.ts";
import { poolKeyAuth } from "../middleware/pool-key-auth.ts";
import { bodySource, clientSignal } from "../request-io.ts";
import type { AppEnv } from "../types.ts";

const MODEL = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;

export function codexRoutes(gw: Gateway) {
  const app = new Hono<AppEnv>();
  const auth = poolKeyAuth(gw);

  for (const path of ["/backend-api/codex/responses", "/backend-api/codex/v1/responses"]) {
    app.post(path, auth, async (c) => {
      const body = await readBody(bodySource(c), gw.ctx.config);
      const json = parseJsonObject(body);
      if (json.model !== undefined && (typeof json.model !== "string" || !MODEL.test(json.model))) {
        throw badRequest("model must be a model id string", "model");
      }
      return withTurnSlot(gw, c, json.stream === true, async () => {
        await enforceKeyPolicy(gw.ctx, c.get("key"), {
          model: json.model as string | undefined,
          reasoningEffort: (json.reasoning as { effort?: unknown } | undefined)?.effort,
          effortParam: "reasoning.effort",
          route: path,
          startedAt: c.get("startedAt"),
        });
        return relayResponses(gw, {
          key: c.get("key"),
          pool: c.get("pool"),
          route: path,
          body,
          model: json.model as string | undefined,
          anchors: anchorsFrom(c.req.raw.headers, json),
          clientHeaders: c.req.raw.headers,
          signal: clientSignal(c),
          startedAt: c.get("startedAt"),
          requestId: c.get("requestId"),
        });
      });
    });
    // The local host takes WebSocket upgrades before Hono (src/server/websocket-upgrade.ts); an
    // upgrade that reaches here is on a host without that path, and 426 makes Codex use HTTP at once.
    app.get(path, auth, (c) => {
      if (c.req.header("upgrade")?.toLowerCase() !== "websocket") {
        throw new GatewayError(
          400,
          "websocket_upgrade_required",
          "GET on this route needs a WebSocket upgrade; use POST for SSE",
        );
      }
      throw new GatewayError(
        426,
        "websocket_unavailable",
        "WebSocket transport is not available here; use HTTP POST",
      );
    });
  }

  for (const path of ["/backend-api/codex/models", "/backend-api/codex/v1/models"]) {
    app.get(path, auth, async (c) => {
      const catalog = await gw.models.get(c.get("pool").name, c.req.query("client_version"));
      const headers = {
        etag: catalog.etag,
        "x-models-etag": catalog.etag,
        "cache-control": "private, no-cache",
      };
      const match = c.req.header("if-none-match");
      if (match?.split(",").some((tag) => tag.trim() === catalog.etag)) {
        return c.body(null, 304, headers);
      }
      return c.body(catalog.body, 200, { ...headers, "content-type": "application/json" });
    });
  }

  for (const path of ["/backend-api/wham/usage", "/wham/usage", "/api/codex/usage"]) {
    app.get(path, auth, async (c) => c.json(await gw.usage.forPool(c.get("pool").name)));
  }

  app.all("/backend-api/*", () => {
    throw new GatewayError(404, "not_found", "this /backend-api route is not served by Codex Pooler");
  });
  return app;
}
