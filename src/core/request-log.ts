import type { CoreContext } from "./context.ts";
import { sortableId } from "./ids.ts";
import { recordKeyTokens } from "./key-usage.ts";
import type { RequestLog } from "./model.ts";
import { recordUsageRollup } from "./usage/rollups.ts";

export type RequestLogDraft = Omit<RequestLog, "id" | "expiresAt" | "at"> & { at: number };

/** Writes one metadata-only row after the response, without holding the client up. */
export function logRequest(ctx: CoreContext, draft: RequestLogDraft): void {
  const row: RequestLog = {
    ...draft,
    id: sortableId("log", draft.at),
    expiresAt: Math.floor(draft.at / 1000) + ctx.config.requestLogRetentionDays * 86_400,
  };
  // Raw route, status and error code: metrics adapters bound them (route family, status class).
  ctx.metrics.count("requests", 1, {
    route: row.route,
    status: String(row.status),
    ...(row.errorCode ? { code: row.errorCode } : {}),
  });
  ctx.metrics.timing("request_duration", row.durationMs, { route: row.route });
  if (row.ttfbMs !== undefined) ctx.metrics.timing("ttfb", row.ttfbMs, { route: row.route });
  // The daily rollups first, then the row: once a row is visible its counts are in the rollups.
  ctx.background(
    recordUsageRollup(ctx, row)
      .then(() => ctx.store.requestLogs.append(row))
      .catch((error) => {
        ctx.logger.error("request log write failed", { route: row.route, error: String(error) });
      }),
  );
  // Every route that logs usage feeds the key's token limits, whatever its surface.
  if (row.keyId && row.usage) recordKeyTokens(ctx, row.keyId, row.at, row.usage.totalTokens);
}
