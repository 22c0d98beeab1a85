// The view functions: a domain record → the admin contract's response shape (src/admin-contract/
// responses.ts). The admin routes and the MCP tools both answer with these, so a field is named once;
// the return types are the contract's, so a view that drifts from its schema does not compile.
import type { z } from "zod";
import type * as C from "../admin-contract/responses.ts";
import { credentialScope, type Scope } from "../core/access/scope.ts";
import type { Settings } from "../core/access/settings.ts";
import { iso } from "../core/accounts/accounts.ts";
import { maskEmail } from "../core/accounts/auth-json.ts";
import { inviteStatus } from "../core/accounts/invites.ts";
import type { PollResult } from "../core/accounts/oauth-flows.ts";
import type { KeyUsageSnapshot } from "../core/keys/key-usage.ts";
import { credentialPrefix } from "../core/keys/secrets-format.ts";
import type {
  Account,
  AuditEvent,
  Credential,
  Invite,
  KeyPolicy,
  Pool,
  QuotaWindow,
  RequestLog,
} from "../core/model.ts";
import type { OAuthFlow } from "../core/ports.ts";
import { quotaExhausted } from "../core/routing/router.ts";
import type { RollupCounts } from "../core/usage/model.ts";
import type { UsageReport } from "../core/usage/report.ts";

type Out<S extends z.ZodType> = z.output<S>;

const secondsIso = (s: number | undefined) => iso(s === undefined ? undefined : s * 1000);

/** Who the caller is and what it may see. */
export function whoamiView(actor: string, scope: Scope): Out<typeof C.Whoami> {
  return { actor, role: scope.role, pools: [...scope.pools] };
}

/** `accountCount`: accounts serving the Pool; `keyCount`: its keys not revoked. */
export function poolView(pool: Pool, counts: { accountCount: number; keyCount: number }): Out<typeof C.Pool> {
  return {
    name: pool.name,
    strategy: pool.strategy,
    ringSize: pool.ringSize,
    allowImageGeneration: pool.allowImageGeneration ?? true,
    disabled: pool.disabled === true,
    createdAt: iso(pool.createdAt),
    updatedAt: iso(pool.updatedAt),
    accountCount: counts.accountCount,
    keyCount: counts.keyCount,
  };
}

function quotaView(account: Account, now: number): Out<typeof C.AccountQuota> | null {
  const quota = account.quota;
  if (!quota) return null;
  const window = (w: QuotaWindow | undefined) => ({
    usedPercent: w?.usedPercent ?? null,
    windowMinutes: w?.windowMinutes ?? null,
    resetAt: secondsIso(w?.resetAt),
  });
  const primary = window(quota.primary);
  const secondary = window(quota.secondary);
  return {
    primaryUsedPercent: primary.usedPercent,
    primaryWindowMinutes: primary.windowMinutes,
    primaryResetAt: primary.resetAt,
    secondaryUsedPercent: secondary.usedPercent,
    secondaryWindowMinutes: secondary.windowMinutes,
    secondaryResetAt: secondary.resetAt,
    exhausted: quotaExhausted(account, now),
    exhaustedUntil: secondsIso(quota.exhaustedUntil),
    observedAt: iso(quota.observedAt),
  };
}

/** An upstream account: labels, synthetic id, masked email; no token, no ChatGPT account or user id. */
export function accountView(account: Account, now: number): Out<typeof C.Account> {
  return {
    id: account.id,
    label: account.label,
    pools: account.pools,
    status: account.status,
    planType: account.planType ?? account.quota?.planType ?? null,
    email: maskEmail(account.email) ?? null,
    accessTokenExpiresAt: iso(account.accessTokenExpiresAt),
    lastRefreshAt: iso(account.lastRefreshAt),
    lastUsedAt: iso(account.lastUsedAt),
    lastErrorCode: account.lastErrorCode ?? null,
    lastSuccessAt: iso(account.lastSuccessAt),
    refreshRetryAt: iso(account.refreshRetryAt),
    quota: quotaView(account, now),
    unavailableModels: account.unavailableModels ?? [],
    createdAt: iso(account.createdAt),
    updatedAt: iso(account.updatedAt),
  };
}

/** Every field present; null means no cap. */
export function policyView(p: KeyPolicy | undefined): Out<typeof C.KeyPolicy> {
  return {
    allowedModels: p?.allowedModels ?? null,
    maxReasoningEffort: p?.maxReasoningEffort ?? null,
    requestsPerMinute: p?.requestsPerMinute ?? null,
    tokensPerDay: p?.tokensPerDay ?? null,
    tokensPerWeek: p?.tokensPerWeek ?? null,
  };
}

const credentialFields = (c: Credential) => ({
  label: c.label ?? null,
  status: c.status,
  createdAt: iso(c.createdAt),
  updatedAt: iso(c.updatedAt),
  lastUsedAt: iso(c.lastUsedAt),
  revokedAt: iso(c.revokedAt),
});

/** A Pool API key's metadata: the public prefix, never the secret or its hash. */
export function keyView(c: Credential): Out<typeof C.ApiKey> {
  return {
    id: c.id,
    prefix: credentialPrefix(c.kind, c.id),
    pool: c.pool ?? null,
    policy: policyView(c.policy),
    dashboardAccess: c.dashboardAccess === true,
    ...credentialFields(c),
  };
}

