// Shared input pieces and the bounded, filtered walk over newest-first store pages (request logs and
// audit events), with an opaque cursor that can resume in the middle of a store page.
import { z } from "zod";
import { iso } from "../core/accounts/accounts.ts";
import { badRequest } from "../core/errors.ts";
import type { Page } from "../core/ports.ts";

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

export const poolName = z
  .string()
  .regex(/^[a-z0-9][a-z0-9_-]{0,62}$/, "a Pool name: lowercase letters, digits, '-' or '_'");
export const keyId = z
  .string()
  .regex(/^(sk-cxp-)?[0-9a-f]{12}$/, "a key id (12 hex characters) or its sk-cxp-<id> prefix")
  .transform((v) => v.replace(/^sk-cxp-/, ""));
export const accountRef = z
  .string()
  .regex(/^acc_[0-9a-f]{16}$/, "an account id such as acc_0123456789abcdef");
export const cursor = z.string().min(1).max(2048).describe("nextCursor from the previous page");
export const isoTime = z.iso.datetime({ offset: true });
export const statusClass = z.enum(["2xx", "3xx", "4xx", "5xx"]);
export const model = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/, "a model id");
export const errorCode = z
  .string()
  .regex(/^[A-Za-z0-9_.:-]{1,96}$/, "an error code such as usage_limit_reached");

/** `from`/`to` (ISO) or `lastHours`; the window is bounded so a scan cannot cover the whole history. */
export const timeRange = {
  from: isoTime.optional().describe("Start of the window (ISO 8601). Default: `to` minus 24 hours."),
  to: isoTime.optional().describe("End of the window (ISO 8601). Default: now."),
  lastHours: z
    .number()
    .int()
    .min(1)
    .max(744)
    .optional()
    .describe("Shorthand for from = now minus this many hours; do not combine with `from`."),
};

export interface TimeWindow {
  from: number;
  to: number;
}

export const MAX_WINDOW_DAYS = 31;

export function resolveWindow(
  input: { from?: string; to?: string; lastHours?: number },
  now: number,
  defaultHours: number | undefined = 24,
): TimeWindow | undefined {
  if (input.from && input.lastHours !== undefined)
    throw badRequest("give either from or lastHours, not both");
  const to = input.to ? Date.parse(input.to) : now;
  let from: number | undefined;
  if (input.from) from = Date.parse(input.from);
  else if (input.lastHours !== undefined) from = to - input.lastHours * HOUR_MS;
  else if (defaultHours !== undefined) from = to - defaultHours * HOUR_MS;
  if (from === undefined) return input.to ? { from: 0, to } : undefined;
  if (from > to) throw badRequest("from must be before to");
  if (to - from > MAX_WINDOW_DAYS * DAY_MS) {
    throw badRequest(`the time window may span at most ${MAX_WINDOW_DAYS} days; narrow from/to`);
  }
  return { from, to };
}

export const isoSeconds = (s: number | undefined) => iso(s === undefined ? undefined : s * 1000);

interface ScanCursor {
  /** Store cursor of the page to (re)read. */
  s?: string;
  /** Items with an id at or above this were already returned (ids sort by time). */
  a?: string;
}

const CursorShape = z.strictObject({
  s: z.string().max(1500).optional(),
  a: z
    .string()
    .regex(/^[a-z]{3}_[0-9a-z]{9}[0-9a-f]{12}$/)
    .optional(),
});

function encodeScanCursor(value: ScanCursor): string {
  return Buffer.from(JSON.stringify(value)).toString("base64url");
}

function decodeScanCursor(raw: string | undefined): ScanCursor {
  if (!raw) return {};
  try {
    const parsed = CursorShape.safeParse(JSON.parse(Buffer.from(raw, "base64url").toString("utf8")));
    if (parsed.success) return parsed.data;
  } catch {
    // fall through to the same answer as a wrong shape
  }
  throw badRequest("cursor is not valid; pass the nextCursor of the previous answer unchanged", "cursor");
}

export interface ScanResult<T> {
  items: T[];
  nextCursor?: string;
  /** Rows examined by this call (after any store-side filter). */
  scanned: number;
  /** True when the scan bound stopped the walk before the page was full. */
  scanLimitReached: boolean;
}

const STORE_PAGE = 100;

/**
 * Walks newest-first pages, keeping rows that `match`, until `limit` rows, the end of the data,
 * a row for which `done` says nothing older can match, or `maxScan` rows examined.
 */
export async function scanNewestFirst<T extends { id: string }>(options: {
  fetch: (cursor: string | undefined, limit: number) => Promise<Page<T>>;
  cursor?: string;
  limit: number;
  maxScan: number;
  match: (item: T) => boolean;
  done?: (item: T) => boolean;
}): Promise<ScanResult<T>> {
  const items: T[] = [];
  let state = decodeScanCursor(options.cursor);
  let scanned = 0;
  const maxPages = Math.ceil(options.maxScan / STORE_PAGE) + 2;
  for (let pages = 0; pages < maxPages; pages++) {
    const page = await options.fetch(state.s, STORE_PAGE);
    for (const [index, item] of page.items.entries()) {
      if (state.a && item.id >= state.a) continue;
      scanned++;
      if (options.done?.(item)) return { items, scanned, scanLimitReached: false };
      const more = index < page.items.length - 1 || page.nextCursor !== undefined;
      if (options.match(item)) {
        items.push(item);
        if (items.length >= options.limit) {
          const nextCursor = more ? encodeScanCursor({ s: state.s, a: item.id }) : undefined;
          return { items, nextCursor, scanned, scanLimitReached: false };
        }
      }
      if (scanned >= options.maxScan) {
        const nextCursor = more ? encodeScanCursor({ s: state.s, a: item.id }) : undefined;
        return { items, nextCursor, scanned, scanLimitReached: nextCursor !== undefined };
      }
    }
    if (!page.nextCursor) return { items, scanned, scanLimitReached: false };
    state = { s: page.nextCursor };
  }
  return { items, nextCursor: encodeScanCursor(state), scanned, scanLimitReached: true };
}
