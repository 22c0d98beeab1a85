// Pool API keys, MCP tokens and admin tokens share one lifecycle; the raw secret is in the create/rotate
// answer only. Keys belong to one Pool; admin and MCP tokens carry a scope (src/core/access/scope.ts). Admin
// tokens are the operators: owner-only (index.ts). A Pool admin manages the keys of its Pools and the
// MCP tokens scoped within its Pools.
import { type Context, Hono } from "hono";
import {
  CreateAdminToken,
  CreateKey,
  CreateMcpToken,
  PoolFilter,
  UpdateKey,
  UpdateToken,
} from "../../../admin-contract/requests.ts";
import { credentialView, keyUsageView } from "../../../admin-views/records.ts";
import {
  credentialScope,
  hasPool,
  isOwner,
  type OperatorRole,
  requirePoolScope,
  requirePools,
  type Scope,
  scopeDenied,
} from "../../../core/access/scope.ts";
import { GatewayError } from "../../../core/errors.ts";
import type { Gateway } from "../../../core/gateway.ts";
import { readKeyUsage } from "../../../core/keys/key-usage.ts";
import { credentialPrefix } from "../../../core/keys/secrets-format.ts";
import type { Credential, CredentialKind } from "../../../core/model.ts";
import type { AppEnv } from "../../types.ts";
import { jsonBody, validate } from "../../validate.ts";
import { scopeOf } from "./scope.ts";

/** Whether a caller may see and manage this credential. */
function visible(scope: Scope, credential: Credential): boolean {
  if (isOwner(scope)) return true;
  if (credential.kind === "pool_key") return credential.pool !== undefined && hasPool(scope, credential.pool);
  if (credential.kind === "admin_token") return false;
  // An MCP token: only one scoped entirely within the caller's Pools (an owner-view token is not).
  const of = credentialScope(credential);
  return !isOwner(of) && of.pools.every((p) => hasPool(scope, p));
}

function requireVisible(scope: Scope, credential: Credential): void {
  if (visible(scope, credential)) return;
  const what = credentialPrefix(credential.kind, credential.id);
  if (credential.kind === "pool_key" && credential.pool) {
    requirePoolScope(scope, credential.pool, what);
  }
  const of = credentialScope(credential);
  if (credential.kind === "mcp_token" && !isOwner(of)) requirePools(scope, of.pools, what);
  throw scopeDenied("owner", what);
}

/** A Pool admin's MCP token stays within its Pools (and defaults to all of them). */
function scopedTokenInput<T extends { role?: OperatorRole; pools?: string[] }>(
  scope: Scope,
  input: T,
  creating: boolean,
): T {
  if (isOwner(scope)) return input;
  if (input.role === "owner") throw scopeDenied("owner", "an MCP token with the owner view");
  if (input.pools) {
    requirePools(scope, input.pools, "assigning these Pools");
    return { ...input, role: "pool_admin" };
  }
  return creating ? { ...input, role: "pool_admin", pools: [...scope.pools] } : input;
}

function credentialRoutes(gw: Gateway, kind: CredentialKind, path: string, field: "key" | "token") {
  const service = gw.credentials;
  const schema = kind === "pool_key" ? CreateKey : kind === "mcp_token" ? CreateMcpToken : CreateAdminToken;
  /** The credential named in the path, once the caller may see it. */
  const scoped = async (c: Context<AppEnv>) => {
    const credential = await service.get(kind, c.req.param("id") as string);
    requireVisible(scopeOf(c), credential);
    return credential;
  };
  const app = new Hono<AppEnv>()
    .post(path, async (c) => {
      const scope = scopeOf(c);
      const body = validate(schema, await jsonBody(c.req.raw));
      if ("pool" in body && body.pool) {
        requirePoolScope(scope, body.pool, `creating a key in Pool ${body.pool}`);
      }
      const input = "pool" in body ? body : scopedTokenInput(scope, body, true);
      const { credential, secret } = await service.create(kind, input, c.get("actor"));
      return c.json({ [field]: credentialView(credential), secret }, 201);
    })
    .get(path, async (c) => {
      const { pool } = validate(PoolFilter, c.req.query());
      const scope = scopeOf(c);
      if (pool && kind === "pool_key") requirePoolScope(scope, pool, `listing the keys of Pool ${pool}`);
      const list = (await service.list(kind, { pool })).filter((k) => visible(scope, k));
      list.sort((a, b) => a.createdAt - b.createdAt);
      return c.json({ data: list.map(credentialView) });
    })
    .post(`${path}/:id/rotate`, async (c) => {
      await scoped(c);
      const { credential, secret } = await service.rotate(kind, c.req.param("id"), c.get("actor"));
      return c.json({ [field]: credentialView(credential), secret });
    });
  const actions = kind === "pool_key" ? (["pause", "resume", "revoke"] as const) : (["revoke"] as const);
  for (const action of actions) {
    app.post(`${path}/:id/${action}`, async (c) => {
      await scoped(c);
      if (kind === "admin_token" && c.get("actor") === `admin:${c.req.param("id")}`) {
        throw new GatewayError(
          409,
          "admin_token_in_use",
          "this is the admin token making the request; revoke it with another one",
        );
      }
      const credential = await service.setStatus(kind, c.req.param("id"), action, c.get("actor"));
      return c.json({ [field]: credentialView(credential) });
    });
  }
  if (kind === "pool_key") {
    app
      .patch(`${path}/:id`, async (c) => {
        await scoped(c);
        const input = validate(UpdateKey, await jsonBody(c.req.raw));
        const credential = await service.update(kind, c.req.param("id"), input, c.get("actor"));
        return c.json({ [field]: credentialView(credential) });
      })
      .delete(`${path}/:id`, async (c) => {
        await scoped(c);
        await service.delete(kind, c.req.param("id"), c.get("actor"));
        return c.json({ id: c.req.param("id"), deleted: true });
      })
      .get(`${path}/:id/usage`, async (c) => {
        const credential = await scoped(c);
        return c.json(keyUsageView(credential, await readKeyUsage(gw.ctx, credential.id)));
      });
  } else {
    // Label and scope (role, Pools) of an admin or MCP token; the change applies within seconds.
    app.patch(`${path}/:id`, async (c) => {
      await scoped(c);
      const input = scopedTokenInput(scopeOf(c), validate(UpdateToken, await jsonBody(c.req.raw)), false);
      const rescoping = input.role !== undefined || input.pools !== undefined;
      if (kind === "admin_token" && c.get("actor") === `admin:${c.req.param("id")}` && rescoping) {
        throw new GatewayError(
          409,
          "admin_token_in_use",
          "this is the admin token making the request; change its role with another owner token",
        );
      }
      const credential = await service.update(kind, c.req.param("id"), input, c.get("actor"));
      return c.json({ [field]: credentialView(credential) });
    });
  }
  return app;
}

export const keyAdminRoutes = (gw: Gateway) => credentialRoutes(gw, "pool_key", "/keys", "key");
export const adminTokenAdminRoutes = (gw: Gateway) =>
  credentialRoutes(gw, "admin_token", "/admin-tokens", "token");
export const mcpTokenAdminRoutes = (gw: Gateway) => credentialRoutes(gw, "mcp_token", "/mcp-tokens", "token");
