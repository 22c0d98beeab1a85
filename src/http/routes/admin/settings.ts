// GET/PATCH /admin/v1/settings: gateway-wide settings (the instance MCP gate, the runtime firewall).
import { Hono } from "hono";
import { z } from "zod";
import { parseRule } from "../../../core/access/firewall.ts";
import type { Settings } from "../../../core/access/settings.ts";
import type { Gateway } from "../../../core/gateway.ts";
import type { AppEnv } from "../../types.ts";
import { jsonBody, validate } from "../../validate.ts";

const Rule = z
  .string()
  .max(64)
  .refine((rule) => parseRule(rule) !== undefined, { message: "not an IP address or CIDR range" });

export const FirewallPatch = z.strictObject({
  /** IPs and CIDR ranges allowed to call the runtime routes; [] turns the firewall off. */
  allow: z.array(Rule).max(256).optional(),
  /** Peers whose X-Forwarded-For / X-Real-IP are believed (a reverse proxy in front). */
  trustedProxies: z.array(Rule).max(64).optional(),
  clientIpSource: z.enum(["peer", "x_forwarded_for", "x_real_ip"]).optional(),
  proxyDepth: z.number().int().min(0).max(16).optional(),
});

export const UpdateSettings = z
  .strictObject({
    /** Serve /mcp (true, the default) or refuse every MCP token with 403 (false). */
    mcpEnabled: z.boolean().optional(),
    firewall: FirewallPatch.optional(),
  })
  .refine((v) => Object.keys(v).length > 0, { message: "name at least one setting to change" });

const view = (s: Settings) => ({
  mcpEnabled: s.mcpEnabled,
  firewall: { ...s.firewall, enabled: s.firewall.allow.length > 0 },
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
