// Shapes of the admin API responses, as far as the human output needs them. Deliberately lenient
// (optional fields may be null or absent, unknown fields are ignored) so that additive server changes
// do not break the CLI; `--json` prints the response as received and never goes through these.
import { z } from "zod";

const text = z.string().nullish();
const time = z.union([z.string(), z.number()]).nullish();
const count = z.number().nullish();

export const PoolSchema = z.object({
  name: z.string(),
  strategy: text,
  ringSize: count,
  createdAt: time,
  updatedAt: time,
  accountCount: count,
  keyCount: count,
  disabled: z.boolean().nullish(),
});
export type Pool = z.infer<typeof PoolSchema>;

export const AccountSchema = z.object({
  id: z.string(),
  label: text,
  pools: z.array(z.string()).nullish(),
  status: text,
  planType: text,
  email: text,
  accessTokenExpiresAt: time,
  lastRefreshAt: time,
  lastUsedAt: time,
  lastSuccessAt: time,
  lastErrorCode: text,
  quota: z
    .object({
      primaryUsedPercent: count,
      primaryResetAt: time,
      secondaryUsedPercent: count,
      secondaryResetAt: time,
      exhaustedUntil: time,
    })
    .nullish(),
  createdAt: time,
});
export type Account = z.infer<typeof AccountSchema>;

export const KeyPolicySchema = z.object({
  allowedModels: z.array(z.string()).nullish(),
  maxReasoningEffort: text,
  requestsPerMinute: count,
  tokensPerDay: count,
  tokensPerWeek: count,
});
export type KeyPolicy = z.infer<typeof KeyPolicySchema>;

export const ApiKeySchema = z.object({
  id: z.string(),
  prefix: text,
  pool: text,
  label: text,
  status: text,
  createdAt: time,
  updatedAt: time,
  lastUsedAt: time,
  revokedAt: time,
  policy: KeyPolicySchema.nullish(),
  dashboardAccess: z.boolean().nullish(),
});
export type ApiKey = z.infer<typeof ApiKeySchema>;

export const McpTokenSchema = z.object({
  id: z.string(),
  prefix: text,
  label: text,
  status: text,
  createdAt: time,
  updatedAt: time,
  lastUsedAt: time,
  /** Admin and MCP tokens: `owner` or `pool_admin` with the assigned Pools. */
  role: text,
  pools: z.array(z.string()).nullish(),
});
export type McpToken = z.infer<typeof McpTokenSchema>;
export const WhoamiResponse = z.object({ actor: z.string(), role: z.string(), pools: z.array(z.string()) });

export const UsageSchema = z.object({
  inputTokens: count,
  cachedTokens: count,
  outputTokens: count,
  reasoningTokens: count,
  totalTokens: count,
});

export const RequestLogSchema = z.object({
  id: z.string(),
  at: time,
  pool: text,
  keyId: text,
  accountLabel: text,
  route: text,
  method: text,
  transport: text,
  model: text,
  status: count,
  errorCode: text,
  attempts: count,
  durationMs: count,
  ttfbMs: count,
  usage: UsageSchema.nullish(),
});
export type RequestLog = z.infer<typeof RequestLogSchema>;

export const AuditEventSchema = z.object({
  id: z.string(),
  at: time,
  actor: text,
  action: text,
  targetType: text,
  targetId: text,
  outcome: text,
  details: z.record(z.string(), z.unknown()).nullish(),
});
export type AuditEvent = z.infer<typeof AuditEventSchema>;

/** A raw key/token: printed as the last stdout line, so it must be a single non-blank token. */
const secret = z.string().regex(/^\S+$/, "expected a single-line secret");

export const PoolResponse = z.object({ pool: PoolSchema });
export const SettingsResponse = z.object({
  settings: z.object({
    mcpEnabled: z.boolean(),
    firewall: z
      .object({
        enabled: z.boolean(),
        allow: z.array(z.string()),
        trustedProxies: z.array(z.string()),
        clientIpSource: z.string(),
        proxyDepth: z.number(),
      })
      .optional(),
    updatedAt: z.string().nullish(),
  }),
});
export const PoolListResponse = z.object({ data: z.array(PoolSchema) });
export const AccountResponse = z.object({ account: AccountSchema });
export const AccountImportResponse = z.object({
  account: AccountSchema,
  warnings: z.array(z.string()).nullish(),
});
export const AccountListResponse = z.object({ data: z.array(AccountSchema) });
export const AccountDeleteResponse = z.object({ id: z.string(), deleted: z.boolean() });
export const KeyDeleteResponse = AccountDeleteResponse;
export const AdmissionResponse = z.object({
  enabled: z.boolean(),
  data: z.array(
    z.object({
      routeClass: z.string(),
      concurrency: count,
      queue: count,
      timeoutMs: count,
      running: count,
      queued: count,
      rejected: count,
    }),
  ),
});
export const KeyResponse = z.object({ key: ApiKeySchema });
export const KeySecretResponse = z.object({ key: ApiKeySchema, secret });
export const KeyListResponse = z.object({ data: z.array(ApiKeySchema) });
const UsageWindowSchema = z.object({
  window: text,
  resetsAt: time,
  requests: count,
  tokens: count,
  requestsLimit: count,
  tokensLimit: count,
});
export const KeyUsageResponse = z.object({
  keyId: z.string(),
  at: time,
  minute: UsageWindowSchema,
  day: UsageWindowSchema,
  week: UsageWindowSchema,
});
export const McpTokenResponse = z.object({ token: McpTokenSchema });
export const McpTokenSecretResponse = z.object({ token: McpTokenSchema, secret });
export const McpTokenListResponse = z.object({ data: z.array(McpTokenSchema) });
export const RequestLogListResponse = z.object({
  data: z.array(RequestLogSchema),
  nextCursor: z.string().nullish(),
});
export const AuditEventListResponse = z.object({
  data: z.array(AuditEventSchema),
  nextCursor: z.string().nullish(),
});

/** The admin API's error envelope. */
export const ApiErrorBody = z.object({
  error: z.object({
    message: z.string(),
    type: z.string().nullish(),
    code: z.string().nullish(),
    param: z.string().nullish(),
  }),
});

export const InviteSchema = z.object({
  id: z.string(),
  pool: text,
  email: text,
  label: text,
  status: text,
  createdBy: text,
  createdAt: time,
  expiresAt: time,
  acceptedAt: time,
  accountId: text,
});
export const InviteResponse = z.object({ invite: InviteSchema });
export const InviteCreateResponse = z.object({ invite: InviteSchema, url: z.string() });
export const InviteListResponse = z.object({ data: z.array(InviteSchema) });
