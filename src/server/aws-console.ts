// The web console on AWS, and the key holder's dashboard (/observatory). CloudFront sends /admin,
// /admin/*, /observatory and /observatory/* to this app's own function URL, with
// the same secret origin header as the runtime. A browser cannot sign SigV4, so here the admin API
// takes admin tokens (`adm-cxp-…`, minted by an operator over the IAM admin URL) as bearer tokens,
// with the failed-auth limit keyed on the viewer's address. The IAM admin URL is unchanged.
import { consoleRoutes } from "../console/routes.ts";
import { baseApp } from "../http/app-base.ts";
import { bearerAdminAuthenticator } from "../http/middleware/admin-auth.ts";
import { adminRoutes } from "../http/routes/admin/index.ts";
import { healthRoutes } from "../http/routes/health.ts";
import { observatoryRoutes } from "../http/routes/observatory.ts";
import { isHealthPath, isObservatoryPath, servingOnly } from "./aws-apps.ts";
import type { AwsHost } from "./aws-host.ts";

export function consoleFetch(host: AwsHost): (request: Request) => Promise<Response> {
  const gw = host.gateway;
  const app = baseApp(gw);
  app.route(
    "/",
    healthRoutes(gw, () => false),
  );
  // No environment token on AWS: only admin tokens from the store, each revocable and audited by id.
  app.route(
    "/admin/v1",
    adminRoutes(gw, bearerAdminAuthenticator(gw), host.config.version, {
      publicBaseUrl: host.config.publicBaseUrl,
    }),
  );
  app.route("/admin", consoleRoutes({ host: "aws" }));
  // The key holder's dashboard: browser pages with their own cookie sessions (docs/observatory.md).
  app.route("/", observatoryRoutes(gw));
  return servingOnly(
    app,
    (path) =>
      path === "/admin" || path.startsWith("/admin/") || isObservatoryPath(path) || isHealthPath(path),
    "the console function serves /admin and /observatory only; clients use the gateway URL",
  );
}
