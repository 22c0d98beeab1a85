// The per-minute quota poll: `/wham/usage` for every routable account, written as authoritative
// evidence. One function so any scheduler (a local timer, an EventBridge rule) can call it.
import type { Gateway } from "../gateway.ts";
import type { Account } from "../model.ts";
import { quotaFromUsageBody } from "./quota.ts";

export interface PollResult {
  polled: number;
  failed: number;
}

/** What the poll uses: the accounts (ctx.store), their JSON reads, quota evidence, the account cache. */
type PollDeps = Pick<Gateway, "ctx" | "directory" | "quota" | "upstreamJson">;

export async function pollAccountUsage(
  gw: PollDeps,
  options: { concurrency?: number } = {},
): Promise<PollResult> {
  const { ctx } = gw;
  const accounts = (await ctx.store.accounts.list()).filter(
    (a) => (a.status === "active" || a.status === "refreshing") && a.pools.length > 0,
  );
  const queue = [...accounts];
  const result: PollResult = { polled: 0, failed: 0 };
  const worker = async () => {
    for (let account = queue.shift(); account; account = queue.shift()) {
      try {
        await pollOne(gw, account);
        result.polled++;
      } catch (error) {
        result.failed++;
        ctx.logger.warn("usage poll failed", { account: account.label, error: (error as Error).name });
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, options.concurrency ?? 4) }, worker));
  ctx.metrics.count("usage_poll", result.polled, { outcome: "success" });
  if (result.failed) ctx.metrics.count("usage_poll", result.failed, { outcome: "failure" });
  gw.directory.invalidate();
  return result;
}

async function pollOne(gw: PollDeps, account: Account): Promise<void> {
  const { body } = await gw.upstreamJson.asAccount(account, "/wham/usage");
  gw.quota.record(account, quotaFromUsageBody(body, gw.ctx.clock.now()));
}
