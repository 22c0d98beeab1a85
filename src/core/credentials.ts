// Pool API keys, MCP tokens and admin tokens: minting (raw value returned once), lifecycle, and
// verification with a short in-memory cache so the hot path does not pay a store read per request.
import { recordAudit } from "./audit.ts";
import type { CoreContext } from "./context.ts";
import { badRequest, GatewayError } from "./errors.ts";
import { applyPolicy, type KeyPolicyInput } from "./key-policy.ts";
import type { Credential, CredentialKind, CredentialStatus } from "./model.ts";
import { dropObservatorySessions } from "./observatory.ts";
import { requirePool } from "./pools.ts";
import { credentialPrefix, mintCredential, parseCredential, secretMatches } from "./secrets-format.ts";
import { TtlCache } from "./ttl-cache.ts";

const CACHE_TTL_MS = 5_000;
const TOUCH_INTERVAL_MS = 60_000;
const LABEL_MAX = 160;

const AUDIT_TARGET: Record<CredentialKind, string> = {
  pool_key: "api_key",
  mcp_token: "mcp_token",
  admin_token: "admin_token",
};

/** Unknown ids cached at most; an id sprayer cannot grow memory past this. */
const MAX_CACHED = 20_000;

/** Told about a status change or rotation made on this instance (other instances: see verify's cache). */
export type CredentialListener = (credential: Credential) => void;

export class CredentialService {
  /** Undefined values: the id is unknown (cached too, so unknown and known ids cost the same to check). */
  readonly #cache: TtlCache<Credential | undefined>;
  readonly #listeners = new Set<CredentialListener>();

  constructor(private readonly ctx: CoreContext) {
    this.#cache = new TtlCache(ctx.clock, { ttlMs: CACHE_TTL_MS, maxEntries: MAX_CACHED });
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
    input: { pool?: string; label?: string; policy?: KeyPolicyInput; dashboardAccess?: boolean },
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
        ...(kind === "pool_key" ? { dashboardAccess: credential.dashboardAccess === true } : {}),
      },
    });
    return { credential, secret: minted.raw };
  }

  /** Label and policy edits; the audit event names the changed fields, never their values. */
  async update(
    kind: CredentialKind,
    id: string,
    input: { label?: string; policy?: KeyPolicyInput; dashboardAccess?: boolean },
    actor: string,
  ): Promise<Credential> {
    const current = await this.#requireLive(kind, id);
    if (input.policy && kind !== "pool_key") throw badRequest("only Pool API keys have a policy", "policy");
    if (input.dashboardAccess !== undefined && kind !== "pool_key") {
      throw badRequest("only Pool API keys have dashboard access", "dashboardAccess");
    }
    const patch: Partial<Omit<Credential, "id" | "kind" | "createdAt">> = {};
    const changed: string[] = [];
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
      details: { changed: changed.join(",") },
    });
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
    options: { cachedOnly?: boolean } = {},
  ): Promise<Credential | undefined> {
    const parsed = parseCredential(raw);
    if (!parsed || parsed.kind !== kind) return undefined;
    const credential = await this.#cached(kind, parsed.id, options.cachedOnly === true);
    if (!credential || !secretMatches(parsed.secret, credential.secretHash)) return undefined;
    this.#touch(credential);
    return credential;
  }

  async #cached(kind: CredentialKind, id: string, cachedOnly: boolean): Promise<Credential | undefined> {
    const key = `${kind}:${id}`;
    if (cachedOnly) return this.#cache.fresh(key)?.value;
    return this.#cache.get(key, () => this.ctx.store.credentials.get(kind, id));
  }

  #touch(credential: Credential): void {
    const now = this.ctx.clock.now();
    if (credential.lastUsedAt && now - credential.lastUsedAt < TOUCH_INTERVAL_MS) return;
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

export function normalizeLabel(label: string | undefined): string | undefined {
  if (label === undefined) return undefined;
  const trimmed = label.trim();
  if (trimmed.length === 0) return undefined;
  if (trimmed.length > LABEL_MAX || [...trimmed].some((ch) => ch.charCodeAt(0) < 0x20)) {
    throw badRequest(`label must be at most ${LABEL_MAX} printable characters`, "label");
  }
  return trimmed;
}
