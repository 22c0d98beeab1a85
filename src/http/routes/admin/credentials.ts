// Pool API keys and MCP tokens share one lifecycle; the raw secret is in the create/rotate answer only.
import { Hono } from "hono";
import { GatewayError } from "../../../core/errors.ts";
import type { Gateway } from "../../../core/gateway.ts";
import { readKeyUsage } from "../../../core/key-usage.ts";
import type { CredentialKind } from "../../../core/model.ts";
import type { AppEnv } from "../../types.ts";
import { jsonBody, validate } from "../../validate.ts";
import { CreateKey, CreateMcpToken, PoolFilter, UpdateKey } from "./schemas.ts";
import { credentialView, keyUsageView } from "./views.ts";

function credentialRoutes(gw: Gateway, kind: CredentialKind, path: string, field: "key" | "token") {
  const service = gw.credentials;
  const schema = kind === "pool_key" ? CreateKey : CreateMcpToken;
  const app = new Hono<AppEnv>()
    .post(path, async (c) => {
      const input = validate(schema, await jsonBody(c.req.raw));
      const { credential, secret } = await service.create(kind, input, c.get("actor"));
      return c.json({ [field]: credentialView(credential), secret }, 201);
    })
    .get(path, async (c) => {
      const { pool } = validate(PoolFilter, c.req.query());
      const list = await service.list(kind, { pool });
      list.sort((a, b) => a.createdAt - b.createdAt);
      return c.json({ data: list.map(credentialView) });
    })
    .post(`${path}/:id/rotate`, async (c) => {
      const { credential, secret } = await service.rotate(kind, c.req.param("id"), c.get("actor"));
      return c.json({ [field]: credentialView(credential), secret });
    });
  const actions = kind === "pool_key" ? (["pause", "resume", "revoke"] as const) : (["revoke"] as const);
  for (const action of actions) {
    app.post(`${path}/:id/${action}`, async (c) => {
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
        const input = validate(UpdateKey, await jsonBody(c.req.raw));
        const credential = await service.update(kind, c.req.param("id"), input, c.get("actor"));
        return c.json({ [field]: credentialView(credential) });
      })
      .delete(`${path}/:id`, async (c) => {
        await service.delete(kind, c.req.param("id"), c.get("actor"));
        return c.json({ id: c.req.param("id"), deleted: true });
      })
      .get(`${path}/:id/usage`, async (c) => {
        const credential = await service.get(kind, c.req.param("id"));
        return c.json(keyUsageView(credential, await readKeyUsage(gw.ctx, credential.id)));
      });
  }
  return app;
}

export const keyAdminRoutes = (gw: Gateway) => credentialRoutes(gw, "pool_key", "/keys", "key");
export const adminTokenAdminRoutes = (gw: Gateway) =>
  credentialRoutes(gw, "admin_token", "/admin-tokens", "token");
export const mcpTokenAdminRoutes = (gw: Gateway) => credentialRoutes(gw, "mcp_token", "/mcp-tokens", "token");
