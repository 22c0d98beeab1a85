// MCP answer shapes: labels and synthetic ids only. Unlike the admin API there is no email at all
// (not even masked), no ChatGPT account or user id, no token expiry detail beyond a timestamp, and
// no secret hashes.

import { credentialPrefix } from "../core/keys/secrets-format.ts";
import type { Account, AuditEvent, Credential, Pool, QuotaWindow, RequestLog } from "../core/model.ts";
import { quotaExhausted } from "../core/routing/router.ts";
import { iso, isoSeconds, statusClassOf } from "./query.ts";

export function poolView(pool: Pool) {
  return {
    name: pool.name,
    strategy: pool.strategy,
    ringSize: pool.ringSize,
    createdAt: iso(pool.createdAt),
    updatedAt: iso(pool.updatedAt),
  };
}

function windowView(w: QuotaWindow | undefined) {
  if (!w) return null;
  return {
    usedPercent: w.usedPercent,
    remainingPercent: Math.max(0, Math.round((100 - w.usedPercent) * 100) / 100),
    windowMinutes: w.windowMinutes ?? null,
    resetAt: isoSeconds(w.resetAt),
  };
}

export function accountView(account: Account, now: number) {
  const quota = account.quota;
  return {
    id: account.id,
    label: account.label,
    pools: account.pools,
    status: account.status,
    plan: account.planType ?? quota?.planType ?? null,
    lastErrorCode: account.lastErrorCode ?? null,
    quota: quota
      ? {
          observedAt: iso(quota.observedAt),
          primary: windowView(quota.primary),
          secondary: windowView(quota.secondary),
          exhausted: quotaExhausted(account, now),
          exhaustedUntil:
            quota.exhaustedUntil && quota.exhaustedUntil * 1000 > now
              ? isoSeconds(quota.exhaustedUntil)
              : null,
        }
      : null,
    unavailableModels: account.unavailableModels ?? [],
    lastUsedAt: iso(account.lastUsedAt),
    lastSuccessAt: iso(account.lastSuccessAt),
    lastRefreshAt: iso(account.lastRefreshAt),
    refreshRetryAt: iso(account.refreshRetryAt),
    accessTokenExpiresAt: iso(account.accessTokenExpiresAt),
    createdAt: iso(account.createdAt),
  };
}

/** Pool API key metadata: the public prefix (`sk-cxp-<id>`) and settings, never the secret or its hash. */
export function keyView(key: Credential) {
  return {
    id: key.id,
    prefix: credentialPrefix(key.kind, key.id),
    pool: key.pool ?? null,
    label: key.label ?? null,
    status: key.status,
    policy: key.policy
      ? {
          allowedModels: key.policy.allowedModels ?? null,
          maxReasoningEffort: key.policy.maxReasoningEffort ?? null,
          requestsPerMinute: key.policy.requestsPerMinute ?? null,
          tokensPerDay: key.policy.tokensPerDay ?? null,
          tokensPerWeek: key.policy.tokensPerWeek ?? null,
        }
      : null,
    createdAt: iso(key.createdAt),
    lastUsedAt: iso(key.lastUsedAt),
    revokedAt: iso(key.revokedAt),
  };
}

export function requestLogView(log: RequestLog) {
  return {
    id: log.id,
    at: iso(log.at),
    pool: log.pool ?? null,
    keyId: log.keyId ?? null,
    accountId: log.accountId ?? null,
    accountLabel: log.accountLabel ?? null,
    route: log.route,
    method: log.method,
    transport: log.transport,
    model: log.model ?? null,
    status: log.status,
    statusClass: statusClassOf(log.status),
    errorCode: log.errorCode ?? null,
    attempts: log.attempts,
    durationMs: log.durationMs,
    ttfbMs: log.ttfbMs ?? null,
    usage: log.usage ?? null,
  };
}

export function auditView(event: AuditEvent) {
  return {
    id: event.id,
    at: iso(event.at),
    actor: event.actor,
    action: event.action,
    targetType: event.targetType,
    targetId: event.targetId ?? null,
    outcome: event.outcome,
    details: event.details ?? {},
  };
}
