// What the admin API answers: one strict zod schema per record and per response, named in the
// `components` registry (the OpenAPI document's components/schemas). The view functions
// (src/admin-views/) build these shapes, the MCP tools answer with the same records, and the CLI parses
// them through a lenient derivation (lenient.ts). Conventions: ISO times, nulls rather than missing
// fields, no secrets (a raw key or token appears once, in `secret`, in a create or rotate answer).
import { z } from "zod";
import {
  ACCOUNT_STATUSES,
  ALERT_EVENT_TYPES,
  ALERT_RULE_KINDS,
  ALERT_RULE_STATES,
  ALERT_SCOPE_TYPES,
  ALERT_SEVERITIES,
  ATTEMPT_OUTCOMES,
  CHANNEL_FORMATS,
  CHANNEL_KINDS,
  CLIENT_IP_SOURCES,
  CREDENTIAL_STATUSES,
  DELIVERY_STATUSES,
  INCIDENT_RESOLUTIONS,
  INCIDENT_STATES,
  INVITE_STATUSES,
  OPERATOR_ROLES,
  REASONING_EFFORTS,
  REQUEST_TRANSPORTS,
  ROUTING_STRATEGIES,
  STATUS_CLASSES,
  USAGE_GROUPS,
  WINDOW_SELECTORS,
} from "./enums.ts";

/** The named schemas of the OpenAPI document (components/schemas). */
export const components = z.registry<{ id: string }>();
function named<S extends z.ZodType>(id: string, schema: S): S {
  components.add(schema, { id });
  return schema;
}

const time = z.iso.datetime();
const maybeTime = time.nullable();
const text = z.string().nullable();
const count = z.number().int().min(0);
const maybeCount = z.number().nullable();
const strings = z.array(z.string());
/** `{ data: [item…] }`, and a page of it with the cursor of the next one. */
const list = <S extends z.ZodType>(id: string, item: S) => named(id, z.strictObject({ data: z.array(item) }));
const page = <S extends z.ZodType>(id: string, item: S) =>
  named(id, z.strictObject({ data: z.array(item), nextCursor: text }));

export const Deleted = named("Deleted", z.strictObject({ id: z.string(), deleted: z.literal(true) }));

/** A raw key or token, shown once: a single token of printable text (scripts take it with `tail -n 1`). */
export const Secret = z.string().regex(/^\S+$/, "expected a single-line secret");

export const Pool = named(
  "Pool",
  z.strictObject({
    name: z.string(),
    strategy: z.enum(ROUTING_STRATEGIES),
    ringSize: z.number().int(),
    allowImageGeneration: z.boolean(),
    disabled: z.boolean(),
    createdAt: time,
    updatedAt: time,
    /** Accounts serving the Pool. */
    accountCount: count,
    /** Keys not revoked. */
    keyCount: count,
  }),
);
export const PoolResponse = named("PoolResponse", z.strictObject({ pool: Pool }));
export const PoolListResponse = list("PoolListResponse", Pool);

export const AccountQuota = z.strictObject({
  primaryUsedPercent: maybeCount,
  primaryWindowMinutes: maybeCount,
  primaryResetAt: maybeTime,
  secondaryUsedPercent: maybeCount,
  secondaryWindowMinutes: maybeCount,
  secondaryResetAt: maybeTime,
  /** Whether routing skips the account for quota now. */
  exhausted: z.boolean(),
  exhaustedUntil: maybeTime,
  observedAt: time,
});
export const Account = named(
  "Account",
  z.strictObject({
    id: z.string(),
    label: z.string(),
    /** The Pools it serves (within the caller's scope). */
    pools: strings,
    status: z.enum(ACCOUNT_STATUSES),
    planType: text,
    /** Masked (j***@example.com); never in MCP answers. */
    email: text,
    accessTokenExpiresAt: maybeTime,
    lastRefreshAt: maybeTime,
    lastUsedAt: maybeTime,
    lastErrorCode: text,
    lastSuccessAt: maybeTime,
    refreshRetryAt: maybeTime,
    quota: AccountQuota.nullable(),
    /** Models the upstream refused for this account (routing skips it for them). */
    unavailableModels: strings,
    createdAt: time,
    updatedAt: time,
  }),
);
export const AccountResponse = named("AccountResponse", z.strictObject({ account: Account }));
export const AccountImportResponse = named(
  "AccountImportResponse",
  z.strictObject({ account: Account, warnings: strings }),
);
export const AccountListResponse = list("AccountListResponse", Account);

