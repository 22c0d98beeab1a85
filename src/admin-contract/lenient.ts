// The lenient reading of a contract schema, for clients that must keep working against a newer (or
// older) gateway: the CLI parses every answer through `lenient(Schema, keep)`, so its shapes come from
// the contract and are never written out a second time. Lenient means: unknown fields pass, enum and
// literal values widen to their base type (a new status does not break an old CLI), formats and
// bounds are not checked, and every field may be absent or null except the ones named in `keep`
// (identities and envelopes the client cannot do without). Plain string checks stay (a secret must
// still be one line).
import { z } from "zod";

type Scalar = string | number | boolean | bigint | null | undefined;
type Widen<T> = T extends string ? string : T extends number ? number : T extends boolean ? boolean : T;

/** The type `lenient(schema, keep)` parses to. */
export type Lenient<T, K extends PropertyKey> = T extends readonly (infer U)[]
  ? Lenient<U, K>[]
  : T extends Scalar
    ? Widen<T>
    : T extends object
      ? { [P in keyof T as P extends K ? P : never]: Lenient<NonNullable<T[P]>, K> } & {
          [P in keyof T as P extends K ? never : P]?: Lenient<T[P], K> | null;
        }
      : T;

function widen(schema: z.ZodType, keep: ReadonlySet<string>): z.ZodType {
  if (schema instanceof z.ZodNullable || schema instanceof z.ZodOptional) {
    return widen(schema.unwrap() as z.ZodType, keep);
  }
  if (schema instanceof z.ZodObject) {
    const shape: Record<string, z.ZodType> = {};
    for (const [name, field] of Object.entries(schema.shape as Record<string, z.ZodType>)) {
      const wide = widen(field, keep);
      shape[name] = keep.has(name) ? wide : wide.nullish();
    }
    return z.looseObject(shape);
  }
  if (schema instanceof z.ZodArray) return z.array(widen(schema.element as z.ZodType, keep));
  if (schema instanceof z.ZodUnion) {
    const options = (schema.options as z.ZodType[]).map((o) => widen(o, keep));
    return z.union(options as [z.ZodType, z.ZodType, ...z.ZodType[]]);
  }
  if (schema instanceof z.ZodRecord) return z.record(z.string(), widen(schema.valueType as z.ZodType, keep));
  if (schema instanceof z.ZodEnum) return z.string();
  if (schema instanceof z.ZodLiteral) {
    const [value] = schema.values;
    return typeof value === "number" ? z.number() : typeof value === "boolean" ? z.boolean() : z.string();
  }
  if (schema instanceof z.ZodStringFormat) return z.string();
  if (schema instanceof z.ZodNumber) return z.number();
  return schema;
}

/** The contract schema read leniently; `keep` names the fields that must be present (at any depth). */
export function lenient<S extends z.ZodType, K extends string = never>(
  schema: S,
  keep: readonly K[] = [],
): z.ZodType<Lenient<z.output<S>, K>> {
  return widen(schema, new Set(keep)) as z.ZodType<Lenient<z.output<S>, K>>;
}
