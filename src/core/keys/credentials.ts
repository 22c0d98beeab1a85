// Pool API keys, MCP tokens and admin tokens: minting (raw value returned once), lifecycle, and
// verification with a short in-memory cache so the hot path does not pay a store read per request.

import { randomBytes } from "node:crypto";
import { credentialScope, describeScope, MAX_SCOPE_POOLS, type OperatorRole } from "../access/scope.ts";
import { recordAudit } from "../audit.ts";
import type { CoreContext } from "../context.ts";
import { badRequest, GatewayError } from "../errors.ts";
import type { Credential, CredentialKind, CredentialStatus } from "../model.ts";
import { requirePool } from "../pools/pools.ts";
import { TtlCache } from "../support/ttl-cache.ts";
import { applyPolicy, type KeyPolicyInput } from "./key-policy.ts";
import { dropObservatorySessions } from "./observatory-sessions.ts";
import {
  credentialPrefix,
  hashSecret,
  mintCredential,
  parseCredential,
  secretMatches,
} from "./secrets-format.ts";

const CACHE_TTL_MS = 5_000;
/**
 * An active key read less than this long ago is let through at once while it is re-read in the
 * background (stale-while-revalidate): the bound within which a pause, revoke or rotation made on
 * another instance takes effect here (docs/key-policy.md). On the instance that made it: at once.
 */
export const KEY_STALE_MS = 30_000;
const TOUCH_INTERVAL_MS = 60_000;
const LABEL_MAX = 160;

const AUDIT_TARGET: Record<CredentialKind, string> = {
  pool_key: "api_key",
  mcp_token: "mcp_token",
  admin_token: "admin_token",
};

/** What an unknown id's secret is compared with: a digest of nothing anyone holds (and never a match). */
const UNKNOWN_ID_HASH = hashSecret(randomBytes(32).toString("base64url"));

/** Unknown ids cached at most; an id sprayer cannot grow memory past this. */
const MAX_CACHED = 20_000;

/** Told about a status change or rotation made on this instance (other instances: see verify's cache). */
export type CredentialListener = (credential: Credential) => void;

export class CredentialService {
  /** Undefined values: the id is unknown (cached too, so unknown and known ids cost the same to check). */
  readonly #cache: TtlCache<Credential | undefined>;
  readonly #listeners = new Set<CredentialListener>();

