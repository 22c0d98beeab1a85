// Lambda entry for the read-only MCP endpoint (/mcp and the health probes only). Buffered answers
// through hono/aws-lambda are enough here: MCP answers are small JSON documents, never streams.
//
// Composition (environment, set by the CDK stack):
//   POOLER_STATE_TABLE, POOLER_REQUEST_LOG_TABLE   DynamoDB table names (read access is enough, plus
//                                                  the credential `lastUsedAt` touch on the state table)
//   POOLER_REQUEST_LOG_RETENTION_DAYS              default 30
//   POOLER_PUBLIC_BASE_URL                         public origin shown in setup help (e.g. the CloudFront URL)
// The function never needs Secrets Manager: MCP answers are metadata only, so its secret store refuses.
// If the shared AWS composition root (src/adapters/lambda) grows a gateway factory, swap it in here;
// `createMcpApp` is the piece to keep.
import { handle, type LambdaContext, type LambdaEvent } from "hono/aws-lambda";
import pkg from "../package.json" with { type: "json" };
import { createDynamoStore, dynamoClient } from "../src/adapters/dynamodb/dynamo-store.ts";
import { jsonLogger } from "../src/adapters/observability/json-logger.ts";
import { type CoreContext, defaultCoreConfig } from "../src/core/context.ts";
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
const pending = new Set<Promise<unknown>>();
const ctx: CoreContext = {
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
  config: {
    ...defaultCoreConfig,
    instanceId: `mcp-${env.AWS_LAMBDA_LOG_STREAM_NAME ?? "local"}`,
    requestLogRetentionDays: retentionDays,
  },
  background(task) {
    pending.add(task);
    void task.finally(() => pending.delete(task));
  },
};

const app = createMcpApp(createGateway(ctx), {
  version: pkg.version,
  publicBaseUrl: env.POOLER_PUBLIC_BASE_URL?.replace(/\/+$/, "") || undefined,
});
const serve = handle(app);

export async function handler(event: LambdaEvent, context?: LambdaContext) {
  try {
    return await serve(event, context);
  } finally {
    // A frozen container would drop the background writes (the token's lastUsedAt touch).
    await Promise.allSettled([...pending]);
  }
}
