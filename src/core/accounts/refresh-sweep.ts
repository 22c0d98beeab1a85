// Scheduled token upkeep: refresh access tokens that expire soon and retry transient refresh
// failures whose backoff has passed, so requests rarely wait on a refresh. One function for any
// scheduler (the local timer, an EventBridge rule).
import type { Gateway } from "../gateway.ts";

const DUE_WITHIN_MS = 10 * 60_000;

export async function refreshDueAccounts(
  gw: Pick<Gateway, "ctx" | "tokens" | "directory">,
): Promise<{ refreshed: number; failed: number }> {
  const { ctx } = gw;
  const now = ctx.clock.now();
  const due = (await ctx.store.accounts.list()).filter((a) => {
    if (a.pools.length === 0) return false;
    if (a.status === "refresh_failed") return (a.refreshRetryAt ?? 0) <= now;
    return (
      a.status === "active" &&
      a.accessTokenExpiresAt !== undefined &&
      a.accessTokenExpiresAt - now < DUE_WITHIN_MS
    );
  });
  let refreshed = 0;
  let failed = 0;
  for (const account of due) {
    try {
      await gw.tokens.refresh(account, "proactive_expiry");
      refreshed++;
    } catch {
      failed++; // recorded on the account (status, error code, backoff) by the token manager
    }
  }
  if (due.length) gw.directory.invalidate();
  return { refreshed, failed };
}
