// Admin API auth is pluggable: locally a bearer admin token (minted on first start or given as
// POOLER_ADMIN_TOKEN); the AWS host can plug IAM in front instead.
import { createHash, timingSafeEqual } from "node:crypto";
import { createMiddleware } from "hono/factory";
import { GatewayError } from "../../core/errors.ts";
import type { Gateway } from "../../core/gateway.ts";
import { bearerToken } from "../../core/secrets-format.ts";
import type { AppEnv } from "../types.ts";

/** Resolves a request to an operator identity for audit, or undefined when not authorised. */
export type AdminAuthenticator = (request: Request) => Promise<string | undefined>;

export function bearerAdminAuthenticator(gw: Gateway, envToken?: string): AdminAuthenticator {
  const envDigest = envToken ? createHash("sha256").update(envToken).digest() : undefined;
  return async (request) => {
    const raw = bearerToken(request.headers.get("authorization"));
    if (!raw) return undefined;
    if (envDigest) {
      const digest = createHash("sha256").update(raw).digest();
      if (timingSafeEqual(digest, envDigest)) return "admin:env";
    }
    const credential = await gw.credentials.verify("admin_token", raw);
    return credential?.status === "active" ? `admin:${credential.id}` : undefined;
  };
}

export function adminAuth(authenticate: AdminAuthenticator) {
  return createMiddleware<AppEnv>(async function adminAuth(c, next) {
    const actor = await authenticate(c.req.raw);
    if (!actor) {
      throw new GatewayError(
        401,
        "admin_token_invalid",
        "admin token is missing or invalid: set POOLER_ADMIN_TOKEN to the token `npm start` printed on first start",
      );
    }
    c.set("actor", actor);
    await next();
  });
}
