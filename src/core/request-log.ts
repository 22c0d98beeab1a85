import type { CoreContext } from "./context.ts";
import { sortableId } from "./ids.ts";
import { recordKeyTokens } from "./keys/key-usage.ts";
import type { Account, RequestLog } from "./model.ts";
import { recordUsageRollup } from "./usage/rollups.ts";

export type RequestLogDraft = Omit<RequestLog, "id" | "expiresAt" | "at"> & { at: number };

/** What a request's row knows before any account is tried. */
export type RequestLogBase = Pick<
  RequestLog,
  "pool" | "keyId" | "route" | "method" | "transport" | "model"
> & {
  at: number;
};

/** How one request's outcome is told: the account that answered (if any), tries, and the rest. */
export type RequestLogOutcome = Omit<
  RequestLogDraft,
  keyof RequestLogBase | "accountId" | "accountLabel" | "durationMs" | "attempts"
> & { account?: Pick<Account, "id" | "label">; attempts?: number; model?: string };

/**
 * The one builder of a request's row, for every route that talks to the upstream or refuses before
 * it: the account's id and label, attempts (1 when an account answered, else 0, unless told), and the
 * duration from the request's start to now.
 */
export function requestLogger(ctx: CoreContext, base: RequestLogBase) {
  return ({ account, attempts, model, ...fields }: RequestLogOutcome): void =>
    logRequest(ctx, {
      ...base,
      ...(model !== undefined ? { model } : {}),
      accountId: account?.id,
      accountLabel: account?.label,
      attempts: attempts ?? (account ? 1 : 0),
      durationMs: ctx.clock.now() - base.at,
      ...fields,
    });
}

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
