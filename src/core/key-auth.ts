// Pool API key authentication shared by every runtime surface (the Hono middleware and the
// WebSocket upgrade, which runs before Hono): OpenAI-shaped 401s that say what to do.
import { authThrottle, credentialBucket, tooManyAuthFailures } from "./auth-throttle.ts";
import { GatewayError } from "./errors.ts";
import type { Gateway } from "./gateway.ts";
import type { Credential, Pool } from "./model.ts";
import { bearerToken } from "./secrets-format.ts";

export interface PoolKeyAuth {
  key: Credential;
  pool: Pool;
  /** The bearer value, kept in memory only so long-lived connections can re-check it per turn. */
  raw: string;
}

export async function authenticatePoolKey(
  gw: Gateway,
  authorization: string | undefined | null,
  /** The client's address as the firewall resolves it (settings.admit): failures are limited per address. */
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
  // Always checked, whatever the client's failures: a key that verifies is never refused by the throttle.
  const key = await gw.credentials.verify("pool_key", raw);
  if (!key) {
    const wait = authThrottle(gw).failed(client, credentialBucket(raw));
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
  return { key, pool, raw };
}
