import { recordAudit } from "./audit.ts";
import type { CoreContext } from "./context.ts";
import { badRequest, notFound } from "./errors.ts";
import { type Pool, ROUTING_STRATEGIES, type RoutingStrategy } from "./model.ts";

export const POOL_NAME = /^[a-z0-9][a-z0-9_-]{0,62}$/;

export async function createPool(
  ctx: CoreContext,
  input: { name: string; strategy?: string },
  actor: string,
): Promise<Pool> {
  if (!POOL_NAME.test(input.name)) {
    throw badRequest(
      "pool name must be 1-63 characters of lowercase letters, digits, '-' or '_', starting with a letter or digit",
      "name",
    );
  }
  const strategy = (input.strategy ?? "rotation") as RoutingStrategy;
  if (!ROUTING_STRATEGIES.includes(strategy)) {
    throw badRequest(`unknown routing strategy; use one of: ${ROUTING_STRATEGIES.join(", ")}`, "strategy");
  }
  const now = ctx.clock.now();
  const pool: Pool = { name: input.name, strategy, createdAt: now, updatedAt: now };
  await ctx.store.pools.create(pool);
  await recordAudit(ctx, {
    actor,
    action: "pool.create",
    targetType: "pool",
    targetId: pool.name,
    details: { strategy },
  });
  return pool;
}

export async function requirePool(ctx: CoreContext, name: string): Promise<Pool> {
  const pool = await ctx.store.pools.get(name);
  if (!pool)
    throw notFound(
      `pool "${name}" does not exist; create it with \`pooler pool create ${name}\``,
      "pool_not_found",
    );
  return pool;
}
