// Admin API auth is pluggable: locally a bearer admin token (minted on first start or given as
// POOLER_ADMIN_TOKEN); the AWS host can plug IAM in front instead.
import { createHash, timingSafeEqual } from "node:crypto";
import { createMiddleware } from "hono/factory";
import { authThrottle, tooManyAuthFailures } from "../../core/auth-throttle.ts";
import { GatewayError } from "../../core/errors.ts";
import type { Gateway } from "../../core/gateway.ts";
import { credentialScope, OWNER_SCOPE, type Scope } from "../../core/scope.ts";
import { bearerToken, parseCredential } from "../../core/secrets-format.ts";
import { clientAddress } from "../client-address.ts";
import type { AppEnv } from "../types.ts";

/** Who is calling (the audit actor) and what it may see (src/core/scope.ts). */
export interface AdminIdentity {
  actor: string;
  scope: Scope;
}

/** Resolves a request to an operator identity, or undefined when not authorised. */
export type AdminAuthenticator = (request: Request) => Promise<AdminIdentity | undefined>;

export function bearerAdminAuthenticator(gw: Gateway, envToken?: string): AdminAuthenticator {
  const envDigest = envToken ? createHash("sha256").update(envToken).digest() : undefined;
  return async (request) => {
    const raw = bearerToken(request.headers.get("authorization"));
    if (!raw) return undefined;
    if (envDigest) {
      const digest = createHash("sha256").update(raw).digest();
      if (timingSafeEqual(digest, envDigest)) return { actor: "admin:env", scope: OWNER_SCOPE };
    }
    const credential = await gw.credentials.verify("admin_token", raw);
    if (credential?.status !== "active") return undefined;
    return { actor: `admin:${credential.id}`, scope: credentialScope(credential) };
  };
}

/** With `gw`, failed attempts are rate limited per client address and token id (auth-throttle.ts). */
export function adminAuth(authenticate: AdminAuthenticator, gw?: Gateway) {
  return createMiddleware<AppEnv>(async function adminAuth(c, next) {
    const throttle = gw && authThrottle(gw);
    const client = clientAddress(c);
    const blocked = throttle?.blockedFor(client) ?? 0;
    if (blocked > 0) throw tooManyAuthFailures(blocked);
    const identity = await authenticate(c.req.raw);
    if (!identity) {
      const presented = bearerToken(c.req.header("authorization"));
      const wait = presented ? (throttle?.failed(client, parseCredential(presented)?.id) ?? 0) : 0;
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