  constructor(private readonly ctx: CoreContext) {
    this.#cache = new TtlCache(ctx.clock, {
      ttlMs: CACHE_TTL_MS,
      staleMs: KEY_STALE_MS,
      // Only a Pool key that worked may keep working while it is re-read (the runtime's hot path); a
      // refusal is always re-checked, and MCP and admin tokens are read again after 5 s.
      serveStale: (value) => {
        const credential = value as Credential | undefined;
        return credential?.kind === "pool_key" && credential.status === "active";
      },
      background: (task) => ctx.background(task),
      maxEntries: MAX_CACHED,
    });
  }

  /**
   * Subscribes to pause/resume/revoke/rotate on this instance (open WebSockets close on it); returns
   * the unsubscribe. Other instances notice within the verify cache TTL, when they next check.
   */
  onChange(listener: CredentialListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  #notify(credential: Credential): void {
    for (const listener of this.#listeners) {
      try {
        listener(credential);
      } catch (error) {
        this.ctx.logger.warn("credential listener failed", { id: credential.id, error: String(error) });
      }
    }
  }

  async create(
    kind: CredentialKind,
    input: { pool?: string; label?: string; policy?: KeyPolicyInput; dashboardAccess?: boolean } & ScopeInput,
    actor: string,
  ): Promise<{ credential: Credential; secret: string }> {
    const label = normalizeLabel(input.label);
    if (kind === "pool_key") {
      if (!input.pool) throw badRequest("pool is required", "pool");
      await requirePool(this.ctx, input.pool);
    } else if (input.policy) {
      throw badRequest("only Pool API keys have a policy", "policy");
    } else if (input.dashboardAccess !== undefined) {
      throw badRequest("only Pool API keys have dashboard access", "dashboardAccess");
    }
    const scope = await this.#scopeFields(kind, input);
    const { policy, changed } = applyPolicy(undefined, input.policy);
    const minted = mintCredential(kind);
    const now = this.ctx.clock.now();
    const credential: Credential = {
      kind,
      id: minted.id,
      pool: kind === "pool_key" ? input.pool : undefined,
      label,
      status: "active",
      secretHash: minted.secretHash,
      createdAt: now,
      updatedAt: now,
      policy,
      ...scope,
      ...(kind === "pool_key" ? { dashboardAccess: input.dashboardAccess === true } : {}),
    };
    await this.ctx.store.credentials.create(credential);
    this.#cache.delete(`${kind}:${minted.id}`);
    await recordAudit(this.ctx, {
      actor,
      action: `${AUDIT_TARGET[kind]}.create`,
      targetType: AUDIT_TARGET[kind],
      targetId: minted.id,
      details: {
        pool: credential.pool ?? null,
        label: label ?? null,
        ...(changed.length > 0 ? { policy: changed.join(",") } : {}),
        ...(kind === "pool_key"
          ? { dashboardAccess: credential.dashboardAccess === true }
          : { scope: scopeText(credential) }),
      },
    });
    return { credential, secret: minted.raw };
  }

  /** Role and Pool assignments of admin and MCP tokens; every assigned Pool must exist. */
  async #scopeFields(kind: CredentialKind, input: ScopeInput): Promise<Pick<Credential, "role" | "pools">> {
    if (input.role === undefined && input.pools === undefined) return {};
    if (kind === "pool_key") throw badRequest("Pool API keys have no role; they belong to one Pool", "role");
    const role = input.role ?? (input.pools !== undefined ? "pool_admin" : "owner");
    if (role === "owner") {
      if (input.pools !== undefined && input.pools.length > 0) {
        throw badRequest("an owner token has every Pool; assign Pools only with role pool_admin", "pools");
      }
      return kind === "admin_token" ? { role: "owner" } : {};
    }
    const pools = [...new Set(input.pools ?? [])].sort();
    if (pools.length === 0) {
      throw badRequest("a pool_admin token needs at least one Pool (pools)", "pools");
    }
    if (pools.length > MAX_SCOPE_POOLS) throw badRequest(`at most ${MAX_SCOPE_POOLS} Pools`, "pools");
    for (const pool of pools) await requirePool(this.ctx, pool);
    return { role: "pool_admin", pools };
  }

  /** Label and policy edits; the audit event names the changed fields, never their values. */
  async update(
    kind: CredentialKind,
    id: string,
    input: { label?: string; policy?: KeyPolicyInput; dashboardAccess?: boolean } & ScopeInput,
    actor: string,
  ): Promise<Credential> {
    const current = await this.#requireLive(kind, id);
    if (input.policy && kind !== "pool_key") throw badRequest("only Pool API keys have a policy", "policy");
    if (input.dashboardAccess !== undefined && kind !== "pool_key") {
      throw badRequest("only Pool API keys have dashboard access", "dashboardAccess");
    }
    const patch: Partial<Omit<Credential, "id" | "kind" | "createdAt">> = {};
    const changed: string[] = [];
    if (input.role !== undefined || input.pools !== undefined) {
      const scope = await this.#scopeFields(kind, {
        role: input.role ?? (input.pools !== undefined ? "pool_admin" : current.role),
        pools: input.pools ?? (input.role === "owner" ? undefined : current.pools),
      });
      if (scopeText(scope) !== scopeText(current)) {
        patch.role = scope.role ?? "owner";
        // An owner has no Pool list: remove the attribute rather than keep a stale one.
        patch.pools = scope.pools;
        changed.push("scope");
      }
    }
    if (input.label !== undefined) {
      const label = normalizeLabel(input.label);
      if (label !== current.label) {
        patch.label = label;
        changed.push("label");
      }
    }
    const policy = applyPolicy(current.policy, input.policy);
    if (policy.changed.length > 0) {
      patch.policy = policy.policy;
      changed.push(...policy.changed);
    }
    const now = this.ctx.clock.now();
    let sessionsEnd = false;
    if (input.dashboardAccess !== undefined && input.dashboardAccess !== (current.dashboardAccess === true)) {
      patch.dashboardAccess = input.dashboardAccess;
      changed.push("dashboardAccess");
      // Turning access off ends the key's dashboard sessions in the same write.
      if (!input.dashboardAccess) {
        patch.sessionsEndedAt = now;
        sessionsEnd = true;
      }
    }
    if (changed.length === 0) return current;
    const updated = await this.ctx.store.credentials.update(kind, id, { ...patch, updatedAt: now });
    if (sessionsEnd) await dropObservatorySessions(this.ctx, id);
    this.#cache.delete(`${kind}:${id}`);
    await recordAudit(this.ctx, {
      actor,
      action: `${AUDIT_TARGET[kind]}.update`,
      targetType: AUDIT_TARGET[kind],
      targetId: id,
      details: {
        changed: changed.join(","),
        ...(changed.includes("scope") ? { scope: scopeText(updated) } : {}),
      },
    });
    this.#notify(updated);
    return updated;
  }

  list(kind: CredentialKind, filter: { pool?: string } = {}): Promise<Credential[]> {
    return this.ctx.store.credentials.list(kind, filter);
  }

  async setStatus(
    kind: CredentialKind,
    id: string,
    action: "pause" | "resume" | "revoke",
    actor: string,
  ): Promise<Credential> {
    const current = await this.#requireLive(kind, id);
    const status: CredentialStatus =
      action === "pause" ? "paused" : action === "resume" ? "active" : "revoked";
    const now = this.ctx.clock.now();
    // Pausing and revoking end the key's dashboard sessions in the same write (resuming starts none).
    const endsSessions = kind === "pool_key" && status !== "active";
    const updated = await this.ctx.store.credentials.update(kind, id, {
      status,
      updatedAt: now,
      ...(status === "revoked" ? { revokedAt: now } : {}),
      ...(endsSessions ? { sessionsEndedAt: now } : {}),
    });
    this.#cache.delete(`${kind}:${id}`);
    if (endsSessions) await dropObservatorySessions(this.ctx, id);
    await recordAudit(this.ctx, {
      actor,
      action: `${AUDIT_TARGET[kind]}.${action}`,
      targetType: AUDIT_TARGET[kind],
      targetId: id,
      details: { from: current.status, to: status },
    });
    this.#notify(updated);
    return updated;
  }

  /** New secret, same id and settings; the old secret stops working at once. */
  async rotate(
    kind: CredentialKind,
    id: string,
    actor: string,
  ): Promise<{ credential: Credential; secret: string }> {
    await this.#requireLive(kind, id);
    const minted = mintCredential(kind, id);
    const now = this.ctx.clock.now();
    const credential = await this.ctx.store.credentials.update(kind, id, {
      secretHash: minted.secretHash,
      updatedAt: now,
      ...(kind === "pool_key" ? { sessionsEndedAt: now } : {}),
    });
    this.#cache.delete(`${kind}:${id}`);
    if (kind === "pool_key") await dropObservatorySessions(this.ctx, id);
    await recordAudit(this.ctx, {
      actor,
      action: `${AUDIT_TARGET[kind]}.rotate`,
      targetType: AUDIT_TARGET[kind],
      targetId: id,
    });
    this.#notify(credential);
    return { credential, secret: minted.raw };
  }

  /**
   * Removes the credential for good (any status): it stops working at once here and within the
   * verify cache's 5 s elsewhere; open WebSockets on this instance close, dashboard sessions end.
   */
  async delete(kind: CredentialKind, id: string, actor: string): Promise<void> {
    const current = await this.#require(kind, id);
    await this.ctx.store.credentials.delete(kind, id);
    this.#cache.delete(`${kind}:${id}`);
    if (kind === "pool_key") await dropObservatorySessions(this.ctx, id);
    await recordAudit(this.ctx, {
      actor,
      action: `${AUDIT_TARGET[kind]}.delete`,
      targetType: AUDIT_TARGET[kind],
      targetId: id,
      details: { pool: current.pool ?? null, status: current.status },
    });
    this.#notify({ ...current, status: "revoked" });
  }

  /**
   * Resolves a raw bearer value to its credential, or undefined when it is malformed, unknown or the
   * secret does not match. Status is left to the caller (each surface words it differently).
   */
  async verify(
    kind: CredentialKind,
    raw: string | undefined,
    /** `deferTouch`: the caller stamps `lastUsedAt` itself (`touch`), after its response has started. */
    options: { deferTouch?: boolean } = {},
  ): Promise<Credential | undefined> {
    const parsed = parseCredential(raw);
    if (!parsed || parsed.kind !== kind) return undefined;
    const key = `${kind}:${parsed.id}`;
    const stale = this.#cache.fresh(key) ? undefined : this.#cache.latest(key);
    let credential = await this.#load(kind, parsed.id);
    if (stale && credential === stale && !secretMatches(parsed.secret, credential.secretHash)) {
      // Served from a stale entry, with another secret: the key may have been rotated elsewhere.
      // Wait for the re-read that began (one store read, as for an unknown id).
      credential = await this.#cache.revalidate(key, () => this.ctx.store.credentials.get(kind, parsed.id));
    }
    // An unknown id is compared against a stand-in hash, so it costs what a wrong secret costs.
    const matches = secretMatches(parsed.secret, credential?.secretHash ?? UNKNOWN_ID_HASH);
    if (!credential || !matches) return undefined;
    if (!options.deferTouch) this.touch(credential);
    return credential;
  }

  /**
   * Starts (or joins) the read `verify` will make for this bearer value, checking nothing: a host
   * that must wait for something else first (the origin check on AWS) overlaps the two. Resolves
   * with the credential when the secret matches (status unchecked, nothing touched), else undefined;
   * never rejects.
   */
  async prefetch(kind: CredentialKind, raw: string | undefined): Promise<Credential | undefined> {
    const parsed = parseCredential(raw);
    if (!parsed || parsed.kind !== kind) return undefined;
    const credential = await this.#load(kind, parsed.id).catch(() => undefined);
    return credential && secretMatches(parsed.secret, credential.secretHash) ? credential : undefined;
  }

  #load(kind: CredentialKind, id: string): Promise<Credential | undefined> {
    return this.#cache.get(`${kind}:${id}`, () => this.ctx.store.credentials.get(kind, id));
  }

  /** Whether `touch` would write now (at most once a minute per credential and instance). */
  touchDue(credential: Credential): boolean {
    return !credential.lastUsedAt || this.ctx.clock.now() - credential.lastUsedAt >= TOUCH_INTERVAL_MS;
  }

  /** Stamps `lastUsedAt` in the background, at most once a minute per credential and instance. */
  touch(credential: Credential): void {
    const now = this.ctx.clock.now();
    if (!this.touchDue(credential)) return;
    credential.lastUsedAt = now; // debounce locally before the write lands
    this.ctx.background(
      this.ctx.store.credentials
        .update(credential.kind, credential.id, { lastUsedAt: now })
        .catch((error) => {
          this.ctx.logger.warn("credential touch failed", {
            kind: credential.kind,
            id: credential.id,
            error: String(error),
          });
        }),
    );
  }

  /** The stored credential, uncached; 404 when it does not exist. */
  get(kind: CredentialKind, id: string): Promise<Credential> {
    return this.#require(kind, id);
  }

  /** Revoked is terminal: nothing may change a revoked credential any more. */
  async #requireLive(kind: CredentialKind, id: string): Promise<Credential> {
    const current = await this.#require(kind, id);
    if (current.status === "revoked") {
      throw new GatewayError(
        409,
        "credential_revoked",
        `${credentialPrefix(kind, id)} is revoked; create a new one`,
      );
    }
    return current;
  }

  async #require(kind: CredentialKind, id: string): Promise<Credential> {
    const credential = await this.ctx.store.credentials.get(kind, id);
    if (!credential) {
      throw new GatewayError(404, `${kind}_not_found`, `${credentialPrefix(kind, id)} does not exist`);
    }
    return credential;
  }
}

/** Role and Pool assignments as the admin API takes them (admin and MCP tokens). */
export interface ScopeInput {
  role?: OperatorRole;
  pools?: string[];
}

const scopeText = (c: Pick<Credential, "role" | "pools">) => describeScope(credentialScope(c));

export function normalizeLabel(label: string | undefined): string | undefined {
  if (label === undefined) return undefined;
  const trimmed = label.trim();
  if (trimmed.length === 0) return undefined;
  if (trimmed.length > LABEL_MAX || [...trimmed].some((ch) => ch.charCodeAt(0) < 0x20)) {
    throw badRequest(`label must be at most ${LABEL_MAX} printable characters`, "label");
  }
  return trimmed;
}
