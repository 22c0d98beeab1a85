import { Hono } from "hono";
import type { Gateway } from "../../../core/gateway.ts";
import { type AdminAuthenticator, adminAuth } from "../../middleware/admin-auth.ts";
import type { AppEnv } from "../../types.ts";
import { accountAdminRoutes } from "./accounts.ts";
import { admissionAdminRoutes } from "./admission.ts";
import { alertAdminRoutes } from "./alerts.ts";
import { adminTokenAdminRoutes, keyAdminRoutes, mcpTokenAdminRoutes } from "./credentials.ts";
import { logAdminRoutes } from "./logs.ts";
import { oauthAdminRoutes } from "./oauth.ts";
import { adminOpenApi } from "./openapi.ts";
import { poolAdminRoutes } from "./pools.ts";
import { settingsAdminRoutes } from "./settings.ts";
import { usageAdminRoutes } from "./usage.ts";

export function adminRoutes(gw: Gateway, authenticate: AdminAuthenticator, version: string) {
  const app = new Hono<AppEnv>();
  app.get("/openapi.json", (c) => c.json(adminOpenApi(version)));
  app.use("*", adminAuth(authenticate, gw));
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
  app.route("/", admissionAdminRoutes(gw));
  return app;
}
