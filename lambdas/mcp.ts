// MCP function: the read-only MCP endpoint (/mcp and the health probes) behind CloudFront, through
// the same stream adapter and origin header check as the runtime, so the viewer's address (failed
// auth limits) and host (setup help) reach it the same way. Answers are small JSON documents.
//
// Composition (environment, set by the CDK stack):
//   POOLER_STATE_TABLE, POOLER_REQUEST_LOG_TABLE   DynamoDB table names (read access is enough, plus
//                                                  the credential `lastUsedAt` touch on the state table)
//   POOLER_REQUEST_LOG_RETENTION_DAYS              default 30
//   POOLER_ORIGIN_SECRET_ARN                       the CloudFront origin header secret (read only)
//   POOLER_PUBLIC_BASE_URL                         a custom domain for setup help; otherwise the host
//                                                  CloudFront passes on
// The function never needs the account secrets: MCP answers are metadata only, so its secret store
// refuses. It composes its own small core rather than the AWS host (src/server/aws-host.ts), which
// would bring Powertools and the alert senders into a bundle that already carries the MCP SDK.
import { SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import pkg from "../package.json" with { type: "json" };
import { OriginSecretVerifier } from "../src/adapters/aws/origin-secret.ts";
import { createDynamoStore, dynamoClient } from "../src/adapters/dynamodb/dynamo-store.ts";
import { streamHandler } from "../src/adapters/lambda/stream-handler.ts";
import { jsonLogger } from "../src/adapters/observability/json-logger.ts";
import { buildCoreContext } from "../src/core/context.ts";
import { createGateway } from "../src/core/gateway.ts";
import type { SecretStore } from "../src/core/ports.ts";
import { createMcpApp } from "../src/mcp/app.ts";

const env = process.env;
const required = (name: string): string => {
  const value = env[name];
  if (!value) throw new Error(`${name} is not set; the CDK stack must provide it`);
  return value;
};

const noSecrets: SecretStore = {
  get: async () => {
    throw new Error("the MCP function has no access to upstream secrets");
  },
  put: async () => {
    throw new Error("the MCP function has no access to upstream secrets");
  },
  delete: async () => {
    throw new Error("the MCP function has no access to upstream secrets");
  },
};

const retentionDays = Number(env.POOLER_REQUEST_LOG_RETENTION_DAYS ?? "30") || 30;
const clock = { now: () => Date.now() };
const { ctx, pending } = buildCoreContext({
  store: createDynamoStore({
    client: dynamoClient(),
    tables: { state: required("POOLER_STATE_TABLE"), requestLogs: required("POOLER_REQUEST_LOG_TABLE") },
    clock,
    requestLogRetentionDays: retentionDays,
  }),
  secrets: noSecrets,
  clock,
  fetch: (url, init) => fetch(url, init),
  metrics: { count: () => undefined, timing: () => undefined },
  logger: jsonLogger(),
  instance: "mcp",
  settings: { requestLogRetentionDays: retentionDays },
});

const app = createMcpApp(createGateway(ctx), {
  version: pkg.version,
  publicBaseUrl: env.POOLER_PUBLIC_BASE_URL?.replace(/\/+$/, "") || undefined,
});
const origin = new OriginSecretVerifier(new SecretsManagerClient({ maxAttempts: 3 }), {
  secretId: required("POOLER_ORIGIN_SECRET_ARN"),
  clock,
});

export const handler = streamHandler({
  fetch: async (request) => app.fetch(request),
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
});
