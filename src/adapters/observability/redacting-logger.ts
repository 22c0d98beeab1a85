// The one redaction both loggers apply (the local JSON-lines logger, also used by the MCP function,
// and the Powertools logger on AWS). Callers pass metadata only; this is defence in depth against a
// field that slipped through: credential-named keys and anything shaped like a token are replaced
// before writing.
import type { Logger } from "../../core/context.ts";

const REDACTED = "[redacted]";
const SECRET_KEY =
  /authorization|cookie|passw|secret|token$|^token|access.?token|refresh.?token|id.?token|api.?key|auth.?json|^body$|^prompt$|^input$|^instructions$/i;
const SECRET_VALUE: RegExp[] = [
  /\b(?:sk|mcp|adm)-cxp-[A-Za-z0-9_-]+/g,
  /\beyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*/g,
  /\bBearer\s+\S+/gi,
  /\bsk-[A-Za-z0-9_-]{20,}/g,
];

/** `logger` with every message and field redacted before it is written. */
export function redacting(logger: Logger): Logger {
  return {
    info: (message, fields) => logger.info(redactText(message), redactFields(fields)),
    warn: (message, fields) => logger.warn(redactText(message), redactFields(fields)),
    error: (message, fields) => logger.error(redactText(message), redactFields(fields)),
  };
}

const redactFields = (fields: Record<string, unknown> | undefined) =>
  redact(fields ?? {}) as Record<string, unknown>;

/** Copies `value` with secret-named keys and token-shaped strings redacted (exported for tests). */
export function redact(value: unknown, depth = 0): unknown {
  if (typeof value === "string") return redactText(value);
  if (value === null || typeof value !== "object") return value;
  if (depth >= 5) return "[truncated]";
  if (value instanceof Error) return { name: value.name, message: redactText(value.message) };
  if (Array.isArray(value)) return value.slice(0, 50).map((v) => redact(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) {
    // Numbers and booleans under such keys are counts or flags (e.g. usage `inputTokens`), not secrets.
    out[key] =
      SECRET_KEY.test(key) && (typeof v === "string" || (v !== null && typeof v === "object"))
        ? REDACTED
        : redact(v, depth + 1);
  }
  return out;
}

export function redactText(text: string): string {
  let out = text;
  for (const pattern of SECRET_VALUE) out = out.replace(pattern, REDACTED);
  return out;
}
