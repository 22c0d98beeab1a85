// Pool-level readings shared by several tools: quota headroom across accounts and routing health
// (circuits, demotions, accounts that need a new login or whose refresh keeps failing).

import { iso } from "../core/accounts/accounts.ts";
import type { Gateway } from "../core/gateway.ts";
import type { Account, QuotaWindow } from "../core/model.ts";
import { CIRCUIT, quotaExhausted } from "../core/routing/router.ts";
import { usableWindows } from "../core/routing/strategies.ts";
import { isoSeconds } from "./query.ts";

/** Lists inside one answer stay short; Pools rarely hold more accounts than this. */
export const LIST_CAP = 100;

const ref = (a: Account) => ({ id: a.id, label: a.label });

function windowStats(windows: QuotaWindow[]) {
  if (windows.length === 0) return null;
  const used = windows.map((w) => w.usedPercent);
  const resets = windows.map((w) => w.resetAt).filter((r): r is number => r !== undefined);
  return {
    accountsReporting: windows.length,
    meanUsedPercent: Math.round((used.reduce((s, v) => s + v, 0) / used.length) * 100) / 100,
    maxUsedPercent: Math.max(...used),
    soonestResetAt: resets.length ? isoSeconds(Math.min(...resets)) : null,
  };
}

/** A window still describes the account until its reset passes (a passed reset means refilled). */
const current = (w: QuotaWindow | undefined, now: number): w is QuotaWindow =>
  w !== undefined && !(w.resetAt !== undefined && w.resetAt * 1000 <= now);

/**
 * Quota headroom of a Pool's accounts from the latest evidence (`observedAt` says how old it is);
 * `nearLimitPercent` marks accounts close to the end of a window.
 */
export function quotaSummary(accounts: Account[], now: number, nearLimitPercent = 80) {
  const primaries: QuotaWindow[] = [];
  const secondaries: QuotaWindow[] = [];
  const nearLimit: unknown[] = [];
  const exhausted: unknown[] = [];
  for (const account of accounts) {
    const { primary, secondary, observedAt } = account.quota ?? {};
    if (current(primary, now)) primaries.push(primary);
    if (current(secondary, now)) secondaries.push(secondary);
    if (quotaExhausted(account, now)) {
      const until = account.quota?.exhaustedUntil;
      exhausted.push({ ...ref(account), until: until && until * 1000 > now ? isoSeconds(until) : null });
      continue;
    }
    for (const [name, w] of [
      ["primary", primary],
      ["secondary", secondary],
    ] as const) {
      if (current(w, now) && w.usedPercent >= nearLimitPercent) {
        nearLimit.push({
          ...ref(account),
          window: name,
          usedPercent: w.usedPercent,
          windowMinutes: w.windowMinutes ?? null,
          resetAt: isoSeconds(w.resetAt),
          observedAt: iso(observedAt),
        });
      }
    }
  }
  return {
    primary: windowStats(primaries),
    secondary: windowStats(secondaries),
    nearLimitPercent,
    nearLimit: nearLimit.slice(0, LIST_CAP),
    exhausted: exhausted.slice(0, LIST_CAP),
    // Evidence older than the router's freshness bound (15 min) no longer steers routing.
    accountsWithoutFreshQuota: accounts.filter((a) => usableWindows(a, now).length === 0).length,
  };
}

export function statusCounts(accounts: Account[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const a of accounts) counts[a.status] = (counts[a.status] ?? 0) + 1;
  return counts;
}

/** Could the router pick this account for some model right now (ignoring circuits)? */
export function isServing(account: Account, now: number): boolean {
  if (account.status === "active" || account.status === "refreshing") return !quotaExhausted(account, now);
  if (account.status === "refresh_failed") return (account.refreshRetryAt ?? 0) <= now;
  return false;
}

export async function routingHealth(gw: Gateway, pool: string, now: number) {
  const [accounts, snapshot] = await Promise.all([
    gw.ctx.store.accounts.listByPool(pool),
    gw.ctx.store.routing.load(pool, now),
  ]);
  const byId = new Map(accounts.map((a) => [a.id, a]));
  const label = (id: string) => byId.get(id)?.label ?? null;
  const circuits = [...snapshot.circuits.values()]
    .filter((c) => c.failures > 0 && byId.has(c.accountId))
    .map((c) => {
      const tripped = c.failures >= CIRCUIT.threshold && c.openUntil !== undefined;
      const state = !tripped ? "closed" : (c.openUntil as number) > now ? "open" : "half_open";
      return {
        accountId: c.accountId,
        accountLabel: label(c.accountId),
        model: c.model,
        state,
        failures: c.failures,
        openUntil: state === "open" ? iso(c.openUntil) : null,
      };
    });
  const demotions = [...snapshot.demotions.entries()]
    .map(([key, until]) => {
      const [model = "", accountId = ""] = key.split("|");
      return { accountId, accountLabel: label(accountId), model, until: iso(until) };
    })
    .filter((d) => byId.has(d.accountId));
  const needsReauth = accounts
    .filter((a) => a.status === "reauth_required")
    .map((a) => ({ ...ref(a), lastErrorCode: a.lastErrorCode ?? null }));
  const refreshFailing = accounts
    .filter((a) => a.status === "refresh_failed")
    .map((a) => ({ ...ref(a), lastErrorCode: a.lastErrorCode ?? null, retryAt: iso(a.refreshRetryAt) }));
  const serving = accounts.filter((a) => isServing(a, now)).length;
  const openCircuits = circuits.filter((c) => c.state === "open");
  const problems =
    openCircuits.length +
    demotions.length +
    needsReauth.length +
    refreshFailing.length +
    accounts.filter((a) => quotaExhausted(a, now)).length;
  const status = serving === 0 ? "unavailable" : problems > 0 ? "degraded" : "healthy";
  return {
    pool,
    status,
    accounts: accounts.length,
    servingAccounts: serving,
    accountsByStatus: statusCounts(accounts),
    openCircuits: openCircuits.slice(0, LIST_CAP),
    otherCircuits: circuits.filter((c) => c.state !== "open").slice(0, LIST_CAP),
    demotions: demotions.slice(0, LIST_CAP),
    needsReauth: needsReauth.slice(0, LIST_CAP),
    refreshFailing: refreshFailing.slice(0, LIST_CAP),
    paused: accounts
      .filter((a) => a.status === "paused")
      .map(ref)
      .slice(0, LIST_CAP),
  };
}
