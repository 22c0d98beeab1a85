import { type Context, Hono } from "hono";
import { ImportAccount, PoolFilter } from "../../../admin-contract/requests.ts";
import { hasPool, requirePoolScope } from "../../../core/access/scope.ts";
import {
  importAccount,
  removeAccount,
  requireAccount,
  setAccountStatus,
} from "../../../core/accounts/accounts.ts";
import type { Gateway } from "../../../core/gateway.ts";
import type { AppEnv } from "../../types.ts";
import { jsonBody, validate } from "../../validate.ts";
import { requireAccountScope, scopedAccountView, scopeOf } from "./scope.ts";

export function accountAdminRoutes(gw: Gateway) {
  const { ctx } = gw;
  const changed = () => gw.directory.invalidate();
  /** The account, once the caller's scope allows reading (or changing) it. */
  const scoped = async (c: Context<AppEnv>, change: boolean) => {
    const account = await requireAccount(ctx, c.req.param("id") as string);
    requireAccountScope(scopeOf(c), account, change);
    return account;
  };
  return new Hono<AppEnv>()
    .post("/accounts/import", async (c) => {
      const input = validate(ImportAccount, await jsonBody(c.req.raw));
      requirePoolScope(scopeOf(c), input.pool, `importing an account into Pool ${input.pool}`);
      const result = await importAccount(ctx, input, c.get("actor"));
      changed();
      return c.json(
        {
          account: scopedAccountView(scopeOf(c), result.account, ctx.clock.now()),
          warnings: result.warnings,
        },
        result.replaced ? 200 : 201,
      );
    })
    .get("/accounts", async (c) => {
      const { pool } = validate(PoolFilter, c.req.query());
      const scope = scopeOf(c);
      if (pool) requirePoolScope(scope, pool, `listing the accounts of Pool ${pool}`);
      const all = pool ? await ctx.store.accounts.listByPool(pool) : await ctx.store.accounts.list();
      const accounts = all.filter((a) => a.pools.some((p) => hasPool(scope, p)));
      accounts.sort((a, b) => a.createdAt - b.createdAt);
      return c.json({ data: accounts.map((a) => scopedAccountView(scope, a, ctx.clock.now())) });
    })
    .get("/accounts/:id", async (c) =>
      c.json({ account: scopedAccountView(scopeOf(c), await scoped(c, false), ctx.clock.now()) }),
    )
    .post("/accounts/:id/pause", async (c) => {
      await scoped(c, true);
      const account = await setAccountStatus(ctx, c.req.param("id"), "pause", c.get("actor"));
      changed();
      return c.json({ account: scopedAccountView(scopeOf(c), account, ctx.clock.now()) });
    })
    .post("/accounts/:id/resume", async (c) => {
      await scoped(c, true);
      const account = await setAccountStatus(ctx, c.req.param("id"), "resume", c.get("actor"));
      changed();
      return c.json({ account: scopedAccountView(scopeOf(c), account, ctx.clock.now()) });
    })
    .delete("/accounts/:id", async (c) => {
      await scoped(c, true);
      const id = c.req.param("id");
      await removeAccount(ctx, id, c.get("actor"));
      changed();
      return c.json({ id, deleted: true });
    });
}
