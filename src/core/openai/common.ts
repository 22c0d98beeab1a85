// Small validators and shapes shared by the /v1 translators.
import { badRequest, GatewayError } from "../errors.ts";

export type Json = Record<string, unknown>;

export const MODEL_ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;
const EFFORT = /^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$/;
const SERVICE_TIERS = new Set(["auto", "default", "flex", "priority", "scale"]);
/** The original's aliases: `minimal` goes upstream as `low`, `ultra` as `max`. */
const EFFORT_ALIASES: Record<string, string> = { minimal: "low", ultra: "max" };

export const isObject = (value: unknown): value is Json =>
  typeof value === "object" && value !== null && !Array.isArray(value);

export const present = (value: unknown) => value !== undefined && value !== null;

export function unsupportedParameter(param: string, why?: string): GatewayError {
  return new GatewayError(
    400,
    "unsupported_parameter",
    `Unsupported parameter: ${param}${why ? ` (${why})` : ""}`,
    {
      param,
    },
  );
}

export function invalid(param: string, message: string): GatewayError {
  return badRequest(`${param}: ${message}`, param);
}

export function requireModel(value: unknown): string {
  if (typeof value !== "string" || !MODEL_ID.test(value)) {
    throw badRequest("model is required: pass a model id from GET /v1/models", "model");
  }
  return value;
}

/** Lower-cased effort token with the upstream aliases applied. */
export function reasoningEffort(value: unknown, param: string): string {
  if (typeof value !== "string" || !EFFORT.test(value) || /__|--|_-|-_/.test(value)) {
    throw invalid(param, "must be a reasoning effort such as low, medium or high");
  }
  const effort = value.toLowerCase();
  return EFFORT_ALIASES[effort] ?? effort;
}

export function serviceTier(value: unknown, param = "service_tier"): string {
  const tier = typeof value === "string" ? value.trim().toLowerCase() : "";
  const canonical = tier === "fast" ? "priority" : tier;
  if (!SERVICE_TIERS.has(canonical)) {
    throw invalid(param, "must be one of auto, default, flex, priority (fast) or scale");
  }
  return canonical;
}

export function positiveInt(value: unknown, param: string): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < 1) {
    throw invalid(param, "must be a positive integer");
  }
  return value;
}

export function text(value: unknown, param: string): string {
  if (typeof value !== "string") throw invalid(param, "must be a string");
  return value;
}

/** `user` is the older spelling of `safety_identifier` (an end-user id for abuse monitoring). */
export function safetyIdentifier(body: Json): string | undefined {
  const value = body.safety_identifier ?? body.user;
  if (!present(value)) return undefined;
  return text(value, present(body.safety_identifier) ? "safety_identifier" : "user");
}

/** Image URLs the upstream can read: data URLs and https only. */
export function checkImageUrl(url: unknown, param: string): string {
  if (typeof url !== "string" || url === "") throw invalid(param, "must be an image URL string");
  if (!/^(data:|https:)/i.test(url)) {
    throw invalid(param, "must be a data: URL or an https: URL");
  }
  return url;
}
