// What the admin API accepts: one zod schema per body and query. The admin routes validate with
// these, the OpenAPI document (openapi.ts) describes them, and the CLI builds its requests to match.
import { z } from "zod";
import {
  ALERT_RULE_KINDS,
  ALERT_SEVERITIES,
  CHANNEL_FORMATS,
  CHANNEL_KINDS,
  CLIENT_IP_SOURCES,
  INCIDENT_STATES,
  INVITE_STATUSES,
  MAX_ALLOWED_MODELS,
  MAX_SCOPE_POOLS,
  MODEL_ID,
  OPERATOR_ROLES,
  REASONING_EFFORTS,
  ROUTING_STRATEGIES,
  USAGE_GROUPS,
  WINDOW_SELECTORS,
} from "./enums.ts";

export const Label = z.string().max(160).optional();
export const PoolName = z
  .string()
  .regex(/^[a-z0-9][a-z0-9_-]{0,62}$/, "lowercase letters, digits, '-' or '_'");
const ModelId = z.string().regex(MODEL_ID, "a model id such as gpt-5.5");

const RingSize = z.number().int().min(1).max(16);
export const CreatePool = z.strictObject({
  name: PoolName,
  strategy: z.enum(ROUTING_STRATEGIES).optional(),
  ringSize: RingSize.optional(),
});
export const UpdatePool = z.strictObject({
  strategy: z.enum(ROUTING_STRATEGIES).optional(),
  ringSize: RingSize.optional(),
  /** Serve /v1/images and the native image routes (default true). */
  allowImageGeneration: z.boolean().optional(),
});
export const ImportAccount = z.strictObject({
  pool: PoolName,
  authJson: z.record(z.string(), z.unknown()),
  label: Label,
});
export const StartOAuthLogin = z.strictObject({ pool: PoolName, label: Label });
export const BrowserCallback = z.strictObject({ callbackUrl: z.string().min(1).max(8192) });

const Cap = z.number().int().min(1).max(Number.MAX_SAFE_INTEGER).nullable().optional();
/** Per-key limits: a field absent or null means no cap; an empty model list allows no model. */
export const KeyPolicyInput = z.strictObject({
  allowedModels: z.array(ModelId).max(MAX_ALLOWED_MODELS).nullable().optional(),
  maxReasoningEffort: z.enum(REASONING_EFFORTS).nullable().optional(),
  requestsPerMinute: Cap,
  tokensPerDay: Cap,
  tokensPerWeek: Cap,
});
/** The holder may sign in to the read-only dashboard at /observatory with the key (default false). */
const DashboardAccess = z.boolean().optional();
export const CreateKey = z.strictObject({
  pool: PoolName,
  label: Label,
  policy: KeyPolicyInput.optional(),
  dashboardAccess: DashboardAccess,
});
/** Policy fields merge: absent keeps the value, null removes the cap. */
export const UpdateKey = z.strictObject({
  label: Label,
  policy: KeyPolicyInput.optional(),
  dashboardAccess: DashboardAccess,
});
/** `pool_admin` sees only `pools` (docs/operators.md); `owner`, the default, sees everything. */
export const Role = z.enum(OPERATOR_ROLES);
export const ScopePools = z.array(PoolName).min(1).max(MAX_SCOPE_POOLS);
export const CreateAdminToken = z.strictObject({
  label: Label,
  role: Role.optional(),
  pools: ScopePools.optional(),
});
/** An MCP token with `pools` answers only about them; without, it has the owner view. */
export const CreateMcpToken = CreateAdminToken;
export const UpdateToken = z
  .strictObject({ label: Label, role: Role.optional(), pools: ScopePools.optional() })
  .refine((v) => Object.keys(v).length > 0, { message: "name at least one field to change" });

const Limit = z.coerce.number().int().min(1).max(1000).default(50);
const Cursor = z.string().max(2048).optional();
export const PageQuery = z.object({ limit: Limit, cursor: Cursor });
export const LogQuery = PageQuery.extend({
  pool: z.string().max(63).optional(),
  key: z
    .string()
    .regex(/^[0-9a-f]{12}$/, "a 12-hex key id")
    .optional(),
});
export const PoolFilter = z.object({ pool: z.string().max(63).optional() });

