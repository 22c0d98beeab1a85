// Bearer credentials: `<scheme><12 hex id>-<43-char base64url secret>`. Only SHA-256 of the secret
// part is stored; lookup is by id and the hash is compared in constant time.
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import type { CredentialKind } from "../model.ts";

export const CREDENTIAL_SCHEMES: Record<CredentialKind, string> = {
  pool_key: "sk-cxp-",
  mcp_token: "mcp-cxp-",
  admin_token: "adm-cxp-",
};

export interface ParsedCredential {
  kind: CredentialKind;
  id: string;
  secret: string;
}

const BODY = /^([0-9a-f]{12})-([A-Za-z0-9_-]{43})$/;

export function mintCredential(kind: CredentialKind, id = randomBytes(6).toString("hex")) {
  const secret = randomBytes(32).toString("base64url");
  return { id, secret, raw: `${CREDENTIAL_SCHEMES[kind]}${id}-${secret}`, secretHash: hashSecret(secret) };
}

export function parseCredential(raw: string | undefined | null): ParsedCredential | undefined {
  if (!raw) return undefined;
  const value = raw.trim();
  for (const [kind, scheme] of Object.entries(CREDENTIAL_SCHEMES) as [CredentialKind, string][]) {
    if (!value.startsWith(scheme)) continue;
    const match = BODY.exec(value.slice(scheme.length));
    if (!match?.[1] || !match[2]) return undefined;
    return { kind, id: match[1], secret: match[2] };
  }
  return undefined;
}

export function hashSecret(secret: string): string {
  return createHash("sha256").update(secret, "utf8").digest("hex");
}

export function secretMatches(secret: string, storedHash: string): boolean {
  const actual = Buffer.from(hashSecret(secret), "hex");
  const expected = Buffer.from(storedHash, "hex");
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}

/** `Authorization: Bearer <token>`; the scheme is case-sensitive as in the original. */
export function bearerToken(header: string | undefined | null): string | undefined {
  if (!header?.startsWith("Bearer ")) return undefined;
  const token = header.slice(7).trim();
  return token.length > 0 ? token : undefined;
}

export const credentialPrefix = (kind: CredentialKind, id: string) => `${CREDENTIAL_SCHEMES[kind]}${id}`;
