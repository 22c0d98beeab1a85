import { createMiddleware } from "hono/factory";
import type { Gateway } from "../../core/gateway.ts";
import { authenticatePoolKey } from "../../core/keys/key-auth.ts";
import { clientAddress } from "../client-address.ts";
import type { AppEnv } from "../types.ts";

/** Pool API key auth for runtime routes; OpenAI-shaped 401s that say what to do. */
export function poolKeyAuth(gw: Gateway) {
  return createMiddleware<AppEnv>(async function poolKeyAuth(c, next) {
    const { key, pool } = await authenticatePoolKey(gw, c.req.header("authorization"), clientAddress(c), {
      deferTouch: true,
    });
    c.set("key", key);
    c.set("pool", pool);
    try {
      await next();
    } finally {
      // The key's last use is stamped once the response has started: nothing is written before it.
      gw.credentials.touch(key);
    }
  });
}
