import type { z } from "zod";
import { badRequest } from "../core/errors.ts";
import { decodeText } from "../core/support/bounded-read.ts";
import { readBody } from "./body.ts";

/** Admin API bodies are small JSON documents; a larger one is refused (413) while it is read. */
export const ADMIN_MAX_BODY_BYTES = 1024 * 1024;
const ADMIN_BODY_LIMITS = {
  maxBodyBytes: ADMIN_MAX_BODY_BYTES,
  maxCompressedBodyBytes: ADMIN_MAX_BODY_BYTES,
};

/** Validates with zod and turns the first issue into an OpenAI-shaped 400 naming the field. */
export function validate<T extends z.ZodType>(schema: T, value: unknown): z.infer<T> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const param = issue?.path.length ? issue.path.join(".") : null;
  throw badRequest(`${param ?? "body"}: ${issue?.message ?? "invalid"}`, param);
}

/** The JSON of an admin request, read up to ADMIN_MAX_BODY_BYTES; `optional`: an empty body is `{}`. */
export async function jsonBody(request: Request, options: { optional?: boolean } = {}): Promise<unknown> {
  const text = decodeText(await readBody(request, ADMIN_BODY_LIMITS));
  if (options.optional && text.trim() === "") return {};
  try {
    return JSON.parse(text);
  } catch {
    throw badRequest("request body must be valid JSON");
  }
}
