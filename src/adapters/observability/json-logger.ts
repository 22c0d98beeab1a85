import type { Logger } from "../../core/context.ts";
import { redacting } from "./redacting-logger.ts";

type Level = "info" | "warn" | "error";

/**
 * One JSON line per event (CloudWatch-friendly). Callers pass metadata only, never bodies or secrets;
 * the shared redaction catches what slips through.
 */
export function jsonLogger(
  write: (line: string) => void = (line) => process.stdout.write(`${line}\n`),
): Logger {
  const emit = (level: Level, message: string, fields?: Record<string, unknown>) =>
    write(JSON.stringify({ time: new Date().toISOString(), level, message, ...fields }));
  return redacting({
    info: (message, fields) => emit("info", message, fields),
    warn: (message, fields) => emit("warn", message, fields),
    error: (message, fields) => emit("error", message, fields),
  });
}
