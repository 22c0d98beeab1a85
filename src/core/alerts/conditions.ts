// One function per rule kind: given the Pool's persisted evidence, the conditions that hold now.
// Each finding carries its dedupe key (`<ruleId>:pool` or `<ruleId>:<accountId>`), a reason code,
// a one-line summary and a small evidence map (counts, labels, percents), never secrets.
import type { CoreContext } from "../context.ts";
import type { Account } from "../model.ts";
import type { RoutingSnapshot } from "../ports.ts";
import { addErrorCodes, bucketOf } from "../usage/rollups.ts";
import type { AlertRule, AssignmentState, Evidence } from "./model.ts";
import { freshWindows, inAssignmentState, type Unusable, unusableReason } from "./usability.ts";

export interface Finding {
  dedupeKey: string;
  reasonCode: string;
  summary: string;
  evidence: Evidence;
  accountId?: string;
  accountLabel?: string;
}

export interface PoolEvidence {
  accounts: Account[];
  snapshot: RoutingSnapshot;
  now: number;
}

function usability(rule: AlertRule, evidence: PoolEvidence) {
  const reasons = new Map<Unusable, number>();
  let usable = 0;
  for (const account of evidence.accounts) {
    const reason = unusableReason(account, rule.model, evidence.snapshot, evidence.now);
    if (reason) reasons.set(reason, (reasons.get(reason) ?? 0) + 1);
    else usable++;
  }
  const detail = [...reasons.entries()].map(([reason, n]) => `${n} ${reason}`).join(", ");
  return { usable, reasons, detail };
}

const forModel = (rule: AlertRule) => (rule.model ? ` for ${rule.model}` : "");

function noUsable(rule: AlertRule, evidence: PoolEvidence): Finding[] {
  const { usable, reasons, detail } = usability(rule, evidence);
  if (usable > 0) return [];
  const total = evidence.accounts.length;
  return [
    {
      dedupeKey: `${rule.id}:pool`,
      reasonCode: total === 0 ? "no_assignments" : "no_usable_assignments",
      summary:
        total === 0
          ? `Pool ${rule.pool} has no accounts`
          : `Pool ${rule.pool} has no usable account${forModel(rule)} (${total}: ${detail})`,
      evidence: { assignments: total, usable: 0, ...Object.fromEntries(reasons) },
    },
  ];
}

function lowUsable(rule: AlertRule, evidence: PoolEvidence): Finding[] {
  const min = rule.minUsableAssignments ?? 2;
  const { usable, reasons, detail } = usability(rule, evidence);
  if (!(usable > 0 && usable < min)) return [];
  return [
    {
      dedupeKey: `${rule.id}:pool`,
      reasonCode: "low_usable_assignments",
      summary: `Pool ${rule.pool} has ${usable} usable account(s)${forModel(rule)}, fewer than ${min} (${detail})`,
      evidence: {
        assignments: evidence.accounts.length,
        usable,
        minUsableAssignments: min,
        ...Object.fromEntries(reasons),
      },
    },
  ];
}

function allInState(rule: AlertRule, evidence: PoolEvidence): Finding[] {
  const state = rule.targetState as AssignmentState;
  const enabled = evidence.accounts.filter((a) => a.status !== "paused");
  if (enabled.length === 0 || !enabled.every((a) => inAssignmentState(a, state, evidence.now))) return [];
  return [
    {
      dedupeKey: `${rule.id}:pool`,
      reasonCode: `all_assignments_${state}`,
      summary: `All ${enabled.length} enabled account(s) of Pool ${rule.pool} are ${state.replace("_", " ")}`,
      evidence: { enabledAssignments: enabled.length, targetState: state },
    },
  ];
}

