// Daily usage rollups, changed only by atomic single-item ADD updates as request-log rows are written.
// A request adds to two items of its UTC day: its Pool's (per model, with the Pool's five-minute
// buckets) and its key × account one (per model), from which the key and account views are summed.

export const ROLLUP_DIMENSIONS = ["pool", "key", "account"] as const;
export type RollupDimension = (typeof ROLLUP_DIMENSIONS)[number];

/** Rollups outlive request logs: a year and a month of daily history (or the log retention if longer). */
export const ROLLUP_RETENTION_DAYS = 400;

export interface RollupCounts {
  requests: number;
  /** Rows with status >= 400 or an error code (the same rule as /v1/usage's `num_errors`). */
  errors: number;
  status2xx: number;
  status3xx: number;
  status4xx: number;
  status5xx: number;
  inputTokens: number;
  cachedTokens: number;
  outputTokens: number;
  reasoningTokens: number;
  totalTokens: number;
}

export const ROLLUP_COUNT_FIELDS = [
  "requests",
  "errors",
  "status2xx",
  "status3xx",
  "status4xx",
  "status5xx",
  "inputTokens",
  "cachedTokens",
  "outputTokens",
  "reasoningTokens",
  "totalTokens",
] as const satisfies readonly (keyof RollupCounts)[];

export const zeroCounts = (): RollupCounts => ({
  requests: 0,
  errors: 0,
  status2xx: 0,
  status3xx: 0,
  status4xx: 0,
  status5xx: 0,
  inputTokens: 0,
  cachedTokens: 0,
  outputTokens: 0,
  reasoningTokens: 0,
  totalTokens: 0,
});

/**
 * An item one request adds to: its Pool's (`pool`), or the one of its key and account in that Pool
 * (`use`; either may be absent: a request refused before any account was tried has no account).
 */
export interface RollupTarget {
  item: "pool" | "use";
  pool: string;
  keyId?: string;
  accountId?: string;
  /** Account items: the account's label at the time (the latest write wins). */
  accountLabel?: string;
}

/** One request's contribution. */
export interface RollupIncrement {
  /** UTC day, `YYYY-MM-DD`. */
  day: string;
  /** Empty when the request named no model. */
  model: string;
  counts: RollupCounts;
  /** Sanitized error code, counted per code. */
  errorCode?: string;
  /** Epoch seconds (DynamoDB TTL). */
  expiresAt: number;
  /** The five-minute bucket the request falls in (added to the Pool's item only). */
  recent: RecentIncrement;
}

export interface UsageRollup {
  day: string;
  dimension: RollupDimension;
  pool: string;
  keyId?: string;
  accountId?: string;
  accountLabel?: string;
  /** Empty when the requests named no model. */
  model: string;
  counts: RollupCounts;
  errorCodes: Record<string, number>;
}

/** What to read from one day: a dimension, optionally narrowed to a Pool and/or one key or account. */
export interface RollupSelector {
  dimension: RollupDimension;
  pool?: string;
  keyId?: string;
  accountId?: string;
}

/**
 * Five-minute buckets per Pool and model (requests and server-side failures), in the Pool's daily
 * item: what the error-rate alert reads without scanning request logs.
 */
export const RECENT_BUCKET_MINUTES = 5;

export interface RecentIncrement {
  /** `YYYY-MM-DDTHH:MM`, the bucket's UTC start (within the increment's day). */
  bucket: string;
  /** Server-side failures among the increment's requests (5xx or 429). */
  failures: number;
  /** The failure's code, counted per code (one failure per increment when set). */
  errorCode?: string;
}

export interface RecentBucket {
  bucket: string;
  model: string;
  requests: number;
  failures: number;
  errorCodes: Record<string, number>;
}
