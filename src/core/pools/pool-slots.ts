// The optional per-Pool concurrency cap (AWS: `PoolConcurrencyCap`): at most N turns of one Pool at
// once (HTTP turns and WebSocket API turns alike) across every instance, counted in the store. Over
// it: 503 server_is_overloaded with Retry-After. A slot ends by itself after the longest a turn can
// run, so a holder that dies (a Lambda cut short) cannot keep it.
import { randomBytes } from "node:crypto";
import type { Lease } from "../access/admission.ts";
import { GatewayError } from "../errors.ts";
import type { Gateway } from "../gateway.ts";

/** Longer than any turn (Lambda stops one at 15 minutes). */
const SLOT_MS = 16 * 60_000;

/** A slot of the Pool's cap; undefined when there is no cap. */
export async function takePoolSlot(gw: Pick<Gateway, "ctx">, pool: string): Promise<Lease | undefined> {
  const cap = gw.ctx.config.poolConcurrencyCap;
  if (!cap) return undefined;
  const { ctx } = gw;
  const slot = randomBytes(8).toString("hex");
  const now = ctx.clock.now();
  if (!(await ctx.store.poolSlots.take(pool, slot, cap, now + SLOT_MS, now))) {
    ctx.metrics.count("admission_rejected", 1, { routeClass: "pool", reason: "pool_cap" });
    throw new GatewayError(
      503,
      "server_is_overloaded",
      `this Pool is at its limit of ${cap} requests at once; retry after 1 s`,
      { headers: { "retry-after": "1" } },
    );
  }
  let held = true;
  return {
    release() {
      if (!held) return;
      held = false;
      ctx.background(
        ctx.store.poolSlots.give(pool, slot).catch((error) => {
          ctx.logger.warn("pool slot release failed", { pool, error: (error as Error).name });
        }),
      );
    },
  };
}
