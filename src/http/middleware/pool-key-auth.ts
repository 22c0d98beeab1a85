import { createMiddleware } from "hono/factory";
import { GatewayError } from "../../core/errors.ts";
import type { Gateway } from "../../core/gateway.ts";
import { bearerToken } from "../../core/secrets-format.ts";
import type { AppEnv } from "../types.ts";

/** Pool API key auth for runtime routes; OpenAI-shaped 401s that say what to do. */
export function poolKeyAuth(gw: Gateway) {
  return createMiddleware<AppEnv>(async function poolKeyAuth(c, next) {
    const raw = bearerToken(c.req.header("authorization"));
    if (!raw) {
      throw new GatewayError(
        401,
        "api_key_missing",
        "api key is required: send Authorization: Bearer sk-cxp-…",
      );
    }
    const key = await gw.credentials.verify("pool_key", raw);
    if (!key)
      throw new GatewayError(
        401,
        "invalid_api_key",
        "api key is invalid; check the Pool API key you configured",
      );
    if (key.status !== "active") {
      const why = key.status === "paused" ? "is paused; ask an operator to resume it" : "has been revoked";
      throw new GatewayError(401, "api_key_disabled", `api key ${why}`);
    }
    const pool = key.pool ? await gw.pools.get(key.pool) : undefined;
    if (!pool) throw new GatewayError(401, "api_key_disabled", "api key's pool no longer exists");
    c.set("key", key);
    c.set("pool", pool);
    await next();
  });
}
