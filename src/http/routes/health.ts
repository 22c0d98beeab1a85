import { Hono } from "hono";
import type { Gateway } from "../../core/gateway.ts";
import type { AppEnv } from "../types.ts";

const READY_TIMEOUT_MS = 1_000;

export function healthRoutes(gw: Gateway, isDraining: () => boolean) {
  // Pools are never deleted, so once one exists the answer stays "complete" without another query.
  let bootstrapped = false;
  return (
    new Hono<AppEnv>()
      .get("/healthz", (c) => c.json({ status: "ok" }))
      // First-run status for scripts, without a token: has anyone created a Pool yet? Nothing else
      // (no names, no counts) so it tells an unauthenticated caller no more than that.
      .get("/bootstrap/status", async (c) => {
        if (!bootstrapped) bootstrapped = (await gw.ctx.store.pools.list()).length > 0;
        c.header("cache-control", "no-store");
        return c.json({ status: "ok", bootstrap: bootstrapped ? "complete" : "pending" });
      })
      .get("/readyz", async (c) => {
        if (isDraining()) return c.json({ status: "unavailable", reason: "draining" }, 503);
        try {
          await Promise.race([
            gw.ctx.store.ping(),
            new Promise((_, reject) => setTimeout(() => reject(new Error("timeout")), READY_TIMEOUT_MS)),
          ]);
          return c.json({ status: "ready" });
        } catch {
          return c.json({ status: "unavailable", reason: "store_unreachable" }, 503);
        }
      })
  );
}
