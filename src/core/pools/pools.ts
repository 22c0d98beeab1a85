import { ROUTING_STRATEGIES } from "../../admin-contract/enums.ts";
import { recordAudit } from "../audit.ts";
import type { CoreContext } from "../context.ts";
import { badRequest, notFound } from "../errors.ts";
import { dropObservatorySessions } from "../keys/observatory-sessions.ts";
import { DEFAULT_RING_SIZE, DEFAULT_STRATEGY, type Pool, type RoutingStrategy } from "../model.ts";

export const POOL_NAME = /^[a-z0-9][a-z0-9_-]{0,62}$/;
export const MAX_RING_SIZE = 16;

function checkSettings(input: { strategy?: string; ringSize?: number }) {
  if (input.strategy !== undefined && !ROUTING_STRATEGIES.includes(input.strategy as RoutingStrategy)) {
    throw badRequest(`unknown routing strategy; use one of: ${ROUTING_STRATEGIES.join(", ")}`, "strategy");
  }
  if (
    input.ringSize !== undefined &&
    (!Number.isInteger(input.ringSize) || input.ringSize < 1 || input.ringSize > MAX_RING_SIZE)
  ) {
    throw badRequest(`ringSize must be an integer from 1 to ${MAX_RING_SIZE}`, "ringSize");
  }
}

export async function createPool(
  ctx: CoreContext,
  input: { name: string; strategy?: string; ringSize?: number },
  actor: string,
): Promise<Pool> {
  if (!POOL_NAME.test(input.name)) {
    throw badRequest(
      "pool name must be 1-63 characters of lowercase letters, digits, '-' or '_', starting with a letter or digit",
      "name",
    );
  }
  checkSettings(input);
  const now = ctx.clock.now();
  const pool: Pool = {
    name: input.name,
    strategy: (input.strategy as RoutingStrategy | undefined) ?? DEFAULT_STRATEGY,
    ringSize: input.ringSize ?? DEFAULT_RING_SIZE,
    createdAt: now,
    updatedAt: now,
  };
  await ctx.store.pools.create(pool);
  await recordAudit(ctx, {
    actor,
    action: "pool.create",
    targetType: "pool",
    targetId: pool.name,
    details: { strategy: pool.strategy, ringSize: pool.ringSize },
  });
  return pool;
}

export async function updatePoolRouting(
  ctx: CoreContext,
  name: string,
  input: { strategy?: string; ringSize?: number; allowImageGeneration?: boolean },
  actor: string,
): Promise<Pool> {
  checkSettings(input);
  const current = await requirePool(ctx, name);
  const patch = {
    ...(input.strategy !== undefined ? { strategy: input.strategy as RoutingStrategy } : {}),
    ...(input.ringSize !== undefined ? { ringSize: input.ringSize } : {}),
    ...(input.allowImageGeneration !== undefined ? { allowImageGeneration: input.allowImageGeneration } : {}),
    updatedAt: ctx.clock.now(),
  };
  const pool = normalizePool(await ctx.store.pools.update(name, patch));
  await recordAudit(ctx, {
    actor,
    action: "pool.routing_update",
    targetType: "pool",
    targetId: name,
    details: {
      strategy: pool.strategy,
      ringSize: pool.ringSize,
      previousStrategy: current.strategy,
      previousRingSize: current.ringSize,
      allowImageGeneration: pool.allowImageGeneration ?? true,
    },
  });
  return pool;
}

/**
 * Disables or re-enables a Pool. Disabled: its keys are refused (401 api_key_disabled) and their
 * dashboard sessions end for good (they stay ended after re-enabling).
 */
export async function setPoolEnabled(
  ctx: CoreContext,
  name: string,
  enabled: boolean,
  actor: string,
): Promise<Pool> {
  const current = await requirePool(ctx, name);
  if ((current.disabled !== true) === enabled) return current;
  const now = ctx.clock.now();
  const pool = normalizePool(
    await ctx.store.pools.update(name, {
      disabled: !enabled,
      ...(enabled ? {} : { disabledAt: now }),
      updatedAt: now,
    }),
  );
  if (!enabled) {
    const keys = await ctx.store.credentials.list("pool_key", { pool: name });
    for (const key of keys) await dropObservatorySessions(ctx, key.id);
  }
  await recordAudit(ctx, {
    actor,
    action: enabled ? "pool.enable" : "pool.disable",
    targetType: "pool",
    targetId: name,
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
  return normalizePool(pool);
}

/** Pools written by older versions lack settings added since; fill in the defaults. */
export function normalizePool(pool: Pool): Pool {
  return {
    ...pool,
    strategy: ROUTING_STRATEGIES.includes(pool.strategy) ? pool.strategy : DEFAULT_STRATEGY,
    ringSize: pool.ringSize ?? DEFAULT_RING_SIZE,
    allowImageGeneration: pool.allowImageGeneration ?? true,
  };
}
