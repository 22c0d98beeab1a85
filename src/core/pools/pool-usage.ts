// `/wham/usage` for a Pool key: the upstream's shape, aggregated over the Pool's accounts so Codex's
// status view shows the Pool's remaining capacity (mean used percent, soonest reset).

import type { Account } from "../model.ts";
import type { Clock } from "../ports.ts";
import type { AccountDirectory } from "../routing/account-directory.ts";
import { noEligibleAccount, type UpstreamJson } from "../support/upstream-call.ts";

const CACHE_MS = 60_000;

interface WindowShape {
  used_percent?: number;
  limit_window_seconds?: number;
  reset_after_seconds?: number;
  reset_at?: number;
}

interface UsageShape {
  plan_type?: string;
  rate_limit?: {
    allowed?: boolean;
    limit_reached?: boolean;
    primary_window?: WindowShape | null;
    secondary_window?: WindowShape | null;
  } | null;
  credits?: { has_credits?: boolean; unlimited?: boolean; balance?: string | number } | null;
}

/** Per process, like the other caches on the Gateway: each account's last `/wham/usage` for a minute. */
export class PoolUsage {
  readonly #cache = new Map<string, { at: number; usage: UsageShape }>();

  constructor(
    private readonly deps: {
      clock: Clock;
      directory: Pick<AccountDirectory, "forPool">;
      upstream: Pick<UpstreamJson, "asAccount">;
    },
  ) {}

  async forPool(pool: string): Promise<unknown> {
    const accounts = (await this.deps.directory.forPool(pool)).filter(
      (a) => a.status === "active" || a.status === "refreshing",
    );
    if (accounts.length === 0) throw noEligibleAccount();
    const results = await Promise.allSettled(accounts.map((account) => this.#account(account)));
    const usages = results.flatMap((r) => (r.status === "fulfilled" ? [r.value] : []));
    if (usages.length === 0) {
      const failure = results.find((r) => r.status === "rejected") as PromiseRejectedResult | undefined;
      throw failure?.reason;
    }
    return aggregate(usages);
  }

  async #account(account: Account): Promise<UsageShape> {
    // Keyed by account id and credential epoch, so a re-import or refresh is never served stale data.
    const key = `${account.id}:${account.credentialEpoch}`;
    const hit = this.#cache.get(key);
    const now = this.deps.clock.now();
    if (hit && now - hit.at < CACHE_MS) return hit.usage;
    const { body } = await this.deps.upstream.asAccount(account, "/wham/usage");
    const usage = (body ?? {}) as UsageShape;
    if (this.#cache.size > 10_000) this.#cache.clear();
    this.#cache.set(key, { at: now, usage });
    return usage;
  }
}

function aggregate(usages: UsageShape[]) {
  const plans = new Map<string, number>();
  for (const u of usages) if (u.plan_type) plans.set(u.plan_type, (plans.get(u.plan_type) ?? 0) + 1);
  const plan = [...plans.entries()].sort((a, b) => b[1] - a[1])[0]?.[0] ?? "unknown";
  const limits = usages.map((u) => u.rate_limit ?? {});
  const credits = usages.map((u) => u.credits ?? {});
  const balance = credits.reduce((sum, c) => sum + (Number(c.balance) || 0), 0);
  return {
    plan_type: plan,
    rate_limit: {
      allowed: limits.some((l) => l.allowed !== false),
      limit_reached: limits.every((l) => l.limit_reached === true),
      primary_window: mergeWindows(limits.map((l) => l.primary_window)),
      secondary_window: mergeWindows(limits.map((l) => l.secondary_window)),
    },
    credits: {
      has_credits: credits.some((c) => c.has_credits === true),
      unlimited: credits.some((c) => c.unlimited === true),
      balance: String(balance),
    },
    additional_rate_limits: [],
    rate_limit_reached_type: null,
  };
}

function mergeWindows(windows: (WindowShape | null | undefined)[]): WindowShape | null {
  const present = windows.filter((w): w is WindowShape => Boolean(w) && typeof w?.used_percent === "number");
  if (present.length === 0) return null;
  const min = (values: (number | undefined)[]) => {
    const nums = values.filter((v): v is number => typeof v === "number");
    return nums.length ? Math.min(...nums) : undefined;
  };
  const mean = present.reduce((sum, w) => sum + (w.used_percent ?? 0), 0) / present.length;
  return {
    used_percent: Math.round(mean * 100) / 100,
    limit_window_seconds: present[0]?.limit_window_seconds,
    reset_after_seconds: min(present.map((w) => w.reset_after_seconds)),
    reset_at: min(present.map((w) => w.reset_at)),
  };
}
