// The CloudWatch metrics the AWS host emits (EMF) and the CDK monitoring construct graphs and alarms
// on. One list, so a renamed metric cannot silently leave an alarm watching nothing. Every dimension
// value is drawn from a small fixed set (or an operator-created Pool name), never a key or account id.

export const METRIC = {
  requests: "Requests",
  requestErrors: "RequestErrors",
  requestDuration: "RequestDuration",
  timeToFirstByte: "TimeToFirstByte",
  upstreamFailover: "UpstreamFailover",
  routingFailure: "RoutingFailure",
  tokenRefresh: "TokenRefresh",
  usagePoll: "UsagePoll",
  accounts: "Accounts",
  poolQuotaUsedPercent: "PoolQuotaUsedPercent",
  maxPoolQuotaUsedPercent: "MaxPoolQuotaUsedPercent",
} as const;

export const DIMENSION = {
  routeFamily: "RouteFamily",
  statusClass: "StatusClass",
  errorCode: "ErrorCode",
  code: "Code",
  outcome: "Outcome",
  accountStatus: "AccountStatus",
  pool: "Pool",
} as const;

export const STATUS_CLASSES = ["2xx", "3xx", "4xx", "5xx"] as const;

export const ROUTE_FAMILIES = [
  "backend_responses",
  "backend_models",
  "backend_usage",
  "v1_responses",
  "v1_chat_completions",
  "v1_models",
  "v1_other",
  "mcp",
  "admin",
  "other",
] as const;

/** Error codes kept as dimension values; anything else is counted as `other`. */
export const KNOWN_ERROR_CODES = [
  "no_eligible_backend",
  "usage_limit_reached",
  "rate_limit_exceeded",
  "upstream_http_429",
  "client_closed",
  "stream_interrupted",
  "stream_incomplete",
  "upstream_unreachable",
  "upstream_auth_failed",
  "account_unavailable",
  "refresh_failed",
  "reauth_required",
  "refresh_in_progress",
  "model_unavailable",
  "server_is_overloaded",
  "pinned_continuation_unavailable",
  "pinned_continuation_reauth_required",
  "invalid_api_key",
  "api_key_missing",
  "turn_time_limit",
] as const;

/** Upstream codes that mean "this account is being throttled" (the dashboard's upstream 429 panel). */
export const UPSTREAM_429_CODES = [
  "usage_limit_reached",
  "rate_limit_exceeded",
  "upstream_http_429",
] as const;

export const TOKEN_REFRESH_FAILURES = ["refresh_failed", "reauth_required"] as const;