export const DeviceFlow = z.strictObject({
  id: z.string(),
  kind: z.literal("device"),
  verificationUrl: text,
  userCode: text,
  intervalSeconds: maybeCount,
  expiresAt: maybeTime,
});
export const BrowserFlow = z.strictObject({
  id: z.string(),
  kind: z.literal("browser"),
  authorizeUrl: z.string(),
  expiresAt: maybeTime,
});
export const DeviceFlowResponse = named("DeviceFlowResponse", z.strictObject({ flow: DeviceFlow }));
export const BrowserFlowResponse = named("BrowserFlowResponse", z.strictObject({ flow: BrowserFlow }));
export const LoginComplete = z.strictObject({
  status: z.literal("complete"),
  account: Account,
  warnings: strings,
});
/** `slow_down`: poll at the new `intervalSeconds`. */
export const LoginPending = z.strictObject({
  status: z.enum(["pending", "slow_down"]),
  intervalSeconds: maybeCount,
  expiresAt: maybeTime,
});
export const LoginResult = named("LoginResult", z.union([LoginComplete, LoginPending]));

/** Every field present; null means no cap. */
export const KeyPolicy = z.strictObject({
  allowedModels: strings.nullable(),
  maxReasoningEffort: z.enum(REASONING_EFFORTS).nullable(),
  requestsPerMinute: maybeCount,
  tokensPerDay: maybeCount,
  tokensPerWeek: maybeCount,
});
const credentialTimes = {
  label: text,
  status: z.enum(CREDENTIAL_STATUSES),
  createdAt: time,
  updatedAt: time,
  lastUsedAt: maybeTime,
  revokedAt: maybeTime,
};
/** A Pool API key's metadata: the public prefix (`sk-cxp-<id>`), never the secret or its hash. */
export const ApiKey = named(
  "ApiKey",
  z.strictObject({
    id: z.string(),
    prefix: z.string(),
    pool: text,
    policy: KeyPolicy,
    dashboardAccess: z.boolean(),
    ...credentialTimes,
  }),
);
/** An admin or MCP token's metadata and scope. */
export const Token = named(
  "Token",
  z.strictObject({
    id: z.string(),
    prefix: z.string(),
    role: z.enum(OPERATOR_ROLES),
    pools: strings,
    ...credentialTimes,
  }),
);
export const KeyResponse = named("KeyResponse", z.strictObject({ key: ApiKey }));
export const KeySecretResponse = named("KeySecretResponse", z.strictObject({ key: ApiKey, secret: Secret }));
export const KeyListResponse = list("KeyListResponse", ApiKey);
export const TokenResponse = named("TokenResponse", z.strictObject({ token: Token }));
export const TokenSecretResponse = named(
  "TokenSecretResponse",
  z.strictObject({ token: Token, secret: Secret }),
);
export const TokenListResponse = list("TokenListResponse", Token);

const UsageWindow = {
  window: z.string(),
  resetsAt: time,
  /** Counted only for keys with a rate or token limit (null otherwise). */
  requests: maybeCount,
};
export const KeyUsageResponse = named(
  "KeyUsageResponse",
  z.strictObject({
    keyId: z.string(),
    at: time,
    minute: z.strictObject({ ...UsageWindow, requestsLimit: maybeCount }),
    day: z.strictObject({ ...UsageWindow, tokens: count, tokensLimit: maybeCount }),
    week: z.strictObject({ ...UsageWindow, tokens: count, tokensLimit: maybeCount }),
  }),
);

export const TokenUsage = z.strictObject({
  inputTokens: count,
  cachedTokens: count,
  outputTokens: count,
  reasoningTokens: count,
  totalTokens: count,
});
/** One request's metadata: never a prompt, body, header, key or token. */
export const RequestLog = named(
  "RequestLog",
  z.strictObject({
    id: z.string(),
    at: time,
    pool: text,
    keyId: text,
    accountId: text,
    accountLabel: text,
    route: z.string(),
    method: z.string(),
    transport: z.enum(REQUEST_TRANSPORTS),
    model: text,
    status: z.number().int(),
    statusClass: z.enum(STATUS_CLASSES),
    errorCode: text,
    attempts: count,
    durationMs: z.number().min(0),
    ttfbMs: z.number().min(0).nullable(),
    usage: TokenUsage.nullable(),
  }),
);
export const RequestLogListResponse = page("RequestLogListResponse", RequestLog);

