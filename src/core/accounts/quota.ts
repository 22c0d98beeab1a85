// Quota evidence read off upstream responses (codex-protocol §4): rate-limit headers on every
// response and the usage-limit 429 body. Only numbers and plan names are kept.
import type { QuotaEvidence, QuotaWindow } from "../model.ts";

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

const num = (v: unknown) => (typeof v === "number" && Number.isFinite(v) ? v : undefined);

/** `codex.rate_limits` stream event (minutes, epoch seconds). */
export function quotaFromRateLimitsEvent(
  event: Record<string, unknown>,
  nowMs: number,
): QuotaEvidence | undefined {
  const limits = (event.rate_limits ?? {}) as Record<string, Record<string, unknown> | null | undefined>;
  const toWindow = (w: Record<string, unknown> | null | undefined): QuotaWindow | undefined => {
    const used = num(w?.used_percent);
    if (used === undefined) return undefined;
    return { usedPercent: used, windowMinutes: num(w?.window_minutes), resetAt: num(w?.reset_at) };
  };
  const primary = toWindow(limits.primary);
  const secondary = toWindow(limits.secondary);
  if (!primary && !secondary) return undefined;
  const planType = typeof event.plan_type === "string" ? event.plan_type : undefined;
  return { primary, secondary, planType, observedAt: nowMs };
}

/**
 * `/wham/usage` body (seconds). An account that reports availability without windows yields
 * evidence with no windows: it stays routable, ranked after accounts with evidence.
 */
export function quotaFromUsageBody(body: unknown, nowMs: number): QuotaEvidence {
  const doc = (body ?? {}) as Record<string, unknown>;
  const limit = (doc.rate_limit ?? {}) as Record<string, unknown>;
  const nowS = Math.floor(nowMs / 1000);
  const toWindow = (w: unknown): QuotaWindow | undefined => {
    const win = w as Record<string, unknown> | null | undefined;
    const used = num(win?.used_percent);
    if (used === undefined) return undefined;
    const seconds = num(win?.limit_window_seconds);
    const after = num(win?.reset_after_seconds);
    return {
      usedPercent: used,
      windowMinutes: seconds !== undefined ? Math.round(seconds / 60) : undefined,
      resetAt: num(win?.reset_at) ?? (after !== undefined ? nowS + after : undefined),
    };
  };
  const evidence: QuotaEvidence = {
    primary: toWindow(limit.primary_window),
    secondary: toWindow(limit.secondary_window),
    planType: typeof doc.plan_type === "string" ? doc.plan_type : undefined,
    observedAt: nowMs,
  };
  if (limit.limit_reached === true || limit.allowed === false) {
    const resets = [evidence.primary, evidence.secondary]
      .filter((w) => w && w.usedPercent >= 100 && w.resetAt)
      .map((w) => w?.resetAt as number);
    evidence.exhaustedUntil = resets.length ? Math.max(...resets) : nowS + 300;
  }
  return evidence;
}
