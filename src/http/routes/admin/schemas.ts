// Admin API input schemas; also the source of the OpenAPI description.
import { z } from "zod";
import { ROUTING_STRATEGIES } from "../../../core/model.ts";

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
});
export const ImportAccount = z.strictObject({
  pool: PoolName,
  authJson: z.record(z.string(), z.unknown()),
  label: Label,
});
export const CreateKey = z.strictObject({ pool: PoolName, label: Label });
export const CreateMcpToken = z.strictObject({ label: Label });
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
