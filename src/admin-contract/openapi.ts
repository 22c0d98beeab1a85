// The OpenAPI 3.1 document of the admin API, generated from the contract: request bodies and query
// parameters from requests.ts, typed answers from responses.ts (components/schemas, by $ref).
import { z } from "zod";
import { OPERATIONS, type Operation } from "./operations.ts";
import { components } from "./responses.ts";

const ref = (id: string) => ({ $ref: `#/components/schemas/${id}` });
const uri = (id: string) => `#/components/schemas/${id}`;
const json = (schema: object) => ({ "application/json": { schema } });

/** An embedded schema: no `$schema` (the document's dialect applies) and no `$id`. */
function embedded(schema: object): object {
  const { $schema: _, $id: __, ...rest } = schema as Record<string, unknown>;
  return rest;
}

/** A registered schema by $ref; anything else inline. */
function schemaOf(schema: z.ZodType): object {
  const id = components.get(schema)?.id;
  return id ? ref(id) : embedded(z.toJSONSchema(schema));
}

/** Bodies and queries as a client sends them (before defaults and transforms). */
const input = (schema: z.ZodType) =>
  embedded(z.toJSONSchema(schema, { io: "input", unrepresentable: "any" }));

function parameters(op: Operation) {
  const path = [...op.path.matchAll(/\{(\w+)\}/g)].map(([, name]) => ({
    name,
    in: "path",
    required: true,
    schema: { type: "string" },
  }));
  const query = Object.entries(op.query?.shape ?? {}).map(([name, schema]) => ({
    name,
    in: "query",
    schema: input(schema as z.ZodType),
  }));
  const all = [...path, ...query];
  return all.length ? { parameters: all } : {};
}

function operation(op: Operation) {
  const failure = (description: string) => ({ description, content: json(ref("Error")) });
  const responses: Record<string, object> = {};
  for (const [status, schema] of Object.entries(op.ok)) {
    responses[status] = { description: op.summary, content: json(schemaOf(schema)) };
  }
  for (const [status, description] of Object.entries(op.failures ?? {})) {
    responses[status] = failure(description);
  }
  Object.assign(responses, {
    "400": failure("Invalid input"),
    "401": failure("Missing or invalid admin token"),
    "403": failure("insufficient_scope (param: the missing scope)"),
    "404": failure("Not found"),
  });
  return {
    summary: op.summary,
    ...parameters(op),
    ...(op.body ? { requestBody: { required: true, content: json(input(op.body)) } } : {}),
    responses,
  };
}

let built: { version: string; doc: object } | undefined;

export function adminOpenApi(version: string) {
  if (built?.version === version) return built.doc;
  const paths: Record<string, Record<string, object>> = {};
  for (const op of OPERATIONS) {
    paths[op.path] ??= {};
    (paths[op.path] as Record<string, object>)[op.method] = operation(op);
  }
  // Every registered schema (the error envelope included) under components/schemas, by $ref.
  const all = z.toJSONSchema(components, { uri }).schemas;
  const schemas = Object.fromEntries(Object.entries(all).map(([id, s]) => [id, embedded(s)]));
  const doc = {
    openapi: "3.1.0",
    info: { title: "Codex Pooler admin API", version },
    servers: [{ url: "/admin/v1" }],
    security: [{ bearer: [] }],
    components: {
      securitySchemes: { bearer: { type: "http", scheme: "bearer" } },
      schemas,
    },
    paths,
  };
  built = { version, doc };
  return doc;
}
