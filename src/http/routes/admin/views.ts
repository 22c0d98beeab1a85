// Admin API shapes: ISO times, no secrets, nulls rather than missing fields.

import { credentialScope } from "../../../core/access/scope.ts";
import { iso } from "../../../core/accounts/accounts.ts";
import type { KeyUsageSnapshot } from "../../../core/keys/key-usage.ts";
import { credentialPrefix } from "../../../core/keys/secrets-format.ts";
import type { AuditEvent, Credential, KeyPolicy, RequestLog } from "../../../core/model.ts";

export function credentialView(c: Credential) {
  return {
    id: c.id,
    prefix: credentialPrefix(c.kind, c.id),
    ...(c.kind === "pool_key"
      ? { pool: c.pool ?? null, policy: policyView(c.policy), dashboardAccess: c.dashboardAccess === true }
      : { role: credentialScope(c).role, pools: credentialScope(c).pools }),
    label: c.label ?? null,
    status: c.status,
    createdAt: iso(c.createdAt),
    updatedAt: iso(c.updatedAt),
    lastUsedAt: iso(c.lastUsedAt),
    revokedAt: iso(c.revokedAt),
  };
}

/** Every field present; null means no cap. */
export function policyView(p: KeyPolicy | undefined) {
  return {
    allowedModels: p?.allowedModels ?? null,
    maxReasoningEffort: p?.maxReasoningEffort ?? null,
    requestsPerMinute: p?.requestsPerMinute ?? null,
    tokensPerDay: p?.tokensPerDay ?? null,
    tokensPerWeek: p?.tokensPerWeek ?? null,
  };
}

/**
 * A key's counters in the current minute, UTC day and ISO week, next to its limits. Requests are
 * counted only for keys with a rate or token limit (null otherwise); tokens for every key.
 */
export function keyUsageView(c: Credential, u: KeyUsageSnapshot) {
  const p = c.policy;
  const counted = Boolean(p?.requestsPerMinute || p?.tokensPerDay || p?.tokensPerWeek);
  const requests = (n: number) => (counted ? n : null);
  return {
    keyId: c.id,
    at: iso(u.at),
    minute: {
      window: u.windows.minute.id,
      resetsAt: iso(u.windows.minute.endsAt),
      requests: requests(u.minute.requests),
      requestsLimit: p?.requestsPerMinute ?? null,
    },
    day: {
      window: u.windows.day.id,
      resetsAt: iso(u.windows.day.endsAt),
      requests: requests(u.day.requests),
      tokens: u.day.tokens,
      tokensLimit: p?.tokensPerDay ?? null,
    },
    week: {
      window: u.windows.week.id,
      resetsAt: iso(u.windows.week.endsAt),
      requests: requests(u.week.requests),
      tokens: u.week.tokens,
      tokensLimit: p?.tokensPerWeek ?? null,
    },
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
