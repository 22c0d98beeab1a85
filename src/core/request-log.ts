import type { CoreContext } from "./context.ts";
import { sortableId } from "./ids.ts";
import type { RequestLog } from "./model.ts";

export type RequestLogDraft = Omit<RequestLog, "id" | "expiresAt" | "at"> & { at: number };

/** Writes one metadata-only row after the response, without holding the client up. */
export function logRequest(ctx: CoreContext, draft: RequestLogDraft): void {
  const row: RequestLog = {
    ...draft,
    id: sortableId("log", draft.at),
    expiresAt: Math.floor(draft.at / 1000) + ctx.config.requestLogRetentionDays * 86_400,
  };
  ctx.metrics.count("requests", 1, { route: row.route, status: String(row.status) });
  ctx.metrics.timing("request_duration", row.durationMs, { route: row.route });
  ctx.background(
    ctx.store.requestLogs.append(row).catch((error) => {
      ctx.logger.error("request log write failed", { route: row.route, error: String(error) });
    }),
  );
}
