// The MCP function's host: the read-only MCP endpoint (/mcp and the health probes) behind CloudFront,
// through the same stream adapter and origin header check as the runtime, so the viewer's address
// (failed auth limits) and host (setup help) reach it the same way. Answers are small JSON documents.
//
// Composition (environment, set by the CDK stack):
//   POOLER_STATE_TABLE, POOLER_REQUEST_LOG_TABLE   DynamoDB table names (read access is enough, plus
//                                                  the credential `lastUsedAt` touch on the state table)
//   POOLER_REQUEST_LOG_RETENTION_DAYS              default 30
//   POOLER_VERSION                                 the package version, for MCP's server info
//   POOLER_ORIGIN_SECRET_ARN                       the CloudFront origin header secret (read only)
//   POOLER_PUBLIC_BASE_URL                         a custom domain for setup help; otherwise the host
//                                                  CloudFront passes on
// The function never needs the account secrets: MCP answers are metadata only, so its secret store
// refuses. It composes its own small core rather than the AWS host (aws-host.ts), which would bring
// Powertools and the alert senders into a bundle that already carries the MCP SDK.
import { SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { OriginSecretVerifier } from "../adapters/aws/origin-secret.ts";
import { createDynamoStore, dynamoClient } from "../adapters/dynamodb/dynamo-store.ts";
import type { StreamHandlerOptions } from "../adapters/lambda/stream-handler.ts";
import { jsonLogger } from "../adapters/observability/json-logger.ts";
import { buildCoreContext } from "../core/context.ts";
import { createGateway, type Gateway } from "../core/gateway.ts";
import type { SecretStore } from "../core/ports.ts";
import { baseApp } from "../http/app-base.ts";
import { healthRoutes } from "../http/routes/health.ts";
import { type McpRouteOptions, mcpRoutes } from "../http/routes/mcp.ts";
import { coreSettings, readCoreSettings } from "./core-settings.ts";

/** A Hono app holding only the MCP route and the health probes (the full gateway app mounts the same route). */
export function createMcpApp(gw: Gateway, options: McpRouteOptions & { isDraining?: () => boolean }) {
  const app = baseApp(gw, "no such route; this host serves only /mcp");
  app.route("/", healthRoutes(gw, options.isDraining ?? (() => false)));
  app.route("/", mcpRoutes(gw, options));
  return app;
}

const refuse = async (): Promise<never> => {
  throw new Error("the MCP function has no access to upstream secrets");
};
const noSecrets: SecretStore = { get: refuse, put: refuse, delete: refuse };

/** The MCP function's stream handler options, from the environment the stack sets. */
export function awsMcpStreamOptions(env: NodeJS.ProcessEnv = process.env): StreamHandlerOptions {
  const required = (name: string): string => {
    const value = env[name];
    if (!value) throw new Error(`${name} is not set; the CDK stack must provide it`);
    return value;
  };
  const settings = readCoreSettings(
    env,
    (message) => new Error(`invalid function configuration: ${message}`),
  );
  const clock = { now: () => Date.now() };
  const { ctx, pending } = buildCoreContext({
    store: createDynamoStore({
      client: dynamoClient(),
      tables: { state: required("POOLER_STATE_TABLE"), requestLogs: required("POOLER_REQUEST_LOG_TABLE") },
      clock,
      requestLogRetentionDays: settings.requestLogRetentionDays,
    }),
    secrets: noSecrets,
    clock,
    fetch: (url, init) => fetch(url, init),
    metrics: { count: () => undefined, timing: () => undefined },
    logger: jsonLogger(),
    instance: "mcp",
    settings: coreSettings(settings),
  });
  const app = createMcpApp(createGateway(ctx), {
    version: env.POOLER_VERSION ?? "0.0.0",
    publicBaseUrl: env.POOLER_PUBLIC_BASE_URL?.replace(/\/+$/, "") || undefined,
  });
  const origin = new OriginSecretVerifier(new SecretsManagerClient({ maxAttempts: 3 }), {
    secretId: required("POOLER_ORIGIN_SECRET_ARN"),
    clock,
  });
  return {
    fetch: async (request, bindings) => app.fetch(request, bindings),
    origin: { header: origin.header, verify: (value) => origin.verify(value) },
    // A frozen container would drop the background writes (the token's lastUsedAt touch).
    settle: async () => {
      while (pending.size > 0) await Promise.allSettled([...pending]);
    },
    onError: (error, phase) =>
      ctx.logger.error("request failed in the Lambda adapter", {
        phase,
        error: error instanceof Error ? error.name : "unknown",
        detail: error instanceof Error ? error.message.slice(0, 200) : undefined,
      }),
  };
}
