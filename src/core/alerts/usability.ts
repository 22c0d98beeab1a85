// How the evaluator judges one account of a Pool, from persisted evidence only (no upstream call):
// the router's hard eligibility (status, refused model, quota exhaustion, an open circuit) and the
// quota postures `pool_all_assignments_in_state` names.
import type { Account, QuotaWindow } from "../model.ts";
import type { RoutingSnapshot } from "../ports.ts";
import { CIRCUIT, quotaExhausted } from "../routing/router.ts";
import { QUOTA_FRESH_MS } from "../routing/strategies.ts";
import type { AssignmentState } from "./model.ts";

export type Unusable =
  | "paused"
  | "reauth_required"
  | "refresh_failed"
  | "model_unavailable"
  | "quota_exhausted"
  | "circuit_open";

/**
 * Why the account cannot serve (the model, when given), or undefined when it can. Unlike the
 * router, a `refresh_failed` account counts as unusable even after its retry backoff: the
 * evidence says its refresh is failing. Without a model, an open circuit on any model counts.
 */
export function unusableReason(
  account: Account,
  model: string | undefined,
  snapshot: RoutingSnapshot,
  now: number,
): Unusable | undefined {
  if (account.status === "paused") return "paused";
  if (account.status === "reauth_required") return "reauth_required";
  if (account.status === "refresh_failed") return "refresh_failed";
  if (model && account.unavailableModels?.includes(model)) return "model_unavailable";
  if (quotaExhausted(account, now)) return "quota_exhausted";
  for (const circuit of snapshot.circuits.values()) {
    if (circuit.accountId !== account.id || (model && circuit.model !== model)) continue;
    const open = circuit.failures >= CIRCUIT.threshold && circuit.openUntil !== undefined;
    if (open && ((circuit.openUntil as number) > now || (circuit.probeUntil ?? 0) > now))
      return "circuit_open";
  }
  return undefined;
}

const live = (w: QuotaWindow | undefined, now: number): w is QuotaWindow =>
  w !== undefined && !(w.resetAt !== undefined && w.resetAt * 1000 <= now);

/** Fresh quota windows by name (none when the evidence is older than 15 minutes). */
export function freshWindows(
  account: Account,
  now: number,
): { primary?: QuotaWindow; secondary?: QuotaWindow } {
  const quota = account.quota;
  if (!quota || now - quota.observedAt > QUOTA_FRESH_MS) return {};
  return {
    primary: live(quota.primary, now) ? quota.primary : undefined,
    secondary: live(quota.secondary, now) ? quota.secondary : undefined,
  };
}

export function inAssignmentState(account: Account, state: AssignmentState, now: number): boolean {
  switch (state) {
    case "missing_evidence":
      return !account.quota;
    case "stale":
      return account.quota !== undefined && now - account.quota.observedAt > QUOTA_FRESH_MS;
    case "weekly_only": {
      const { primary, secondary } = freshWindows(account, now);
      return secondary !== undefined && primary === undefined;
    }
    case "exhausted":
      return quotaExhausted(account, now);
    case "reauth_required":
    case "refresh_failed":
      return account.status === state;
  }
}
