// Composition root for the Lambda functions: the same core and Hono app as the local host, wired to
// real DynamoDB, Secrets Manager, CloudWatch EMF metrics and Powertools logs. Built once per
// container at module scope so warm invocations reuse clients, caches and connections.
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { SNSClient } from "@aws-sdk/client-sns";
import { postWebhook } from "../adapters/alerts/webhook-post.ts";
import { snsAlertSender } from "../adapters/aws/sns-alert-sender.ts";
import { createDynamoStore } from "../adapters/dynamodb/dynamo-store.ts";
import type { TableNames } from "../adapters/dynamodb/tables.ts";
import { EmfMetrics } from "../adapters/observability/emf-metrics.ts";
import { powertoolsLogger } from "../adapters/observability/powertools-logger.ts";
import { SecretsManagerSecretStore } from "../adapters/secrets/secrets-manager-secret-store.ts";
import { webhookSender } from "../core/alerts/delivery.ts";
import { buildCoreContext, type CoreContext, type Logger } from "../core/context.ts";
import { createGateway, type Gateway } from "../core/gateway.ts";
import type { Clock, Metrics } from "../core/ports.ts";
import {
  type CoreEnvSettings,
  coreSettings,
  int,
  readCoreSettings,
  readSetting,
  url,
} from "./core-settings.ts";

export interface AwsHostConfig extends CoreEnvSettings {
  tables: TableNames;
  secretPrefix: string;
  kmsKeyId?: string;
  originSecretArn?: string;
  metricsNamespace: string;
  version: string;
  usagePollConcurrency: number;
  deadlineMarginMs: number;
  /** The gateway's public origin (a custom domain), for invite URLs; else the request's origin. */
  publicBaseUrl?: string;
}

/** Names, ARNs and tunables only: no secret is ever passed through the environment. */
export function awsConfigFromEnv(env: NodeJS.ProcessEnv = process.env): AwsHostConfig {
  const read = (name: string) => (env[name] === "" ? undefined : env[name]);
  const required = (name: string) => {
    const value = read(name);
    if (!value) throw new Error(`invalid function configuration: ${name} is not set (the CDK stack sets it)`);
    return value;
  };
  const fail = (message: string) => new Error(`invalid function configuration: ${message}`);
  const secretPrefix = required("POOLER_SECRET_PREFIX");
  if (!/^[A-Za-z0-9/_+=.@-]+$/.test(secretPrefix)) {
    throw new Error(
      "invalid function configuration: POOLER_SECRET_PREFIX has characters a secret name cannot hold",
    );
  }
  const core = readCoreSettings(env, fail);
  return {
    ...core,
    tables: { state: required("POOLER_STATE_TABLE"), requestLogs: required("POOLER_REQUEST_LOG_TABLE") },
    secretPrefix,
    kmsKeyId: read("POOLER_KMS_KEY_ID"),
    originSecretArn: read("POOLER_ORIGIN_SECRET_ARN"),
    metricsNamespace: read("POOLER_METRICS_NAMESPACE") ?? "CodexPooler",
    version: read("POOLER_VERSION") ?? "0.0.0",
    usagePollConcurrency: readSetting(env, int("POOLER_USAGE_POLL_CONCURRENCY", 1, 32), fail) ?? 4,
    deadlineMarginMs: readSetting(env, int("POOLER_DEADLINE_MARGIN_MS", 1_000, 120_000), fail) ?? 10_000,
    publicBaseUrl: readSetting(env, url("POOLER_PUBLIC_BASE_URL"), fail),
  };
}

export interface AwsHostOverrides {
  clock?: Clock;
  fetch?: typeof fetch;
  logger?: Logger;
  metrics?: Metrics;
  sns?: SNSClient;
}

export interface AwsHost {
  config: AwsHostConfig;
  ctx: CoreContext;
  gateway: Gateway;
  dynamo: DynamoDBClient;
  secretsManager: SecretsManagerClient;
  /** Awaits every background task (request logs, routing state), including ones they start. */
  settle(): Promise<void>;
  /** Logs a failure the stream adapter caught (metadata only). */
  reportError(error: unknown, phase: string): void;
}

/**
 * How long a turn's pins may wait for its request-log row to share one BatchWriteItem (the row comes
 * one store round trip after the stream, once the usage counters are written).
 */
const TURN_PUTS_MS = 1_000;

export function createAwsHost(config: AwsHostConfig, overrides: AwsHostOverrides = {}): AwsHost {
  // Region, credentials and endpoints come from the Lambda environment (the default chain).
  const dynamo = new DynamoDBClient({ maxAttempts: 3 });
  const secretsManager = new SecretsManagerClient({ maxAttempts: 3 });
  const clock = overrides.clock ?? { now: () => Date.now() };
  const logger = overrides.logger ?? powertoolsLogger();
  const { ctx, pending } = buildCoreContext({
    store: createDynamoStore({
      client: dynamo,
      tables: config.tables,
      clock,
      requestLogRetentionDays: config.requestLogRetentionDays,
      turnPutsMs: TURN_PUTS_MS,
    }),
    secrets: new SecretsManagerSecretStore(secretsManager, {
      prefix: config.secretPrefix,
      kmsKeyId: config.kmsKeyId,
      clock,
      tags: { "managed-by": "codex-pooler" },
    }),
    clock,
    fetch: overrides.fetch ?? fetch,
    metrics: overrides.metrics ?? new EmfMetrics({ namespace: config.metricsNamespace }),
    logger,
    // Alert channels of kind `sns` (the monitoring stack's topic) publish through this client.
    alertSenders: {
      webhook: webhookSender(postWebhook),
      sns: snsAlertSender(overrides.sns ?? new SNSClient({ maxAttempts: 3 })),
    },
    instance: "lambda",
    settings: coreSettings(config),
  });
  return {
    config,
    ctx,
    gateway: createGateway(ctx),
    dynamo,
    secretsManager,
    async settle() {
      // A frozen container would otherwise carry half-written request logs into the next invocation.
      while (pending.size > 0) await Promise.allSettled([...pending]);
    },
    reportError(error, phase) {
      logger.error("request failed in the Lambda adapter", {
        phase,
        error: error instanceof Error ? error.name : "unknown",
        detail: error instanceof Error ? error.message.slice(0, 200) : undefined,
      });
    },
  };
}
