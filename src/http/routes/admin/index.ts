import { Hono } from "hono";
import { adminOpenApi } from "../../../admin-contract/openapi.ts";
import { whoamiView } from "../../../admin-views/records.ts";
import type { Gateway } from "../../../core/gateway.ts";
import { type AdminAuthenticator, adminAuth } from "../../middleware/admin-auth.ts";
import type { AppEnv } from "../../types.ts";
import { accountAdminRoutes } from "./accounts.ts";
import { admissionAdminRoutes } from "./admission.ts";
import { alertAdminRoutes } from "./alerts.ts";
import { adminTokenAdminRoutes, keyAdminRoutes, mcpTokenAdminRoutes } from "./credentials.ts";
import { inviteAdminRoutes } from "./invites.ts";
import { logAdminRoutes } from "./logs.ts";
import { oauthAdminRoutes } from "./oauth.ts";
import { poolAdminRoutes } from "./pools.ts";
import { ownerOnly } from "./scope.ts";
import { settingsAdminRoutes } from "./settings.ts";
import { usageAdminRoutes } from "./usage.ts";

const OWNER_ONLY: [string, string][] = [
  ["/admin-tokens", "managing operators (admin tokens)"],
  ["/admin-tokens/*", "managing operators (admin tokens)"],
  ["/settings", "instance settings"],
  ["/audit-events", "the audit trail"],
  ["/alert-channels", "alert channels"],
  ["/alert-channels/*", "alert channels"],
  ["/alerts/evaluate", "an alert evaluation run"],
];

export interface AdminRouteOptions {
  /** Public origin for invite URLs when the admin API is reached at another address (AWS). */
  publicBaseUrl?: string;
}

export function adminRoutes(
  gw: Gateway,
  authenticate: AdminAuthenticator,
  version: string,
  options: AdminRouteOptions = {},
) {
  const app = new Hono<AppEnv>();
  app.get("/openapi.json", (c) => c.json(adminOpenApi(version)));
  app.use("*", adminAuth(authenticate, gw));
  // Owner-only families (docs/operators.md): operators (admin tokens), instance settings with the
  // firewall, the audit trail, alert channels and the manual evaluation run. Pool-bound routes check
  // their Pool themselves; listings filter to the caller's Pools.
  for (const [path, what] of OWNER_ONLY) app.use(path, ownerOnly(what));
  // Who the caller is and what it may see (the console and `pooler operator whoami` read it).
  app.get("/whoami", (c) => c.json(whoamiView(c.get("actor"), c.get("scope"))));
  app.route("/", poolAdminRoutes(gw));
  app.route("/", oauthAdminRoutes(gw));
  app.route("/", accountAdminRoutes(gw));
  app.route("/", keyAdminRoutes(gw));
  app.route("/", mcpTokenAdminRoutes(gw));
  app.route("/", adminTokenAdminRoutes(gw));
  app.route("/", logAdminRoutes(gw));
  app.route("/", usageAdminRoutes(gw));
  app.route("/", alertAdminRoutes(gw));
  app.route("/", settingsAdminRoutes(gw));
  app.route("/", inviteAdminRoutes(gw, options));
  app.route("/", admissionAdminRoutes(gw));
  return app;
}
