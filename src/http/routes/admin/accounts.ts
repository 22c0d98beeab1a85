import { Hono } from "hono";
import {
  accountView,
  importAccount,
  removeAccount,
  requireAccount,
  setAccountStatus,
} from "../../../core/accounts.ts";
import type { Gateway } from "../../../core/gateway.ts";
import type { AppEnv } from "../../types.ts";
import { jsonBody, validate } from "../../validate.ts";
import { ImportAccount, PoolFilter } from "./schemas.ts";

export function accountAdminRoutes(gw: Gateway) {
  const { ctx } = gw;
  const changed = () => gw.directory.invalidate();
  return new Hono<AppEnv>()
    .post("/accounts/import", async (c) => {
      const input = validate(ImportAccount, await jsonBody(c.req.raw));
      const result = await importAccount(ctx, input, c.get("actor"));
      changed();
      return c.json(
        { account: accountView(result.account), warnings: result.warnings },
        result.replaced ? 200 : 201,
      );
    })
    .get("/accounts", async (c) => {
      const { pool } = validate(PoolFilter, c.req.query());
      const accounts = pool ? await ctx.store.accounts.listByPool(pool) : await ctx.store.accounts.list();
      accounts.sort((a, b) => a.createdAt - b.createdAt);
      return c.json({ data: accounts.map(accountView) });
    })
    .get("/accounts/:id", async (c) =>
      c.json({ account: accountView(await requireAccount(ctx, c.req.param("id"))) }),
    )
    .post("/accounts/:id/pause", async (c) => {
      const account = await setAccountStatus(ctx, c.req.param("id"), "pause", c.get("actor"));
      changed();
      return c.json({ account: accountView(account) });
    })
    .post("/accounts/:id/resume", async (c) => {
      const account = await setAccountStatus(ctx, c.req.param("id"), "resume", c.get("actor"));
      changed();
      return c.json({ account: accountView(account) });
    })
    .delete("/accounts/:id", async (c) => {
      const id = c.req.param("id");
      await removeAccount(ctx, id, c.get("actor"));
      changed();
      return c.json({ id, deleted: true });
    });
}