export const AuditEvent = named(
  "AuditEvent",
  z.strictObject({
    id: z.string(),
    at: time,
    actor: z.string(),
    action: z.string(),
    targetType: z.string(),
    targetId: text,
    outcome: z.string(),
    details: z.record(z.string(), z.unknown()),
  }),
);
export const AuditEventListResponse = page("AuditEventListResponse", AuditEvent);

export const Whoami = named(
  "Whoami",
  z.strictObject({ actor: z.string(), role: z.enum(OPERATOR_ROLES), pools: strings }),
);

export const Settings = named(
  "SettingsResponse",
  z.strictObject({
    settings: z.strictObject({
      mcpEnabled: z.boolean(),
      firewall: z.strictObject({
        enabled: z.boolean(),
        allow: strings,
        trustedProxies: strings,
        clientIpSource: z.enum(CLIENT_IP_SOURCES),
        proxyDepth: count,
      }),
      updatedAt: maybeTime,
    }),
  }),
);

export const AdmissionResponse = named(
  "AdmissionResponse",
  z.strictObject({
    enabled: z.boolean(),
    data: z.array(
      z.strictObject({
        routeClass: z.string(),
        concurrency: count,
        queue: count,
        timeoutMs: count,
        running: count,
        queued: count,
        rejected: count,
      }),
    ),
  }),
);

const UsageCounts = {
  requests: count,
  errors: count,
  inputTokens: count,
  cachedTokens: count,
  outputTokens: count,
  reasoningTokens: count,
  totalTokens: count,
  byStatusClass: z.strictObject({ "2xx": count, "3xx": count, "4xx": count, "5xx": count }),
};
export const UsageReport = named(
  "UsageReport",
  z.strictObject({
    since: z.string(),
    until: z.string(),
    groupBy: z.enum(USAGE_GROUPS),
    filters: z.strictObject({ pool: text, key: text }),
    data: z.array(
      z.strictObject({
        group: z.string(),
        label: text,
        pool: text,
        ...UsageCounts,
        errorCodes: z.record(z.string(), count),
      }),
    ),
    totals: z.strictObject(UsageCounts),
  }),
);

export const Invite = named(
  "Invite",
  z.strictObject({
    id: z.string(),
    pool: z.string(),
    /** Masked. */
    email: text,
    label: text,
    status: z.enum(INVITE_STATUSES),
    createdBy: z.string(),
    createdAt: time,
    expiresAt: maybeTime,
    acceptedAt: maybeTime,
    revokedAt: maybeTime,
    accountId: text,
  }),
);
export const InviteResponse = named("InviteResponse", z.strictObject({ invite: Invite }));
/** The one-time URL (and its path) is in this answer only. */
export const InviteCreateResponse = named(
  "InviteCreateResponse",
  z.strictObject({ invite: Invite, url: z.string(), path: z.string() }),
);
export const InviteListResponse = list("InviteListResponse", Invite);

// ---- Alerting ----

