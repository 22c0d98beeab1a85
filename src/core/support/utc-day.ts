// The UTC day of an epoch-ms time as `YYYY-MM-DD`: the partition and item keys of request logs,
// usage rollups and key counters. Every request asks several times for the same day, so the last
// day's bounds and label are kept (building an ISO string per call showed in the hot path's profile).

export const DAY_MS = 86_400_000;
/** The latest time a Date holds. */
const MAX_MS = 8.64e15;

let cachedStart = 0;
let cachedEnd = -1;
let cachedLabel = "";

/** `2026-12-08` for any time on that UTC day. Throws a RangeError for a time a Date cannot hold. */
export function utcDay(ms: number): string {
  if (ms >= cachedStart && ms < cachedEnd) return cachedLabel;
  const start = Math.floor(ms / DAY_MS) * DAY_MS;
  const label = new Date(ms).toISOString().slice(0, 10);
  cachedStart = start;
  cachedEnd = Math.min(start + DAY_MS, MAX_MS + 1);
  cachedLabel = label;
  return label;
}
