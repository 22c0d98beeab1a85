// Quota evidence read off upstream responses (codex-protocol §4): rate-limit headers on every
// response and the usage-limit 429 body. Only numbers and plan names are kept.
import type { QuotaEvidence, QuotaWindow } from "./model.ts";

function window(headers: Headers, name: "primary" | "secondary", nowMs: number): QuotaWindow | undefined {
  const used = Number.parseFloat(headers.get(`x-codex-${name}-used-percent`) ?? "");
  if (!Number.isFinite(used)) return undefined;
  const minutes = Number.parseInt(headers.get(`x-codex-${name}-window-minutes`) ?? "", 10);
  const resetAt = Number.parseInt(headers.get(`x-codex-${name}-reset-at`) ?? "", 10);
  const resetAfter = Number.parseInt(headers.get(`x-codex-${name}-reset-after-seconds`) ?? "", 10);
  const windowMinutes = Number.isFinite(minutes) ? minutes : undefined;
  const reset = Number.isFinite(resetAt)
    ? resetAt
    : Number.isFinite(resetAfter)
      ? Math.floor(nowMs / 1000) + resetAfter
      : undefined;
  // A window counts only if it says something (codex-rs's rule).
  if (used === 0 && !windowMinutes && reset === undefined) return undefined;
  return { usedPercent: used, windowMinutes, resetAt: reset };
}

export function quotaFromHeaders(headers: Headers, nowMs: number): QuotaEvidence | undefined {
  const primary = window(headers, "primary", nowMs);
  const secondary = window(headers, "secondary", nowMs);
  const planType = headers.get("x-codex-plan-type") ?? undefined;
  if (!primary && !secondary && !planType) return undefined;
  return { primary, secondary, planType, observedAt: nowMs };
}

export interface UsageLimit {
  /** Epoch seconds until which the account cannot serve. */
  resetsAt: number;
  planType?: string;
}

/** Recognises "this account is exhausted until reset" in either of the upstream's spellings. */
export function usageLimitFrom(
  status: number,
  headers: Headers,
  body: unknown,
  nowMs: number,
): UsageLimit | undefined {
  if (status !== 429) return undefined;
  const error = ((body as { error?: Record<string, unknown> } | undefined)?.error ?? {}) as Record<
    string,
    unknown
  >;
  const reachedType = headers.get("x-codex-rate-limit-reached-type") ?? "";
  const isUsageLimit =
    error.type === "usage_limit_reached" ||
    error.code === "usage_limit_reached" ||
    reachedType.endsWith("usage_limit_reached");
  if (!isUsageLimit) return undefined;
  const nowSec = Math.floor(nowMs / 1000);
  const fromBody =
    typeof error.resets_at === "number"
      ? error.resets_at
      : typeof error.resets_in_seconds === "number"
        ? nowSec + error.resets_in_seconds
        : undefined;
  const fromHeader = Number.parseInt(headers.get("x-codex-primary-reset-at") ?? "", 10);
  const resetsAt = fromBody ?? (Number.isFinite(fromHeader) ? fromHeader : nowSec + 300);
  return { resetsAt, planType: typeof error.plan_type === "string" ? error.plan_type : undefined };
}
