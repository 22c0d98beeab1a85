// The key holder's dashboard ("Observatory"): someone holding a Pool API key signs in with it and
// reads that key's own usage. Sessions are separate from every operator credential: a random secret
// in an HttpOnly cookie, only its SHA-256 stored, at most 14 days from sign-in and never renewed, at
// most 10 per key (the oldest go first). Every read re-checks the key and its Pool, so pausing,
// rotating, revoking or deleting the key, turning its dashboard access off, disabling the Pool or
// moving the key ends the session at once on every instance (docs/observatory.md).
import { randomBytes } from "node:crypto";
import { credentialBucket } from "../access/auth-throttle.ts";
import { recordAudit } from "../audit.ts";
import type { Gateway } from "../gateway.ts";
import type { Credential, ObservatorySession, Pool } from "../model.ts";
import { normalizePool } from "../pools/pools.ts";
import { hashSecret, parseCredential, secretMatches } from "./secrets-format.ts";

/** The one answer to every failed sign-in, whatever the reason. */
export const OBSERVATORY_FAILURE = "The API key is invalid or unavailable.";
export const OBSERVATORY_SESSION_MS = 14 * 86_400_000;
export const OBSERVATORY_MAX_SESSIONS = 10;

/** `<key id>.<session id>.<secret>`: the ids find the item, the secret is compared to its hash. */
const TOKEN = /^([0-9a-f]{12})\.([0-9a-f]{16})\.([A-Za-z0-9_-]{43})$/;

/** What the dashboard's sign-in and sessions use: the store, clock and audit (ctx), the throttle. */
type ObservatoryDeps = Pick<Gateway, "ctx" | "throttle">;

export interface ObservatoryViewer {
  key: Credential;
  pool: Pool;
  session: ObservatorySession;
}

export type SignInResult =
  | { ok: true; token: string; expiresAt: number }
  /** `retryAfter`: the client is over its failed-attempt allowance. */
  | { ok: false; retryAfter?: number };

/** True when the key may not see its dashboard now. */
function unavailable(key: Credential | undefined, pool: Pool | undefined): boolean {
  return (
    key?.kind !== "pool_key" ||
    key.status !== "active" ||
    key.dashboardAccess !== true ||
    !pool ||
    pool.disabled === true
  );
}

/** Signs in with a raw Pool API key; one answer for every failure. */
export async function observatorySignIn(
  gw: ObservatoryDeps,
  raw: string,
  client: string | undefined,
): Promise<SignInResult> {
  const { ctx } = gw;
  const throttle = gw.throttle;
  // As for every credential, the key is always checked; only a failure spends the client's allowance.
  const parsed = parseCredential(raw);
  // Uncached: a key paused a moment ago on another instance must not open a session here.
  const stored =
    parsed?.kind === "pool_key" ? await ctx.store.credentials.get("pool_key", parsed.id) : undefined;
  const key = stored && parsed && secretMatches(parsed.secret, stored.secretHash) ? stored : undefined;
  if (!key) {
    const wait = throttle.failed(client, credentialBucket(raw));
    return wait > 0 ? { ok: false, retryAfter: wait } : { ok: false };
  }
  const poolItem = key.pool ? await ctx.store.pools.get(key.pool) : undefined;
  const pool = poolItem ? normalizePool(poolItem) : undefined;
  if (unavailable(key, pool)) return { ok: false };

  const now = ctx.clock.now();
  const secret = randomBytes(32).toString("base64url");
  const session: ObservatorySession = {
    keyId: key.id,
    id: randomBytes(8).toString("hex"),
    pool: key.pool as string,
    tokenHash: hashSecret(secret),
    createdAt: now,
    expiresAt: Math.floor((now + OBSERVATORY_SESSION_MS) / 1000),
  };
  await ctx.store.observatorySessions.put(session);
  // At most ten per key: the oldest beyond that (and any past their end) are removed.
  const sessions = await ctx.store.observatorySessions.list(key.id);
  const live = sessions
    .filter((s) => s.expiresAt * 1000 > now)
    .sort((a, b) => b.createdAt - a.createdAt || b.id.localeCompare(a.id));
  const kept = new Set(live.slice(0, OBSERVATORY_MAX_SESSIONS).map((s) => s.id));
  kept.add(session.id);
  const evicted = sessions.filter((s) => !kept.has(s.id));
  await Promise.all(evicted.map((s) => ctx.store.observatorySessions.delete(key.id, s.id)));
  await recordAudit(ctx, {
    actor: `api_key:${key.id}`,
    action: "observatory_session.create",
    targetType: "api_key",
    targetId: key.id,
    details: { pool: session.pool, evicted: evicted.length },
  });
  return { ok: true, token: `${key.id}.${session.id}.${secret}`, expiresAt: session.expiresAt * 1000 };
}

/** The signed-in key behind a session cookie, or undefined when the session is over or never was. */
export async function observatoryViewer(
  gw: ObservatoryDeps,
  token: string | undefined,
): Promise<ObservatoryViewer | undefined> {
  const match = token ? TOKEN.exec(token) : null;
  if (!match) return undefined;
  const [, keyId, sessionId, secret] = match as unknown as [string, string, string, string];
  const { ctx } = gw;
  const [session, key] = await Promise.all([
    ctx.store.observatorySessions.get(keyId, sessionId),
    ctx.store.credentials.get("pool_key", keyId),
  ]);
  if (!session || !secretMatches(secret, session.tokenHash)) return undefined;
  const now = ctx.clock.now();
  if (session.expiresAt * 1000 <= now || now - session.createdAt >= OBSERVATORY_SESSION_MS) return undefined;
  if (!key || key.pool !== session.pool || (key.sessionsEndedAt ?? 0) >= session.createdAt) return undefined;
  const poolItem = await ctx.store.pools.get(session.pool);
  const pool = poolItem ? normalizePool(poolItem) : undefined;
  if (unavailable(key, pool) || (pool?.disabledAt ?? 0) >= session.createdAt) return undefined;
  return { key, pool: pool as Pool, session };
}

/** Ends the session (sign-out); nothing happens for a token that names none. */
export async function observatorySignOut(gw: ObservatoryDeps, token: string | undefined): Promise<void> {
  const viewer = await observatoryViewer(gw, token);
  if (!viewer) return;
  await gw.ctx.store.observatorySessions.delete(viewer.key.id, viewer.session.id);
  await recordAudit(gw.ctx, {
    actor: `api_key:${viewer.key.id}`,
    action: "observatory_session.delete",
    targetType: "api_key",
    targetId: viewer.key.id,
  });
}
