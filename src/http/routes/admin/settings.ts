// GET/PATCH /admin/v1/settings: gateway-wide switches (today: the instance MCP gate).
import { Hono } from "hono";
import { z } from "zod";
import type { Gateway } from "../../../core/gateway.ts";
import type { GatewaySettings } from "../../../core/ports.ts";
import type { AppEnv } from "../../types.ts";
import { jsonBody, validate } from "../../validate.ts";

export const UpdateSettings = z
  .strictObject({
    /** Serve /mcp (true, the default) or refuse every MCP token with 403 (false). */
    mcpEnabled: z.boolean().optional(),
  })
  .refine((v) => Object.keys(v).length > 0, { message: "name at least one setting to change" });

const view = (s: GatewaySettings) => ({
  mcpEnabled: s.mcpEnabled,
  updatedAt: s.updatedAt === undefined ? null : new Date(s.updatedAt).toISOString(),
});

export function settingsAdminRoutes(gw: Gateway) {
  return new Hono<AppEnv>()
    .get("/settings", async (c) => c.json({ settings: view(await gw.settings.get()) }))
    .patch("/settings", async (c) => {
      const patch = validate(UpdateSettings, await jsonBody(c.req.raw));
      return c.json({ settings: view(await gw.settings.update(patch, c.get("actor"))) });
    });
}
