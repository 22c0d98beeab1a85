// Admin API auth is pluggable: locally a bearer admin token (minted on first start or given as
// POOLER_ADMIN_TOKEN); the AWS host can plug IAM in front instead.
import { createHash, timingSafeEqual } from "node:crypto";
import { createMiddleware } from "hono/factory";
import { ENV_ADMIN_TOKEN, tooManyAuthFailures } from "../../core/access/auth-throttle.ts";
import { type AdminAuthenticator, credentialScope, OWNER_SCOPE } from "../../core/access/scope.ts";
import { GatewayError } from "../../core/errors.ts";
import type { Gateway } from "../../core/gateway.ts";
import { bearerToken, parseCredential } from "../../core/keys/secrets-format.ts";
import { clientAddress } from "../client-address.ts";
import type { AppEnv } from "../types.ts";

export type { AdminAuthenticator, AdminIdentity } from "../../core/access/scope.ts";

export function bearerAdminAuthenticator(gw: Gateway, envToken?: string): AdminAuthenticator {
  const envDigest = envToken ? createHash("sha256").update(envToken).digest() : undefined;
  return async (request, client) => {
    const raw = bearerToken(request.headers.get("authorization"));
    if (!raw) return undefined;
    // The environment token has no id to limit guesses by: an address past its guesses at it is
    // not compared with it until they refill (auth-throttle.ts). Both sides are hashed first, so
    // the compare takes the same time whatever was sent.
    if (envDigest && gw.throttle.envTokenWait(client) === 0) {
      const digest = createHash("sha256").update(raw).digest();
      if (timingSafeEqual(digest, envDigest)) return { actor: "admin:env", scope: OWNER_SCOPE };
    }
    const credential = await gw.credentials.verify("admin_token", raw);
    if (credential?.status !== "active") return undefined;
    return { actor: `admin:${credential.id}`, scope: credentialScope(credential) };
  };
}

/**
 * With `gw`, failed attempts are rate limited per client address and per token (auth-throttle.ts):
 * a stored token's id, or for any other value the environment token. A token that verifies is never
 * refused by the throttle.
 */
export function adminAuth(authenticate: AdminAuthenticator, gw?: Gateway) {
  return createMiddleware<AppEnv>(async function adminAuth(c, next) {
    const client = clientAddress(c);
    const identity = await authenticate(c.req.raw, client);
    if (!identity) {
      const presented = bearerToken(c.req.header("authorization"));
      const wait = presented && gw ? gw.throttle.failed(client, adminTokenBucket(presented)) : 0;
      if (wait > 0) throw tooManyAuthFailures(wait);
      throw new GatewayError(
        401,
        "admin_token_invalid",
        "admin token is missing or invalid: send `Authorization: Bearer <admin token>` (locally the token `npm start` printed on first start; on AWS mint one with `pooler --aws --url <AdminUrl> admin-token create`)",
      );
    }
    c.set("actor", identity.actor);
    c.set("scope", identity.scope);
    await next();
  });
}

/** A stored admin token's id, or for anything else a guess at the environment token. */
function adminTokenBucket(raw: string): string {
  const parsed = parseCredential(raw);
  return parsed?.kind === "admin_token" ? `admin_token:${parsed.id}` : ENV_ADMIN_TOKEN;
}
