// Legacy unary compaction (codex-protocol §7.2): POST /backend-api/codex/responses/compact and its
// /v1 alias go to the upstream's /codex/responses/compact, on the session's account first. An account
// that fails before answering (transport error, 5xx, 429, 403, quota) is demoted and the next one tried,
// as on every route: nothing was produced yet, so nothing bound to that account is lost.
import { Hono } from "hono";
import { badRequest } from "../../../core/errors.ts";
import type { Gateway } from "../../../core/gateway.ts";
import { enforceKeyPolicy } from "../../../core/keys/key-policy.ts";
import { MODEL_ID } from "../../../core/openai/common.ts";
import { anchorsFrom } from "../../../core/relay/responses.ts";
import { usageFrom } from "../../../core/relay/sse-relay.ts";
import { poolKeyAuth } from "../../middleware/pool-key-auth.ts";
import type { AppEnv } from "../../types.ts";
import { bridge, relayAnswer } from "./bridge.ts";
import { jsonObject } from "./request.ts";

const COMPACT_MAX_RESPONSE = 32 * 1024 * 1024;

export function compactRoutes(gw: Gateway) {
  const app = new Hono<AppEnv>();
  for (const path of ["/backend-api/codex/responses/compact", "/backend-api/codex/v1/responses/compact"]) {
    app.post(path, poolKeyAuth(gw), async (c) => {
      const body = await jsonObject(gw, c.req.raw);
      if (typeof body.model !== "string" || !MODEL_ID.test(body.model)) {
        throw badRequest("model must be a model id string", "model");
      }
      await enforceKeyPolicy(gw.ctx, c.get("key"), {
        model: body.model,
        reasoningEffort: (body.reasoning as { effort?: unknown } | undefined)?.effort,
        effortParam: "reasoning.effort",
        route: path,
        transport: "http_json",
        startedAt: c.get("startedAt"),
      });
      // The unary endpoint takes no stream flag.
      const { stream: _stream, ...forwarded } = body;
      const encoded = new TextEncoder().encode(JSON.stringify(forwarded));
      const result = await bridge(
        gw,
        c,
        path,
        {
          path: "/codex/responses/compact",
          body: () => encoded,
          contentType: "application/json",
          model: body.model,
          anchors: anchorsFrom(c.req.raw.headers, body),
          clientHeaders: c.req.raw.headers,
          maxResponseBytes: COMPACT_MAX_RESPONSE,
        },
        (json) => usageFrom((json as { usage?: unknown } | undefined)?.usage),
      );
      return relayAnswer(result);
    });
  }
  return app;
}
