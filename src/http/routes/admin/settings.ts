// GET/PATCH /admin/v1/settings: gateway-wide settings (the instance MCP gate, the runtime firewall).
import { Hono } from "hono";
import { UpdateSettings } from "../../../admin-contract/requests.ts";
import { settingsView } from "../../../admin-views/records.ts";
import { parseRule } from "../../../core/access/firewall.ts";
import { badRequest } from "../../../core/errors.ts";
import type { Gateway } from "../../../core/gateway.ts";
import type { AppEnv } from "../../types.ts";
import { jsonBody, validate } from "../../validate.ts";

/** The contract checks a rule's length; whether it is an IP address or CIDR range, the core says. */
function checkRules(patch: ReturnType<typeof UpdateSettings.parse>) {
  for (const field of ["allow", "trustedProxies"] as const) {
    const bad = (patch.firewall?.[field] ?? []).findIndex((rule) => parseRule(rule) === undefined);
    if (bad >= 0) {
      const param = `firewall.${field}.${bad}`;
      throw badRequest(`${param}: not an IP address or CIDR range`, param);
    }
  }
  return patch;
}

export function settingsAdminRoutes(gw: Gateway) {
  return new Hono<AppEnv>()
    .get("/settings", async (c) => c.json(settingsView(await gw.settings.get())))
    .patch("/settings", async (c) => {
      const patch = checkRules(validate(UpdateSettings, await jsonBody(c.req.raw)));
      return c.json(settingsView(await gw.settings.update(patch, c.get("actor"))));
    });
}
