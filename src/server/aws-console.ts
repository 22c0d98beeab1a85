// The web console on AWS. CloudFront sends /admin and /admin/* to this app's own function URL, with
// the same secret origin header as the runtime. A browser cannot sign SigV4, so here the admin API
// takes admin tokens (`adm-cxp-…`, minted by an operator over the IAM admin URL) as bearer tokens,
// with the failed-auth limit keyed on the viewer's address. The IAM admin URL is unchanged.
import { consoleRoutes } from "../console/routes.ts";
import { GatewayError } from "../core/errors.ts";
import { baseApp } from "../http/app-base.ts";
import { bearerAdminAuthenticator } from "../http/middleware/admin-auth.ts";
import { adminRoutes } from "../http/routes/admin/index.ts";
import { healthRoutes } from "../http/routes/health.ts";
import type { AwsHost } from "./aws-host.ts";

type Fetch = (request: Request) => Promise<Response>;

export function consoleFetch(host: AwsHost): Fetch {
  const gw = host.gateway;
  const app = baseApp(gw);
  app.route(
    "/",
    healthRoutes(gw, () => false),
  );
  // No environment token on AWS: only admin tokens from the store, each revocable and audited by id.
  app.route("/admin/v1", adminRoutes(gw, bearerAdminAuthenticator(gw), host.config.version));
  app.route("/admin", consoleRoutes({ host: "aws" }));
  return async (request) => {
    const path = new URL(request.url).pathname;
    if (path !== "/admin" && !path.startsWith("/admin/") && path !== "/healthz" && path !== "/readyz") {
      return new GatewayError(
        404,
        "not_found",
        "the console function serves /admin only; clients use the gateway URL",
      ).toResponse();
    }
    return app.fetch(request);
  };
}
