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
      // The key's last use is stamped once the response has been sent: nothing is written before
      // the client's first byte. A stamp is due at most once a minute per key and instance; only then
      // is the body watched for its end (a client gone first leaves it to the next request).
      if (gw.credentials.touchDue(key)) {
        const body = c.res.body;
        if (!body) gw.credentials.touch(key);
        else {
          const watched = body.pipeThrough(new TransformStream({ flush: () => gw.credentials.touch(key) }));
          c.res = new Response(watched, c.res);
        }
      }
    }
  });
}
