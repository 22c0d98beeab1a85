// The one HTTP surface, built from web-standard Request/Response so any host (Node locally, Lambda
// response streaming on AWS) can serve it.
import { consoleRoutes } from "../console/routes.ts";
import type { Gateway } from "../core/gateway.ts";
import { baseApp } from "./app-base.ts";
import type { AdminAuthenticator } from "./middleware/admin-auth.ts";
import { admission } from "./middleware/admission.ts";
import { adminRoutes } from "./routes/admin/index.ts";
import { codexRoutes } from "./routes/codex.ts";
import { healthRoutes } from "./routes/health.ts";
import { mcpRoutes } from "./routes/mcp.ts";
import { observatoryRoutes } from "./routes/observatory.ts";
import { onboardingRoutes } from "./routes/onboarding.ts";
import { openaiRoutes } from "./routes/v1/index.ts";

export interface AppOptions {
  adminAuthenticator: AdminAuthenticator;
  version: string;
  isDraining?: () => boolean;
  /** Public origin for invite URLs when the admin API is reached at another address. */
  publicBaseUrl?: string;
}

export function createApp(gw: Gateway, options: AppOptions) {
  const app = baseApp(gw);
  // Bulkheads per route class, before anything else runs (src/http/middleware/admission.ts).
  app.use("*", admission(gw));
  app.route("/", healthRoutes(gw, options.isDraining ?? (() => false)));
  app.route(
    "/admin/v1",
    adminRoutes(gw, options.adminAuthenticator, options.version, {
      publicBaseUrl: options.publicBaseUrl,
    }),
  );
  // The web console: page shells and static files only; its data comes from /admin/v1 above.
  app.route("/admin", consoleRoutes());
  // Invite landing pages: the one-time URL an operator hands a teammate (no admin token involved).
  app.route("/", onboardingRoutes(gw));
  // The key holder's read-only dashboard (its own cookie sessions; no operator credential).
  app.route("/", observatoryRoutes(gw));
  // Before the Codex routes: the bridges here sit under /backend-api, which ends in a catch-all there.
  app.route("/", openaiRoutes(gw));
  app.route("/", codexRoutes(gw));
  app.route("/", mcpRoutes(gw, { version: options.version }));
  return app;
}
