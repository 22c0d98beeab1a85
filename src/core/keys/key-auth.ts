// Pool API key authentication shared by every runtime surface (the Hono middleware and the
// WebSocket upgrade, which runs before Hono): OpenAI-shaped 401s that say what to do.
import { credentialBucket, tooManyAuthFailures } from "../access/auth-throttle.ts";
import { GatewayError } from "../errors.ts";
import type { Gateway } from "../gateway.ts";
import type { Credential, Pool } from "../model.ts";
import { bearerToken } from "./secrets-format.ts";

export interface PoolKeyAuth {
  key: Credential;
  pool: Pool;
  /** The bearer value, kept in memory only so long-lived connections can re-check it per turn. */
  raw: string;
}

/** Cold instance: at most this many accounts' tokens are read ahead of the request that needs one. */
const PREFETCH_TOKENS = 8;

/**
 * Starts the reads a runtime request with this Authorization header will make, for a host that must
 * first wait for something else (the origin check on AWS), so they overlap it instead of following:
 * the settings and the key, then (for an active key whose secret matches) its Pool, the Pool's
 * accounts and routing state, then the tokens of accounts this instance has none for. Only warms the
 * caches the request reads through; decides nothing. Failures are left to the request.
 */
export function prefetchPoolKey(
  gw: Pick<Gateway, "ctx" | "credentials" | "pools" | "router" | "tokens" | "settings">,
  authorization: string | undefined | null,
): void {
  const raw = bearerToken(authorization);
  if (!raw) return;
  const chain = async () => {
    const key = await gw.credentials.prefetch("pool_key", raw);
    if (key?.status !== "active" || !key.pool) return;
    const [pool, members] = await Promise.all([gw.pools.get(key.pool), gw.router.prefetch(key.pool)]);
    if (pool) gw.tokens.prefetch(members.filter((a) => a.status === "active").slice(0, PREFETCH_TOKENS));
  };
  gw.ctx.background(Promise.all([gw.settings.prefetch(), chain()]).catch(() => undefined));
}

export async function authenticatePoolKey(
  gw: Pick<Gateway, "credentials" | "throttle" | "pools">,
  authorization: string | undefined | null,
  /** The client's address as the firewall resolves it (settings.admit): failures are limited per address. */
  client?: string,
  /** `deferTouch`: the caller calls `gw.credentials.touch(key)` once its response has started. */
  options: { deferTouch?: boolean } = {},
): Promise<PoolKeyAuth> {
  const raw = bearerToken(authorization);
  if (!raw) {
    throw new GatewayError(
      401,
      "api_key_missing",
      "api key is required: send Authorization: Bearer sk-cxp-…",
    );
  }
  // Always checked, whatever the client's failures: a key that verifies is never refused by the throttle.
  const key = await gw.credentials.verify("pool_key", raw, { deferTouch: options.deferTouch });
  if (!key) {
    const wait = gw.throttle.failed(client, credentialBucket(raw));
    if (wait > 0) throw tooManyAuthFailures(wait);
    throw new GatewayError(
      401,
      "invalid_api_key",
      "api key is invalid; check the Pool API key you configured",
    );
  }
  if (key.status !== "active") {
    const why = key.status === "paused" ? "is paused; ask an operator to resume it" : "has been revoked";
    throw new GatewayError(401, "api_key_disabled", `api key ${why}`);
  }
  const pool = key.pool ? await gw.pools.get(key.pool) : undefined;
  if (!pool) throw new GatewayError(401, "api_key_disabled", "api key's pool no longer exists");
  if (pool.disabled === true) {
    throw new GatewayError(
      401,
      "api_key_disabled",
      "api key's pool is disabled; ask an operator to enable it",
    );
  }
  return { key, pool, raw };
}
