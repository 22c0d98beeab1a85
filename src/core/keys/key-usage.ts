// Per-key counting windows (fixed UTC minute, UTC day, ISO week) and the token side of the
// counters: tokens are added once the response's usage is known, from the request-log row.
import type { CoreContext } from "../context.ts";
import type { UsageCounts, UsageWindow } from "../ports.ts";
import { DAY_MS, utcDay } from "../support/utc-day.ts";

const MINUTE_MS = 60_000;
const WEEK_MS = 7 * DAY_MS;

/** A window with its bounds (epoch ms, end exclusive). */
export interface UsageSpan extends UsageWindow {
  startsAt: number;
  endsAt: number;
}

export interface KeyWindows {
  minute: UsageSpan;
  day: UsageSpan;
  week: UsageSpan;
}

// Counters outlive their window a little so an operator can still read a just-closed one.
const KEEP_MS: Record<UsageWindow["kind"], number> = {
  minute: 5 * MINUTE_MS,
  day: 7 * DAY_MS,
  week: 5 * WEEK_MS,
};

function span(kind: UsageWindow["kind"], id: string, startsAt: number, length: number): UsageSpan {
  const endsAt = startsAt + length;
  return { kind, id, startsAt, endsAt, expiresAt: Math.ceil((endsAt + KEEP_MS[kind]) / 1000) };
}

// The last minute's windows: a request asks for them when it is admitted and when its tokens are
// counted, and every request of the same minute gets the same ones. Nothing changes a window.
let last: KeyWindows | undefined;

export function keyWindows(nowMs: number): KeyWindows {
  if (last && nowMs >= last.minute.startsAt && nowMs < last.minute.endsAt) return last;
  last = windowsAt(nowMs);
  return last;
}

function windowsAt(nowMs: number): KeyWindows {
  const minuteStart = Math.floor(nowMs / MINUTE_MS) * MINUTE_MS;
  const dayStart = Math.floor(nowMs / DAY_MS) * DAY_MS;
  // 1970-01-01 was a Thursday: shift so weeks start on Monday 00:00 UTC.
  const weekday = (Math.floor(nowMs / DAY_MS) + 3) % 7;
  const weekStart = dayStart - weekday * DAY_MS;
  return {
    minute: span("minute", new Date(minuteStart).toISOString().slice(0, 16), minuteStart, MINUTE_MS),
    day: span("day", utcDay(dayStart), dayStart, DAY_MS),
    week: span("week", isoWeekLabel(weekStart), weekStart, WEEK_MS),
  };
}

/** `2025-W23`: the ISO year and week of the week starting on this Monday. */
function isoWeekLabel(mondayMs: number): string {
  const thursday = new Date(mondayMs + 3 * DAY_MS);
  const year = thursday.getUTCFullYear();
  const week = Math.floor((thursday.getTime() - Date.UTC(year, 0, 1)) / WEEK_MS) + 1;
  return `${year}-W${String(week).padStart(2, "0")}`;
}

/** Seconds until the window closes, at least 1 (a Retry-After value). */
export function secondsUntilEnd(window: UsageSpan, nowMs: number): number {
  return Math.max(1, Math.ceil((window.endsAt - nowMs) / 1000));
}

/** Adds a finished request's tokens to the key's day and week counters (one write), off the client's path. */
export function recordKeyTokens(ctx: CoreContext, keyId: string, atMs: number, tokens: number): void {
  if (!(tokens > 0)) return;
  ctx.background(
    ctx.store.keyUsage.addTokens(keyId, keyWindows(atMs), tokens).catch((error) => {
      ctx.logger.warn("key token count failed", { keyId, error: String(error) });
    }),
  );
}

export interface KeyUsageSnapshot {
  at: number;
  windows: KeyWindows;
  minute: UsageCounts;
  day: UsageCounts;
  week: UsageCounts;
}

/** The key's counters for the current windows (consistent reads). */
export async function readKeyUsage(ctx: CoreContext, keyId: string): Promise<KeyUsageSnapshot> {
  const at = ctx.clock.now();
  const windows = keyWindows(at);
  return { at, windows, ...(await ctx.store.keyUsage.get(keyId, windows)) };
}