export const UsageQuery = z.strictObject({
  since: z.string().max(40).optional(),
  until: z.string().max(40).optional(),
  pool: PoolName.optional(),
  key: z
    .string()
    .regex(/^(sk-cxp-)?[0-9a-f]{12}$/, "a 12-hex key id (or its sk-cxp- prefix)")
    .transform((v) => v.replace(/^sk-cxp-/, ""))
    .optional(),
  groupBy: z.enum(USAGE_GROUPS).default("day"),
});

export const CreateInvite = z.strictObject({
  pool: PoolName,
  /** Who the invite is for; shown masked in listings. */
  email: z.string().min(3).max(254),
  /** Label of the account the invite adds (default: plan and id). */
  label: Label,
});
export const InviteQuery = z.strictObject({
  pool: PoolName.optional(),
  status: z.enum(INVITE_STATUSES).optional(),
});

/** An IP address or CIDR range; the route checks that it parses (src/core/access/firewall.ts). */
export const FirewallRule = z.string().max(64);
export const FirewallPatch = z.strictObject({
  /** IPs and CIDR ranges allowed to call the runtime routes; [] turns the firewall off. */
  allow: z.array(FirewallRule).max(256).optional(),
  /** Peers whose X-Forwarded-For / X-Real-IP are believed (a reverse proxy in front). */
  trustedProxies: z.array(FirewallRule).max(64).optional(),
  clientIpSource: z.enum(CLIENT_IP_SOURCES).optional(),
  proxyDepth: z.number().int().min(0).max(16).optional(),
});
export const UpdateSettings = z
  .strictObject({
    /** Serve /mcp (true, the default) or refuse every MCP token with 403 (false). */
    mcpEnabled: z.boolean().optional(),
    firewall: FirewallPatch.optional(),
  })
  .refine((v) => Object.keys(v).length > 0, { message: "name at least one setting to change" });

// ---- Alerting ----

const ChannelId = z.string().regex(/^alc_[0-9a-f]{16}$/, "an alert channel id such as alc_0123456789abcdef");
const RuleParams = {
  /** Pool kinds: judge usability (or errors) for this model only. */
  model: ModelId.nullable().optional(),
  minUsableAssignments: z.number().int().min(1).max(1000).nullable().optional(),
  /** pool_all_assignments_in_state and upstream_auth_state. */
  targetState: z.string().max(40).nullable().optional(),
  windowSelector: z.enum(WINDOW_SELECTORS).nullable().optional(),
  thresholdUsedPercent: z.number().min(1).max(100).nullable().optional(),
  windowMinutes: z.number().int().min(5).max(1440).nullable().optional(),
  thresholdErrorPercent: z.number().min(1).max(100).nullable().optional(),
  minRequests: z.number().int().min(1).max(100_000).nullable().optional(),
};
const RuleCommon = {
  displayName: z.string().min(1).max(160).optional(),
  severity: z.enum(ALERT_SEVERITIES).optional(),
  cooldownMinutes: z.number().int().min(5).max(1440).optional(),
  channelIds: z.array(ChannelId).max(20).optional(),
};
export const CreateAlertRule = z.strictObject({
  pool: PoolName,
  kind: z.enum(ALERT_RULE_KINDS),
  ...RuleCommon,
  ...RuleParams,
});
/** Pool and kind are fixed: delete and recreate to change them. Null resets a parameter. */
export const UpdateAlertRule = z.strictObject({ ...RuleCommon, ...RuleParams });

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
  limit: Limit,
  cursor: Cursor,
  state: z.enum(INCIDENT_STATES).optional(),
  pool: PoolName.optional(),
});
export const RuleQuery = z.strictObject({ pool: PoolName.optional() });
export const EvaluateBody = z.strictObject({});
