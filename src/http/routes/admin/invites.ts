// Invites (docs/invites.md): create (the one-time URL is in this answer only), list, read, revoke.
// Each invite belongs to one Pool, so a Pool admin sees and manages the invites of its Pools.
import { type Context, Hono } from "hono";
import { CreateInvite, InviteQuery } from "../../../admin-contract/requests.ts";
import { inviteView } from "../../../admin-views/records.ts";
import { hasPool, requirePoolScope } from "../../../core/access/scope.ts";
import {
  createInvite,
  INVITE_PATH,
  inviteStatus,
  requireInvite,
  revokeInvite,
} from "../../../core/accounts/invites.ts";
import type { Gateway } from "../../../core/gateway.ts";
import type { AppEnv } from "../../types.ts";
import { jsonBody, validate } from "../../validate.ts";
import { scopeOf } from "./scope.ts";

export function inviteAdminRoutes(gw: Gateway, options: { publicBaseUrl?: string } = {}) {
  const { ctx } = gw;
  const now = () => ctx.clock.now();
  const scoped = async (c: Context<AppEnv>) => {
    const invite = await requireInvite(ctx, c.req.param("id") as string);
    requirePoolScope(scopeOf(c), invite.pool, `invite ${invite.id}`);
    return invite;
  };
  return new Hono<AppEnv>()
    .post("/invites", async (c) => {
      const input = validate(CreateInvite, await jsonBody(c.req.raw));
      requirePoolScope(scopeOf(c), input.pool, `inviting an account into Pool ${input.pool}`);
      const { invite, token } = await createInvite(ctx, input, c.get("actor"));
      const base = options.publicBaseUrl ?? new URL(c.req.url).origin;
      // The URL holds the token: it is in this answer only, never stored or logged.
      // `path` lets a caller that knows the public origin better (the console: its own) build the URL.
      const path = `${INVITE_PATH}${token}`;
      return c.json({ invite: inviteView(invite, now()), url: `${base}${path}`, path }, 201);
    })
    .get("/invites", async (c) => {
      const q = validate(InviteQuery, c.req.query());
      const scope = scopeOf(c);
      if (q.pool) requirePoolScope(scope, q.pool, `listing the invites of Pool ${q.pool}`);
      const at = now();
      const invites = (await ctx.store.invites.list()).filter(
        (i) =>
          hasPool(scope, i.pool) &&
          (!q.pool || i.pool === q.pool) &&
          (!q.status || inviteStatus(i, at) === q.status),
      );
      return c.json({ data: invites.map((i) => inviteView(i, at)) });
    })
    .get("/invites/:id", async (c) => c.json({ invite: inviteView(await scoped(c), now()) }))
    .post("/invites/:id/revoke", async (c) => {
      await scoped(c);
      const invite = await revokeInvite(ctx, c.req.param("id"), c.get("actor"));
      return c.json({ invite: inviteView(invite, now()) });
    });
}
