import { randomBytes } from "node:crypto";

/** Fake OAuth client id Codex uses; only echoed into `aud`/`client_id` claims. */
export const CODEX_CLIENT_ID = "app_EMoamEEZ73f0CkXaXp7hrann";

export interface TokenIdentity {
  accountId: string;
  planType: string;
  email: string;
  userId: string;
}

export function randomHex(bytes = 8): string {
  return randomBytes(bytes).toString("hex");
}

function b64url(input: string): string {
  return Buffer.from(input, "utf8").toString("base64url");
}

/** RS256-looking JWT with a junk signature: nothing in the gateway verifies signatures (§9.5). */
export function makeFakeJwt(payload: Record<string, unknown>): string {
  const header = { alg: "RS256", typ: "JWT", kid: "fake-upstream" };
  return `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(payload))}.${randomBytes(32).toString("base64url")}`;
}

export function decodeJwtPayload(token: string): Record<string, unknown> | undefined {
  const part = token.split(".")[1];
  if (part === undefined) return undefined;
  try {
    const value: unknown = JSON.parse(Buffer.from(part, "base64url").toString("utf8"));
    return typeof value === "object" && value !== null ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

function commonClaims(id: TokenIdentity, iat: number, exp: number): Record<string, unknown> {
  return {
    iss: "https://auth.openai.com",
    sub: `auth0|${id.userId}`,
    iat,
    exp,
    // jti keeps two tokens minted in the same second distinct.
    jti: randomHex(12),
    email: id.email,
    "https://api.openai.com/auth": {
      chatgpt_account_id: id.accountId,
      chatgpt_plan_type: id.planType,
      chatgpt_user_id: id.userId,
      user_id: id.userId,
    },
    "https://api.openai.com/profile": { email: id.email, email_verified: true },
  };
}

export function makeIdToken(id: TokenIdentity, nowSec: number, ttlSec: number): string {
  return makeFakeJwt({ ...commonClaims(id, nowSec, nowSec + ttlSec), aud: [CODEX_CLIENT_ID] });
}

export function makeAccessToken(id: TokenIdentity, nowSec: number, ttlSec: number): string {
  return makeFakeJwt({
    ...commonClaims(id, nowSec, nowSec + ttlSec),
    aud: ["https://api.openai.com/v1"],
    client_id: CODEX_CLIENT_ID,
    scp: ["openid", "profile", "email", "offline_access"],
  });
}

export function makeRefreshToken(): string {
  return `rt_${randomBytes(24).toString("base64url")}`;
}
