// Admin API shapes: ISO times, no secrets, nulls rather than missing fields.
import { iso } from "../../../core/accounts.ts";
import type { AuditEvent, Credential, RequestLog } from "../../../core/model.ts";
import { credentialPrefix } from "../../../core/secrets-format.ts";

export function credentialView(c: Credential) {
  return {
    id: c.id,
    prefix: credentialPrefix(c.kind, c.id),
    ...(c.kind === "pool_key" ? { pool: c.pool ?? null } : {}),
    label: c.label ?? null,
    status: c.status,
    createdAt: iso(c.createdAt),
    updatedAt: iso(c.updatedAt),
    lastUsedAt: iso(c.lastUsedAt),
    revokedAt: iso(c.revokedAt),
  };
}

export function requestLogView(r: RequestLog) {
  return {
    id: r.id,
    at: iso(r.at),
    pool: r.pool ?? null,
    keyId: r.keyId ?? null,
    accountLabel: r.accountLabel ?? null,
    route: r.route,
    method: r.method,
    transport: r.transport,
    model: r.model ?? null,
    status: r.status,
    errorCode: r.errorCode ?? null,
    attempts: r.attempts,
    durationMs: r.durationMs,
    ttfbMs: r.ttfbMs ?? null,
    usage: r.usage ?? null,
  };
}

export function auditView(e: AuditEvent) {
  return {
    id: e.id,
    at: iso(e.at),
    actor: e.actor,
    action: e.action,
    targetType: e.targetType,
    targetId: e.targetId ?? null,
    outcome: e.outcome,
    details: e.details ?? {},
  };
}
