// Logger port → Powertools Logger (structured JSON with the Lambda request id and cold-start flag),
// through the shared redaction (redacting-logger.ts).
import { Logger as PowertoolsLogger } from "@aws-lambda-powertools/logger";
import type { Logger } from "../../core/context.ts";
import { redacting } from "./redacting-logger.ts";

export function powertoolsLogger(logger: PowertoolsLogger = new PowertoolsLogger()): Logger & {
  readonly powertools: PowertoolsLogger;
} {
  return {
    powertools: logger,
    ...redacting({
      info: (message, fields) => logger.info(message, fields ?? {}),
      warn: (message, fields) => logger.warn(message, fields ?? {}),
      error: (message, fields) => logger.error(message, fields ?? {}),
    }),
  };
}
