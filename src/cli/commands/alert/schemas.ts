// The alerting admin API's answers as the CLI reads them (zod), and the choices its flags accept.
import { z } from "zod";

export const KINDS = [
  "pool_no_usable_assignments",
  "pool_low_usable_assignments",
  "pool_all_assignments_in_state",
  "upstream_quota_threshold",
  "upstream_auth_state",
  "pool_error_rate_spike",
];
export const SEVERITIES = ["info", "warning", "critical"];
export const WINDOWS = ["account_primary", "account_secondary", "any"];
export const FORMATS = ["json", "slack"];
export const INCIDENT_STATES = ["open", "acknowledged", "resolved"];

const text = z.string().nullish();
const num = z.number().nullish();

export const Rule = z.object({
  id: z.string(),
  pool: text,
  kind: text,
  displayName: text,
  severity: text,
  state: text,
  cooldownMinutes: num,
  channelIds: z.array(z.string()).nullish(),
  model: text,
  minUsableAssignments: num,
  targetState: text,
  windowSelector: text,
  thresholdUsedPercent: num,
  windowMinutes: num,
  thresholdErrorPercent: num,
  minRequests: num,
});
export type Rule = z.infer<typeof Rule>;

export const Channel = z.object({
  id: z.string(),
  name: text,
  kind: text,
  format: text,
  state: text,
  url: z.object({ host: text, pathPrefix: text, fingerprint: text }).nullish(),
  lastDelivery: z.object({ at: text, outcome: text, statusCode: num }).nullish(),
});
export type Channel = z.infer<typeof Channel>;

export const Incident = z.object({
  id: z.string(),
  ruleId: text,
  ruleKind: text,
  pool: text,
  severity: text,
  state: text,
  reasonCode: text,
  accountLabel: text,
  summary: text,
  occurrenceCount: num,
  notificationCount: num,
  firstSeenAt: text,
  lastSeenAt: text,
  acknowledgedAt: text,
  resolvedAt: text,
  resolution: text,
});
export type Incident = z.infer<typeof Incident>;

const Attempt = z.object({
  attemptId: z.string(),
  at: text,
  outcome: text,
  statusCode: num,
  errorCode: text,
  durationMs: num,
});

export const Delivery = z.object({
  eventId: z.string(),
  eventType: text,
  channelId: text,
  status: text,
  attemptCount: num,
  nextAttemptAt: text,
  errorCode: text,
  attempts: z.array(Attempt).nullish(),
});
export type Delivery = z.infer<typeof Delivery>;

export const EvaluateResult = z.object({
  rulesEvaluated: z.number(),
  opened: z.number(),
  repeated: z.number(),
  resolved: z.number(),
  deliveries: z.object({
    attempted: z.number(),
    delivered: z.number(),
    retrying: z.number(),
    failed: z.number(),
  }),
});