function quotaThreshold(rule: AlertRule, evidence: PoolEvidence): Finding[] {
  const threshold = rule.thresholdUsedPercent ?? 100;
  const selector = rule.windowSelector ?? "any";
  const findings: Finding[] = [];
  for (const account of evidence.accounts) {
    const { primary, secondary } = freshWindows(account, evidence.now);
    const windows = [
      selector !== "account_secondary" && primary ? (["account_primary", primary] as const) : undefined,
      selector !== "account_primary" && secondary ? (["account_secondary", secondary] as const) : undefined,
    ].filter((w) => w !== undefined && w[1].usedPercent >= threshold);
    const worst = windows.sort((a, b) => (b?.[1].usedPercent ?? 0) - (a?.[1].usedPercent ?? 0))[0];
    if (!worst) continue;
    const [name, window] = worst;
    findings.push({
      dedupeKey: `${rule.id}:${account.id}`,
      reasonCode: "quota_threshold_reached",
      summary: `Account ${account.label} used ${window.usedPercent}% of its ${name.replace("account_", "")} window (threshold ${threshold}%)`,
      accountId: account.id,
      accountLabel: account.label,
      evidence: {
        window: name,
        usedPercent: window.usedPercent,
        thresholdUsedPercent: threshold,
        windowMinutes: window.windowMinutes ?? null,
        resetAt: window.resetAt ? new Date(window.resetAt * 1000).toISOString() : null,
      },
    });
  }
  return findings;
}

function authState(rule: AlertRule, evidence: PoolEvidence): Finding[] {
  const state = rule.targetState;
  return evidence.accounts
    .filter((a) => a.status === state)
    .map((account) => ({
      dedupeKey: `${rule.id}:${account.id}`,
      reasonCode: `account_${state}`,
      summary:
        state === "reauth_required"
          ? `Account ${account.label} needs a new login (${account.lastErrorCode ?? "reauth_required"}); re-import its auth.json`
          : state === "refresh_failed"
            ? `Token refresh keeps failing for account ${account.label} (${account.lastErrorCode ?? "refresh_failed"})`
            : `Account ${account.label} is ${state}`,
      accountId: account.id,
      accountLabel: account.label,
      evidence: {
        status: account.status,
        lastErrorCode: account.lastErrorCode ?? null,
        refreshFailures: account.refreshFailures ?? null,
      },
    }));
}

/** From the Pool's five-minute buckets (src/core/usage/): requests and server-side failures (5xx, 429). */
async function errorRate(ctx: CoreContext, rule: AlertRule, now: number): Promise<Finding[]> {
  const windowMinutes = rule.windowMinutes ?? 15;
  const buckets = await ctx.store.usageRollups.listRecent(
    rule.pool,
    bucketOf(now - windowMinutes * 60_000),
    bucketOf(now),
  );
  let requests = 0;
  let errors = 0;
  const codes = new Map<string, number>();
  for (const bucket of buckets) {
    if (rule.model && bucket.model !== rule.model) continue;
    requests += bucket.requests;
    errors += bucket.failures;
    addErrorCodes(codes, bucket.errorCodes);
  }
  const threshold = rule.thresholdErrorPercent ?? 50;
  const minRequests = rule.minRequests ?? 10;
  const percent = requests ? Math.round((errors / requests) * 10_000) / 100 : 0;
  if (requests < minRequests || percent < threshold) return [];
  const top = [...codes.entries()].sort((a, b) => b[1] - a[1])[0];
  return [
    {
      dedupeKey: `${rule.id}:pool`,
      reasonCode: "error_rate_spike",
      summary: `Pool ${rule.pool}${forModel(rule)}: ${errors} of ${requests} requests failed (${percent}%) in the last ${windowMinutes} min`,
      evidence: {
        requests,
        errors,
        errorPercent: percent,
        thresholdErrorPercent: threshold,
        windowMinutes,
        topErrorCode: top?.[0] ?? null,
      },
    },
  ];
}

export async function findingsFor(
  ctx: CoreContext,
  rule: AlertRule,
  evidence: PoolEvidence,
): Promise<Finding[]> {
  switch (rule.kind) {
    case "pool_no_usable_assignments":
      return noUsable(rule, evidence);
    case "pool_low_usable_assignments":
      return lowUsable(rule, evidence);
    case "pool_all_assignments_in_state":
      return allInState(rule, evidence);
    case "upstream_quota_threshold":
      return quotaThreshold(rule, evidence);
    case "upstream_auth_state":
      return authState(rule, evidence);
    case "pool_error_rate_spike":
      return errorRate(ctx, rule, evidence.now);
  }
}
