// Pool API key authentication shared by every runtime surface (the Hono middleware and the
// WebSocket upgrade, which runs before Hono): OpenAI-shaped 401s that say what to do.
import { authThrottle, tooManyAuthFailures } from "./auth-throttle.ts";
import { GatewayError } from "./errors.ts";
import type { Gateway } from "./gateway.ts";
import type { Credential, Pool } from "./model.ts";
import { bearerToken, parseCredential } from "./secrets-format.ts";

export interface PoolKeyAuth {
  key: Credential;
  pool: Pool;
  /** The bearer value, kept in memory only so long-lived connections can re-check it per turn. */
  raw: string;
}

export async function authenticatePoolKey(
  gw: Gateway,
  authorization: string | undefined | null,
  /** The peer's address when the host knows it: failed attempts are rate limited per address. */
  client?: string,
): Promise<PoolKeyAuth> {
  const raw = bearerToken(authorization);
  if (!raw) {
    throw new GatewayError(
      401,
      "api_key_missing",
      "api key is required: send Authorization: Bearer sk-cxp-…",
    );
  }
  const throttle = authThrottle(gw);
  const blocked = throttle.blockedFor(client);
  // A client over its failure allowance only gets in with a key verified here recently (no store read).
  const key = await gw.credentials.verify("pool_key", raw, { cachedOnly: blocked > 0 });
  if (!key) {
    if (blocked > 0) throw tooManyAuthFailures(blocked);
    const wait = throttle.failed(client, parseCredential(raw)?.id);
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
