import { Hono } from "hono";
import { CreatePool, UpdatePool } from "../../../admin-contract/requests.ts";
import { poolView } from "../../../admin-views/records.ts";
import { hasPool, requireOwner, requirePoolScope } from "../../../core/access/scope.ts";
import type { Gateway } from "../../../core/gateway.ts";
import type { Pool } from "../../../core/model.ts";
import {
  createPool,
  normalizePool,
  requirePool,
  setPoolEnabled,
  updatePoolRouting,
} from "../../../core/pools/pools.ts";
import type { AppEnv } from "../../types.ts";
import { jsonBody, validate } from "../../validate.ts";
import { scopeOf } from "./scope.ts";

export function poolAdminRoutes(gw: Gateway) {
  const { ctx } = gw;
  const view = async (pool: Pool) => {
    const [accounts, keys] = await Promise.all([
      ctx.store.accounts.listByPool(pool.name),
      ctx.store.credentials.list("pool_key", { pool: pool.name }),
    ]);
    return poolView(pool, {
      accountCount: accounts.length,
      keyCount: keys.filter((k) => k.status !== "revoked").length,
    });
  };
  return new Hono<AppEnv>()
    .post("/pools", async (c) => {
      requireOwner(scopeOf(c), "creating a Pool");
      const input = validate(CreatePool, await jsonBody(c.req.raw));
      const pool = await createPool(ctx, input, c.get("actor"));
      gw.pools.invalidate();
      return c.json({ pool: await view(pool) }, 201);
    })
    .get("/pools", async (c) => {
      const scope = scopeOf(c);
      const pools = (await ctx.store.pools.list()).filter((p) => hasPool(scope, p.name));
      return c.json({ data: await Promise.all(pools.map((p) => view(normalizePool(p)))) });
    })
    .patch("/pools/:name", async (c) => {
      requirePoolScope(scopeOf(c), c.req.param("name"), `changing Pool ${c.req.param("name")}`);
      const input = validate(UpdatePool, await jsonBody(c.req.raw));
      const pool = await updatePoolRouting(ctx, c.req.param("name"), input, c.get("actor"));
      gw.pools.invalidate();
      return c.json({ pool: await view(pool) });
    })
    .post("/pools/:name/disable", async (c) => {
      requirePoolScope(scopeOf(c), c.req.param("name"), `disabling Pool ${c.req.param("name")}`);
      const pool = await setPoolEnabled(ctx, c.req.param("name"), false, c.get("actor"));
      gw.pools.invalidate();
      return c.json({ pool: await view(pool) });
    })
    .post("/pools/:name/enable", async (c) => {
      requirePoolScope(scopeOf(c), c.req.param("name"), `enabling Pool ${c.req.param("name")}`);
      const pool = await setPoolEnabled(ctx, c.req.param("name"), true, c.get("actor"));
      gw.pools.invalidate();
      return c.json({ pool: await view(pool) });
    })
    .get("/pools/:name", async (c) => {
      requirePoolScope(scopeOf(c), c.req.param("name"), `reading Pool ${c.req.param("name")}`);
      return c.json({ pool: await view(await requirePool(ctx, c.req.param("name"))) });
    });
}
