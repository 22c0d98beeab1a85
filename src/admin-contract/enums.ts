// The admin API's vocabulary: every enum and limit a request or response names, written once. A file
// with no imports, so the core (which owns the records these values describe), the contract's zod
// schemas, the CLI and the console all read the same lists (docs/architecture.md).

export const ROUTING_STRATEGIES = [
  "bridge_ring",
  "deterministic_rotation",
  "least_recent_success",
  "quota_first",
  "capacity_weighted",
  "reset_drain",
] as const;

export const ACCOUNT_STATUSES = [
  "active",
  "paused",
  "refreshing",
  "refresh_failed",
  "reauth_required",
] as const;

export const CREDENTIAL_STATUSES = ["active", "paused", "revoked"] as const;
export const REASONING_EFFORTS = ["none", "minimal", "low", "medium", "high", "xhigh"] as const;

/** `owner` sees everything; `pool_admin` only its Pools (docs/operators.md). */
export const OPERATOR_ROLES = ["owner", "pool_admin"] as const;
export const MAX_SCOPE_POOLS = 100;

/** A model id in a key policy or an alert rule. */
export const MODEL_ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;
export const MAX_ALLOWED_MODELS = 100;

export const INVITE_STATUSES = ["active", "accepted", "revoked", "expired"] as const;
export const USAGE_GROUPS = ["day", "model", "key", "pool", "account"] as const;
export const REQUEST_TRANSPORTS = ["http_json", "http_sse", "websocket"] as const;
export const STATUS_CLASSES = ["1xx", "2xx", "3xx", "4xx", "5xx"] as const;

/**
 * The original's six rule kinds, with `pool_error_rate_spike` in place of
 * `upstream_saved_reset_banked_first_seen` (this gateway does not track saved resets). In the
 * original's words an "assignment" is an account serving the Pool.
 */
export const ALERT_RULE_KINDS = [
  "pool_no_usable_assignments",
  "pool_low_usable_assignments",
  "pool_all_assignments_in_state",
  "upstream_quota_threshold",
  "upstream_auth_state",
  "pool_error_rate_spike",
] as const;
export type AlertRuleKind = (typeof ALERT_RULE_KINDS)[number];

/** A rule's kind-specific parameters. */
export const RULE_PARAMS = [
  "model",
  "minUsableAssignments",
  "targetState",
  "windowSelector",
  "thresholdUsedPercent",
  "windowMinutes",
  "thresholdErrorPercent",
  "minRequests",
] as const;
export type RuleParamName = (typeof RULE_PARAMS)[number];

/** Which parameters each kind takes (others are refused, so a typo cannot silently do nothing). */
export const RULE_KIND_PARAMS: Record<AlertRuleKind, readonly RuleParamName[]> = {
  pool_no_usable_assignments: ["model"],
  pool_low_usable_assignments: ["model", "minUsableAssignments"],
  pool_all_assignments_in_state: ["targetState"],
  upstream_quota_threshold: ["windowSelector", "thresholdUsedPercent"],
  upstream_auth_state: ["targetState"],
  pool_error_rate_spike: ["model", "windowMinutes", "thresholdErrorPercent", "minRequests"],
};

export const ALERT_SEVERITIES = ["info", "warning", "critical"] as const;

/** `pool_all_assignments_in_state`: the states every enabled account can be in at once. */
export const ASSIGNMENT_STATES = [
  "missing_evidence",
  "stale",
  "weekly_only",
  "exhausted",
  "reauth_required",
  "refresh_failed",
] as const;

/** `upstream_auth_state`: account statuses worth an alert. */
export const AUTH_STATES = ["reauth_required", "refresh_failed", "paused"] as const;

/** `upstream_quota_threshold`: which quota window to compare (model windows are not recorded here). */
export const WINDOW_SELECTORS = ["account_primary", "account_secondary", "any"] as const;

export const ALERT_RULE_STATES = ["active", "disabled"] as const;
export const ALERT_SCOPE_TYPES = ["pool", "upstream_identity"] as const;
export const CHANNEL_FORMATS = ["json", "slack"] as const;

/**
 * Channel kinds that deliver. `webhook` is built in; an SNS kind is an extension point
 * (docs/alerts.md): it needs `@aws-sdk/client-sns`, which this build does not include.
 */
export const CHANNEL_KINDS = ["webhook", "sns"] as const;
export const INCIDENT_STATES = ["open", "acknowledged", "resolved"] as const;
export const INCIDENT_RESOLUTIONS = ["condition_cleared", "operator", "rule_deleted"] as const;
export const ALERT_EVENT_TYPES = [
  "incident.opened",
  "incident.repeated",
  "incident.resolved",
  "channel.test",
] as const;
export const ATTEMPT_OUTCOMES = ["delivered", "http_error", "network_error", "timeout", "refused"] as const;
export const DELIVERY_STATUSES = ["pending", "delivered", "failed"] as const;
export const CLIENT_IP_SOURCES = ["peer", "x_forwarded_for", "x_real_ip"] as const;
