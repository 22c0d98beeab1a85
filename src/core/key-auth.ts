// Pool API key authentication shared by every runtime surface (the Hono middleware and the
// WebSocket upgrade, which runs before Hono): OpenAI-shaped 401s that say what to do.
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
): Promise<PoolKeyAuth> {
  const raw = bearerToken(authorization);
  if (!raw) {
    throw new GatewayError(
      401,
      "api_key_missing",
      "api key is required: send Authorization: Bearer sk-cxp-…",
    );
  }
  const key = await gw.credentials.verify("pool_key", raw);
  if (!key)
    throw new GatewayError(
      401,
      "invalid_api_key",
      "api key is invalid; check the Pool API key you configured",
    );
  if (key.status !== "active") {
    const why = key.status === "paused" ? "is paused; ask an operator to resume it" : "has been revoked";
    throw new GatewayError(401, "api_key_disabled", `api key ${why}`);
  }
  const pool = key.pool ? await gw.pools.get(key.pool) : undefined;
  if (!pool) throw new GatewayError(401, "api_key_disabled", "api key's pool no longer exists");
  return { key, pool, raw };
}
