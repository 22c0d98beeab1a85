// Admin API input schemas of the alerting routes; also their OpenAPI description.
import { z } from "zod";
import {
  ALERT_RULE_KINDS,
  ALERT_SEVERITIES,
  CHANNEL_FORMATS,
  CHANNEL_KINDS,
  WINDOW_SELECTORS,
} from "../../../core/alerts/model.ts";
import { MODEL_ID } from "../../../core/keys/key-policy.ts";
import { PoolName } from "./schemas.ts";

const ChannelId = z.string().regex(/^alc_[0-9a-f]{16}$/, "an alert channel id such as alc_0123456789abcdef");
const RuleParams = {
  /** Pool kinds: judge usability (or errors) for this model only. */
  model: z.string().regex(MODEL_ID, "a model id such as gpt-5.5").nullable().optional(),
  minUsableAssignments: z.number().int().min(1).max(1000).nullable().optional(),
  /** pool_all_assignments_in_state and upstream_auth_state. */
  targetState: z.string().max(40).nullable().optional(),
  windowSelector: z.enum(WINDOW_SELECTORS).nullable().optional(),
  thresholdUsedPercent: z.number().min(1).max(100).nullable().optional(),
  windowMinutes: z.number().int().min(5).max(1440).nullable().optional(),
  thresholdErrorPercent: z.number().min(1).max(100).nullable().optional(),
  minRequests: z.number().int().min(1).max(100_000).nullable().optional(),
};
const Common = {
  displayName: z.string().min(1).max(160).optional(),
  severity: z.enum(ALERT_SEVERITIES).optional(),
  cooldownMinutes: z.number().int().min(5).max(1440).optional(),
  channelIds: z.array(ChannelId).max(20).optional(),
};

export const CreateAlertRule = z.strictObject({
  pool: PoolName,
  kind: z.enum(ALERT_RULE_KINDS),
  ...Common,
  ...RuleParams,
});
/** Pool and kind are fixed: delete and recreate to change them. Null resets a parameter. */
export const UpdateAlertRule = z.strictObject({ ...Common, ...RuleParams });

const WebhookUrl = z.string().min(1).max(2048);
const Secret = z.string().min(16, "at least 16 characters").max(256);
export const CreateAlertChannel = z.strictObject({
  name: z.string().min(1).max(160),
  kind: z.enum(CHANNEL_KINDS).optional(),
  url: WebhookUrl,
  secret: Secret.optional(),
  format: z.enum(CHANNEL_FORMATS).optional(),
});
export const UpdateAlertChannel = z.strictObject({
  name: z.string().min(1).max(160).optional(),
  url: WebhookUrl.optional(),
  secret: Secret.optional(),
  rotateSecret: z.literal(true).optional(),
  format: z.enum(CHANNEL_FORMATS).optional(),
});

export const IncidentQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(1000).default(50),
  cursor: z.string().max(2048).optional(),
  state: z.enum(["open", "acknowledged", "resolved"]).optional(),
  pool: PoolName.optional(),
});

export const RuleQuery = z.strictObject({ pool: PoolName.optional() });
export const EvaluateBody = z.strictObject({});
