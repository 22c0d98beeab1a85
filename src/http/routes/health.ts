import { Hono } from "hono";
import type { Gateway } from "../../core/gateway.ts";
import type { AppEnv } from "../types.ts";

const READY_TIMEOUT_MS = 1_000;

export function healthRoutes(gw: Gateway, isDraining: () => boolean) {
  return new Hono<AppEnv>()
    .get("/healthz", (c) => c.json({ status: "ok" }))
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
    });
}
