// The Hono apps the AWS entries serve, on top of the AWS host: the public app (runtime, behind
// CloudFront with the origin check) and the IAM-authenticated admin app.
import { OriginSecretVerifier } from "../adapters/aws/origin-secret.ts";
import { iamAdminAuthenticator } from "../adapters/lambda/iam-admin-authenticator.ts";
import type { StreamHandlerOptions } from "../adapters/lambda/stream-handler.ts";
import { GatewayError } from "../core/errors.ts";
import { prefetchPoolKey } from "../core/keys/key-auth.ts";
import { failedEvent } from "../core/relay/sse-relay.ts";
import { createApp } from "../http/app.ts";
import type { AdminAuthenticator } from "../http/middleware/admin-auth.ts";
import type { HostBindings } from "../http/types.ts";
import type { AwsHost } from "./aws-host.ts";

type Fetch = (request: Request, bindings?: HostBindings) => Promise<Response>;

/** An app behind one function URL: paths it does not serve get a 404 that says where to go instead. */
export function servingOnly(
  app: { fetch(request: Request, bindings?: HostBindings): Response | Promise<Response> },
  serves: (path: string) => boolean,
  elsewhere: string,
): Fetch {
  return async (request, bindings) =>
    serves(new URL(request.url).pathname)
      ? app.fetch(request, bindings)
      : new GatewayError(404, "not_found", elsewhere).toResponse();
}

/** The health probes every function answers. */
export const isHealthPath = (path: string) => path === "/healthz" || path === "/readyz";

/** The key holder's dashboard's paths (served by the console function behind CloudFront). */
export const isObservatoryPath = (path: string) =>
  path === "/observatory" || path.startsWith("/observatory/");

/**
 * The public runtime (and MCP) app: everything except the admin API, which is IAM-only on AWS, and the
 * key holder's dashboard, which CloudFront sends to the console function (its data grants).
 */
export function publicFetch(host: AwsHost): Fetch {
  const app = createApp(host.gateway, {
    adminAuthenticator: async () => undefined,
    version: host.config.version,
  });
  return servingOnly(
    app,
    (path) => !path.startsWith("/admin") && !isObservatoryPath(path),
    "the admin API is served by the admin function URL with IAM auth (`pooler --aws --url <AdminUrl>`), the key dashboard (/observatory) by the console function through CloudFront",
  );
}

/** The admin app: `/admin/v1/*` (and health checks) only, the IAM caller as the audit actor. */
export function adminFetch(
  host: AwsHost,
  authenticator: AdminAuthenticator = iamAdminAuthenticator(),
): Fetch {
  const app = createApp(host.gateway, {
    adminAuthenticator: authenticator,
    version: host.config.version,
    publicBaseUrl: host.config.publicBaseUrl,
  });
  return servingOnly(
    app,
    (path) => path.startsWith("/admin/") || isHealthPath(path),
    "the admin function URL serves /admin/v1 only",
  );
}

/** Stream adapter options shared by the public entries (runtime, MCP). */
export function publicStreamOptions(host: AwsHost, fetchApp: Fetch): StreamHandlerOptions {
  const arn = host.config.originSecretArn;
  if (!arn) throw new Error("POOLER_ORIGIN_SECRET_ARN is required for a public function URL");
  const verifier = new OriginSecretVerifier(host.secretsManager, { secretId: arn, clock: host.ctx.clock });
  return {
    fetch: fetchApp,
    origin: {
      header: verifier.header,
      verify: (value) => verifier.verify(value),
      prefetch: (header) => prefetchPoolKey(host.gateway, header("authorization")),
    },
    settle: () => host.settle(),
    deadlineMarginMs: host.config.deadlineMarginMs,
    deadlineTrailer: turnTimeLimitTrailer,
    onError: (error, phase) => host.reportError(error, phase),
  };
}

/** A turn cut at Lambda's 15-minute limit ends with a terminal `response.failed`, never mid-event silence. */
export function turnTimeLimitTrailer(contentType: string | null): Uint8Array | undefined {
  if (!contentType?.startsWith("text/event-stream")) return undefined;
  const event = failedEvent(
    "turn_time_limit",
    "this turn reached the gateway's 15-minute limit per request on AWS Lambda; continue in a new turn",
  );
  // The cut may fall inside an upstream event: a blank line first closes it, so ours parses alone.
  return Buffer.concat([Buffer.from("\n\n"), event]);
}