/** An admin or MCP token's metadata and scope. */
export function tokenView(c: Credential): Out<typeof C.Token> {
  const scope = credentialScope(c);
  return {
    id: c.id,
    prefix: credentialPrefix(c.kind, c.id),
    role: scope.role,
    pools: [...scope.pools],
    ...credentialFields(c),
  };
}

export const credentialView = (c: Credential) => (c.kind === "pool_key" ? keyView(c) : tokenView(c));

/**
 * A key's counters in the current minute, UTC day and ISO week, next to its limits. Requests are
 * counted only for keys with a rate or token limit (null otherwise); tokens for every key.
 */
export function keyUsageView(c: Credential, u: KeyUsageSnapshot): Out<typeof C.KeyUsageResponse> {
  const p = c.policy;
  const counted = Boolean(p?.requestsPerMinute || p?.tokensPerDay || p?.tokensPerWeek);
  const requests = (n: number) => (counted ? n : null);
  const window = (w: { id: string; endsAt: number }) => ({
    window: w.id,
    resetsAt: iso(w.endsAt),
  });
  return {
    keyId: c.id,
    at: iso(u.at),
    minute: {
      ...window(u.windows.minute),
      requests: requests(u.minute.requests),
      requestsLimit: p?.requestsPerMinute ?? null,
    },
    day: {
      ...window(u.windows.day),
      requests: requests(u.day.requests),
      tokens: u.day.tokens,
      tokensLimit: p?.tokensPerDay ?? null,
    },
    week: {
      ...window(u.windows.week),
      requests: requests(u.week.requests),
      tokens: u.week.tokens,
      tokensLimit: p?.tokensPerWeek ?? null,
    },
  };
}

/** `2xx` for 200-299 and so on (statuses are 100-599). */
export const statusClassOf = (status: number) =>
  `${Math.floor(status / 100)}xx` as Out<typeof C.RequestLog>["statusClass"];

export function requestLogView(r: RequestLog): Out<typeof C.RequestLog> {
  return {
    id: r.id,
    at: iso(r.at),
    pool: r.pool ?? null,
    keyId: r.keyId ?? null,
    accountId: r.accountId ?? null,
    accountLabel: r.accountLabel ?? null,
    route: r.route,
    method: r.method,
    transport: r.transport,
    model: r.model ?? null,
    status: r.status,
    statusClass: statusClassOf(r.status),
    errorCode: r.errorCode ?? null,
    attempts: r.attempts,
    durationMs: r.durationMs,
    ttfbMs: r.ttfbMs ?? null,
    usage: r.usage ?? null,
  };
}

export function auditView(e: AuditEvent): Out<typeof C.AuditEvent> {
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

export function inviteView(invite: Invite, now: number): Out<typeof C.Invite> {
  return {
    id: invite.id,
    pool: invite.pool,
    email: maskEmail(invite.email) ?? null,
    label: invite.label ?? null,
    status: inviteStatus(invite, now),
    createdBy: invite.createdBy,
    createdAt: iso(invite.createdAt),
    expiresAt: iso(invite.endsAt),
    acceptedAt: iso(invite.acceptedAt),
    revokedAt: iso(invite.revokedAt),
    accountId: invite.accountId ?? null,
  };
}

export function settingsView(s: Settings): Out<typeof C.Settings> {
  return {
    settings: {
      mcpEnabled: s.mcpEnabled,
      firewall: { ...s.firewall, enabled: s.firewall.allow.length > 0 },
      updatedAt: iso(s.updatedAt),
    },
  };
}

const countsView = (c: RollupCounts) => ({
  requests: c.requests,
  errors: c.errors,
  inputTokens: c.inputTokens,
  cachedTokens: c.cachedTokens,
  outputTokens: c.outputTokens,
  reasoningTokens: c.reasoningTokens,
  totalTokens: c.totalTokens,
  byStatusClass: { "2xx": c.status2xx, "3xx": c.status3xx, "4xx": c.status4xx, "5xx": c.status5xx },
});

export function usageReportView(
  report: UsageReport,
  filters: { pool?: string; key?: string },
): Out<typeof C.UsageReport> {
  return {
    since: report.fromDay,
    until: report.toDay,
    groupBy: report.groupBy,
    filters: { pool: filters.pool ?? null, key: filters.key ?? null },
    data: report.rows.map((row) => ({
      group: row.group,
      label: row.label ?? null,
      pool: row.pool ?? null,
      ...countsView(row.counts),
      errorCodes: row.errorCodes,
    })),
    totals: countsView(report.totals),
  };
}

export function deviceFlowView(flow: OAuthFlow): Out<typeof C.DeviceFlow> {
  return {
    id: flow.id,
    kind: "device",
    verificationUrl: flow.verificationUrl ?? null,
    userCode: flow.userCode ?? null,
    intervalSeconds: flow.intervalSeconds ?? null,
    expiresAt: iso(flow.endsAt),
  };
}

export function browserFlowView(flow: OAuthFlow, authorizeUrl: string): Out<typeof C.BrowserFlow> {
  return { id: flow.id, kind: "browser", authorizeUrl, expiresAt: iso(flow.endsAt) };
}

/** A login's progress; `account` renders the account once it is complete. */
export function loginResultView(
  result: PollResult,
  account: (a: Account) => Out<typeof C.Account>,
): Out<typeof C.LoginResult> {
  if (result.status === "complete") {
    return { status: result.status, account: account(result.account), warnings: result.warnings };
  }
  return {
    status: result.status,
    intervalSeconds: result.flow.intervalSeconds ?? null,
    expiresAt: iso(result.flow.endsAt),
  };
}
