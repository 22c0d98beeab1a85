// Admin API input schemas; also the source of the OpenAPI description.
import { z } from "zod";
import { MAX_SCOPE_POOLS, OPERATOR_ROLES } from "../../../core/access/scope.ts";
import { MAX_ALLOWED_MODELS, MODEL_ID } from "../../../core/keys/key-policy.ts";
import { REASONING_EFFORTS, ROUTING_STRATEGIES } from "../../../core/model.ts";

export const Label = z.string().max(160).optional();
export const PoolName = z
  .string()
  .regex(/^[a-z0-9][a-z0-9_-]{0,62}$/, "lowercase letters, digits, '-' or '_'");

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
const Cap = z.number().int().min(1).max(Number.MAX_SAFE_INTEGER).nullable().optional();
/** Per-key limits: a field absent or null means no cap; an empty model list allows no model. */
export const KeyPolicy = z.strictObject({
  allowedModels: z
    .array(z.string().regex(MODEL_ID, "a model id such as gpt-5.5"))
    .max(MAX_ALLOWED_MODELS)
    .nullable()
    .optional(),
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
  policy: KeyPolicy.optional(),
  dashboardAccess: DashboardAccess,
});
/** Policy fields merge: absent keeps the value, null removes the cap. */
export const UpdateKey = z.strictObject({
  label: Label,
  policy: KeyPolicy.optional(),
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
export const PageQuery = z.object({
  limit: z.coerce.number().int().min(1).max(1000).default(50),
  cursor: z.string().max(2048).optional(),
});
export const LogQuery = PageQuery.extend({
  pool: z.string().max(63).optional(),
  key: z
    .string()
    .regex(/^[0-9a-f]{12}$/, "a 12-hex key id")
    .optional(),
});
export const PoolFilter = z.object({ pool: z.string().max(63).optional() });
