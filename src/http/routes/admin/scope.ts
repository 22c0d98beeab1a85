// Scope checks for the admin routes (src/core/access/scope.ts has the model). Owner-only route families are
// closed by `ownerOnly` in index.ts; Pool-bound routes check the Pool of what they touch, and listings
// filter to the caller's Pools.
import type { Context } from "hono";
import { createMiddleware } from "hono/factory";
import { accountView } from "../../../admin-views/records.ts";
import {
  hasPool,
  isOwner,
  requireAnyPool,
  requireOwner,
  requirePools,
  type Scope,
} from "../../../core/access/scope.ts";
import type { Account } from "../../../core/model.ts";
import type { AppEnv } from "../../types.ts";

export const scopeOf = (c: Context<AppEnv>): Scope => c.get("scope");

/** Closes a whole route family to everyone but the owner. */
export const ownerOnly = (what: string) =>
  createMiddleware<AppEnv>(async function ownerOnly(c, next) {
    requireOwner(scopeOf(c), what);
    await next();
  });

/**
 * Reading an account needs one of its Pools in scope; changing it (pause, resume, delete: they act on
 * every Pool it serves) needs all of them.
 */
export function requireAccountScope(scope: Scope, account: Account, change: boolean): void {
  const what = `account ${account.id}`;
  if (change) requirePools(scope, account.pools, `changing ${what}`);
  else requireAnyPool(scope, account.pools, `reading ${what}`);
}

/** The admin view of an account, naming only the Pools the caller may see. */
export function scopedAccountView(scope: Scope, account: Account, now: number) {
  const view = accountView(account, now);
  return isOwner(scope) ? view : { ...view, pools: view.pools.filter((p) => hasPool(scope, p)) };
}