export const AlertRule = named(
  "AlertRule",
  z.strictObject({
    id: z.string(),
    pool: z.string(),
    kind: z.enum(ALERT_RULE_KINDS),
    scopeType: z.enum(ALERT_SCOPE_TYPES),
    displayName: z.string(),
    severity: z.enum(ALERT_SEVERITIES),
    cooldownMinutes: count,
    state: z.enum(ALERT_RULE_STATES),
    channelIds: strings,
    model: text,
    minUsableAssignments: maybeCount,
    targetState: text,
    windowSelector: z.enum(WINDOW_SELECTORS).nullable(),
    thresholdUsedPercent: maybeCount,
    windowMinutes: maybeCount,
    thresholdErrorPercent: maybeCount,
    minRequests: maybeCount,
    createdBy: z.string(),
    createdAt: time,
    updatedAt: time,
  }),
);
/** Of a channel's URL only its host, path start and fingerprint; never the URL or the signing secret. */
export const AlertChannel = named(
  "AlertChannel",
  z.strictObject({
    id: z.string(),
    name: z.string(),
    kind: z.enum(CHANNEL_KINDS),
    format: z.enum(CHANNEL_FORMATS),
    state: z.enum(ALERT_RULE_STATES),
    url: z.strictObject({ host: z.string(), pathPrefix: z.string(), fingerprint: z.string() }),
    secretConfigured: z.literal(true),
    lastDelivery: z
      .strictObject({ at: time, outcome: z.enum(ATTEMPT_OUTCOMES).nullable(), statusCode: maybeCount })
      .nullable(),
    createdBy: z.string(),
    createdAt: time,
    updatedAt: time,
  }),
);
export const AlertIncident = named(
  "AlertIncident",
  z.strictObject({
    id: z.string(),
    ruleId: z.string(),
    ruleKind: z.enum(ALERT_RULE_KINDS),
    pool: z.string(),
    severity: z.enum(ALERT_SEVERITIES),
    state: z.enum(INCIDENT_STATES),
    dedupeKey: z.string(),
    reasonCode: z.string(),
    scopeType: z.enum(ALERT_SCOPE_TYPES),
    accountId: text,
    accountLabel: text,
    model: text,
    summary: z.string(),
    /** Counts, labels, percents, times: never an email, token, URL or body. */
    evidence: z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()])),
    occurrenceCount: count,
    firstSeenAt: time,
    lastSeenAt: time,
    notificationCount: count,
    lastNotifiedAt: maybeTime,
    nextNotifyAt: maybeTime,
    acknowledgedAt: maybeTime,
    acknowledgedBy: text,
    resolvedAt: maybeTime,
    resolvedBy: text,
    resolution: z.enum(INCIDENT_RESOLUTIONS).nullable(),
  }),
);
export const AlertDelivery = named(
  "AlertDelivery",
  z.strictObject({
    eventId: z.string(),
    eventType: z.enum(ALERT_EVENT_TYPES),
    /** null for a channel test. */
    incidentId: text,
    channelId: z.string(),
    status: z.enum(DELIVERY_STATUSES),
    attemptCount: count,
    maxAttempts: count,
    nextAttemptAt: maybeTime,
    errorCode: text,
    attempts: z.array(
      z.strictObject({
        attemptId: z.string(),
        at: time,
        durationMs: z.number().min(0),
        outcome: z.enum(ATTEMPT_OUTCOMES),
        statusCode: maybeCount,
        errorCode: text,
      }),
    ),
    createdAt: time,
    updatedAt: time,
  }),
);
export const AlertRuleResponse = named("AlertRuleResponse", z.strictObject({ rule: AlertRule }));
export const AlertRuleListResponse = list("AlertRuleListResponse", AlertRule);
export const AlertChannelResponse = named(
  "AlertChannelResponse",
  z.strictObject({ channel: AlertChannel, secret: z.string().nullable().optional() }),
);
export const AlertChannelListResponse = list("AlertChannelListResponse", AlertChannel);
export const AlertChannelTestResponse = named(
  "AlertChannelTestResponse",
  z.strictObject({ delivered: z.boolean(), delivery: AlertDelivery }),
);
export const AlertIncidentResponse = named(
  "AlertIncidentResponse",
  z.strictObject({ incident: AlertIncident }),
);
export const AlertIncidentDetailResponse = named(
  "AlertIncidentDetailResponse",
  z.strictObject({ incident: AlertIncident, deliveries: z.array(AlertDelivery) }),
);
export const AlertIncidentListResponse = page("AlertIncidentListResponse", AlertIncident);
const Tally = { attempted: count, delivered: count, retrying: count, failed: count };
export const AlertEvaluation = named(
  "AlertEvaluation",
  z.strictObject({
    status: z.literal("done"),
    rulesEvaluated: count,
    rulesDue: z.boolean(),
    opened: count,
    repeated: count,
    resolved: count,
    deliveries: z.strictObject(Tally),
    nextEvaluationAt: maybeTime,
  }),
);

export const ApiError = named(
  "Error",
  z.strictObject({
    error: z.strictObject({
      message: z.string(),
      type: z.enum(["invalid_request_error", "server_error"]),
      code: z.string(),
      param: text,
    }),
  }),
);

// ---- MCP answers: the same records, minus what an agent's context window must never hold ----

/** An account as the MCP tools list it: the admin record without even the masked email. */
export const McpAccount = Account.omit({ email: true });
/** An invite as the MCP tools list it: the admin record without even the masked email. */
export const McpInvite = Invite.omit({ email: true });
const StatusCounts = z.record(z.string(), count);
/** A Pool in the MCP list: the admin record plus live serving and per-status counts. */
export const McpPoolSummary = Pool.extend({
  servingAccounts: count,
  accountsByStatus: StatusCounts,
  keysByStatus: z.strictObject({ active: count, paused: count, revoked: count }),
});
