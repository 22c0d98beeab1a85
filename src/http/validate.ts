import type { z } from "zod";
import { badRequest } from "../core/errors.ts";

/** Validates with zod and turns the first issue into an OpenAI-shaped 400 naming the field. */
export function validate<T extends z.ZodType>(schema: T, value: unknown): z.infer<T> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const param = issue?.path.length ? issue.path.join(".") : null;
  throw badRequest(`${param ?? "body"}: ${issue?.message ?? "invalid"}`, param);
}

export async function jsonBody(request: Request): Promise<unknown> {
  try {
    return await request.json();
  } catch {
    throw badRequest("request body must be valid JSON");
  }
}
