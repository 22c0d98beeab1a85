// Alert records: rules (what to watch in a Pool), channels (where to say it), incidents (a condition
// that holds, deduplicated) and deliveries (one event to one channel, with its attempts). Metadata
// only: a channel's URL and signing secret live in the SecretStore, never on these records.
// The lists of values are the admin contract's vocabulary (one list for the core, the API, the CLI and
// the console): import them from there; the types of their values are named here.
import type {
  ALERT_SEVERITIES,
  AlertRuleKind,
  ASSIGNMENT_STATES,
  AUTH_STATES,
  CHANNEL_FORMATS,
  CHANNEL_KINDS,
  WINDOW_SELECTORS,
} from "../../admin-contract/enums.ts";

export type { AlertRuleKind };

export type AlertSeverity = (typeof ALERT_SEVERITIES)[number];

export type AssignmentState = (typeof ASSIGNMENT_STATES)[number];

export type AuthState = (typeof AUTH_STATES)[number];

export type WindowSelector = (typeof WINDOW_SELECTORS)[number];

export type AlertRuleState = "active" | "disabled";
export type AlertScopeType = "pool" | "upstream_identity";

export const scopeTypeOf = (kind: AlertRuleKind): AlertScopeType =>
  kind.startsWith("upstream_") ? "upstream_identity" : "pool";

export interface AlertRule {
  id: string;
  pool: string;
  kind: AlertRuleKind;
  displayName: string;
  severity: AlertSeverity;
  /** Minutes before the first repeat notification of a still-open incident (5-1440). */
  cooldownMinutes: number;
  state: AlertRuleState;
  channelIds: string[];
  /** Pool kinds: judge usability for this model only (its circuits, refused models). */
  model?: string;
  minUsableAssignments?: number;
  targetState?: AssignmentState | AuthState;
  windowSelector?: WindowSelector;
  thresholdUsedPercent?: number;
  windowMinutes?: number;
  thresholdErrorPercent?: number;
  minRequests?: number;
  createdBy: string;
  createdAt: number;
  updatedAt: number;
}

export type ChannelFormat = (typeof CHANNEL_FORMATS)[number];

export type ChannelKind = (typeof CHANNEL_KINDS)[number];

export interface AlertChannel {
  id: string;
  name: string;
  kind: ChannelKind;
  format: ChannelFormat;
  state: AlertRuleState;
  /** Name of the SecretStore entry holding `{url, secret}`. */
  secretName: string;
  /** What views may show of the URL: host, first path segment, and a fingerprint of the whole URL. */
  urlHost: string;
  urlPathPrefix: string;
  urlFingerprint: string;
  lastDeliveryAt?: number;
  lastDeliveryOutcome?: AttemptOutcome;
  lastDeliveryStatusCode?: number;
  createdBy: string;
  createdAt: number;
  updatedAt: number;
}

export type IncidentState = "open" | "acknowledged" | "resolved";
export type Resolution = "condition_cleared" | "operator" | "rule_deleted";

/** Safe evidence: counts, labels, percents, times; never an email, token, URL or body. */
export type Evidence = Record<string, string | number | boolean | null>;

export interface AlertIncident {
  id: string;
  ruleId: string;
  ruleKind: AlertRuleKind;
  pool: string;
  severity: AlertSeverity;
  /** `<ruleId>:pool` or `<ruleId>:<accountId>`: at most one unresolved incident per key. */
  dedupeKey: string;
  state: IncidentState;
  reasonCode: string;
  scopeType: AlertScopeType;
  accountId?: string;
  accountLabel?: string;
  model?: string;
  summary: string;
  evidence: Evidence;
  occurrenceCount: number;
  firstSeenAt: number;
  lastSeenAt: number;
  notificationCount: number;
  lastNotifiedAt?: number;
  /** Open incidents repeat their notification from then on (cooldown, doubling each time). */
  nextNotifyAt?: number;
  acknowledgedAt?: number;
  acknowledgedBy?: string;
  resolvedAt?: number;
  resolvedBy?: string;
  resolution?: Resolution;
  /** Epoch seconds; set when resolved (DynamoDB TTL). */
  expiresAt?: number;
}

export type AlertEventType = "incident.opened" | "incident.repeated" | "incident.resolved" | "channel.test";

export type AttemptOutcome = "delivered" | "http_error" | "network_error" | "timeout" | "refused";

export interface DeliveryAttempt {
  attemptId: string;
  at: number;
  durationMs: number;
  outcome: AttemptOutcome;
  statusCode?: number;
  errorCode?: string;
}

export type DeliveryStatus = "pending" | "delivered" | "failed";

/** One event for one channel. The event's fields are frozen when it is created; retries resend them. */
export interface AlertDelivery {
  eventId: string;
  eventType: AlertEventType;
  /** `test` for channel test sends. */
  incidentId: string;
  channelId: string;
  status: DeliveryStatus;
  attempts: DeliveryAttempt[];
  attemptCount: number;
  /** Attempts allowed in all (test sends: 1). */
  maxAttempts: number;
  /** Pending: when the next attempt is due (epoch ms). */
  nextAttemptAt?: number;
  /** Failed: why it stopped. */
  errorCode?: string;
  /** The event's payload without the per-attempt id (metadata only). */
  event: Record<string, unknown>;
  createdAt: number;
  updatedAt: number;
  /** Epoch seconds (DynamoDB TTL). */
  expiresAt: number;
}
