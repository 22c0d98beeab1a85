// The gateway: runtime, admin, MCP, WebSocket and scheduled functions, CloudFront in front of the
// public function URLs, EventBridge schedules, dashboard and alarms. Data (tables, KMS key) comes
// from the data stack.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import {
  Aws,
  CfnCondition,
  CfnOutput,
  CfnParameter,
  Duration,
  Fn,
  RemovalPolicy,
  Stack,
  type StackProps,
} from "aws-cdk-lib";
import * as iam from "aws-cdk-lib/aws-iam";
import type * as kms from "aws-cdk-lib/aws-kms";
import * as lambda from "aws-cdk-lib/aws-lambda";
import type { Construct } from "constructs";
import { GSI1 } from "../src/adapters/dynamodb/tables.ts";
import type { GatewayConfig } from "./config.ts";
import { grantKeyUse, grantSecretStore, grantTables, type Tables } from "./constructs/access.ts";
import { CloudFrontEdge } from "./constructs/cloudfront.ts";
import { GatewayFunction, REPO_ROOT } from "./constructs/gateway-function.ts";
import { Monitoring } from "./constructs/monitoring.ts";
import { OriginSecret } from "./constructs/origin-secret.ts";
import { Schedules } from "./constructs/schedules.ts";
import { WEBSOCKET_STAGE, WebSocketGateway } from "./constructs/websocket-api.ts";
import { FUNCTION_GRANTS, type FunctionGrants, type GrantedFunction } from "./grants.ts";

export interface GatewayStackProps extends StackProps {
  config: GatewayConfig;
  data: Tables & { key: kms.IKey };
}

/** Lambda's hard cap on one invocation, so on one streamed Codex turn (docs/deploy-aws.md). */
export const MAX_TURN_MINUTES = 15;

export class GatewayStack extends Stack {
  readonly functions: Record<
    "runtime" | "admin" | "mcp" | "scheduled" | "websocket" | "websocketWorker",
    GatewayFunction
  > & { console?: GatewayFunction };
  readonly edge: CloudFrontEdge;
  readonly adminUrl: lambda.FunctionUrl;
  readonly webSocket: WebSocketGateway;
  readonly monitoring: Monitoring;
  readonly secretPrefix: string;
  readonly metricsNamespace: string;

  constructor(scope: Construct, id: string, props: GatewayStackProps) {
    super(scope, id, props);
    const { config, data } = props;
    this.secretPrefix = `${config.name}/`;
    this.metricsNamespace = `CodexPooler/${config.name}`;

    const alarmEmail = new CfnParameter(this, "AlarmEmail", {
      type: "String",
      default: "",
      allowedPattern: "^$|^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$",
      description: "E-mail address subscribed to the alarm topic (empty: no subscription)",
    });
    const originHeaderVersion = new CfnParameter(this, "OriginHeaderVersion", {
      type: "String",
      default: "0",
      allowedPattern: "^[A-Za-z0-9._-]{1,20}$",
      description:
        "Change after rotating the origin secret so CloudFront picks up the new value (docs/deploy-aws.md)",
    });

    const iamPoolAdmins = new CfnParameter(this, "IamPoolAdmins", {
      type: "String",
      default: "",
      allowedPattern: "^[A-Za-z0-9:/_+=,.@*;\\s-]*$",
      description:
        "IAM callers of the admin URL that are Pool admins instead of owners: `<caller ARN, or prefix ending in *>=<pool>+<pool>` separated by `;` (docs/operators.md). Empty: every IAM caller is an owner.",
    });
    // Memory (and with it CPU) per function, changeable at deploy time; docs/benchmarks.md shows the
    // measurement the defaults come from (docs/deploy-aws.md#sizing).
    const runtimeMemory = new CfnParameter(this, "RuntimeMemoryMB", {
      type: "Number",
      default: config.runtimeMemoryMb,
      minValue: 128,
      maxValue: 10240,
      description: "Memory of the functions that carry turns (runtime, WebSocket worker), in MB",
    }).valueAsNumber;
    const functionMemory = new CfnParameter(this, "FunctionMemoryMB", {
      type: "Number",
      default: config.functionMemoryMb,
      minValue: 128,
      maxValue: 10240,
      description: "Memory of the other functions (admin, console, MCP, scheduled, WebSocket routes), in MB",
    }).valueAsNumber;

    const version = (JSON.parse(readFileSync(join(REPO_ROOT, "package.json"), "utf8")) as { version: string })
      .version;
    // Names, ARNs and settings only: secrets are read from Secrets Manager at run time.
    const environment: Record<string, string> = {
      POOLER_STATE_TABLE: data.state.tableName,
      POOLER_REQUEST_LOG_TABLE: data.requestLogs.tableName,
      POOLER_SECRET_PREFIX: this.secretPrefix,
      POOLER_KMS_KEY_ID: data.key.keyArn,
      POOLER_METRICS_NAMESPACE: this.metricsNamespace,
      POOLER_VERSION: version,
      POOLER_REQUEST_LOG_RETENTION_DAYS: String(config.requestLogRetentionDays),
      ...(config.upstreamBaseUrl ? { CODEX_UPSTREAM_BASE_URL: config.upstreamBaseUrl } : {}),
      ...(config.authBaseUrl ? { CODEX_AUTH_BASE_URL: config.authBaseUrl } : {}),
    };
    const common = {
      logRetention: config.logRetentionDays,
      logRemovalPolicy: config.devMode ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN,
    };
    const originSecret = new OriginSecret(this, "OriginSecret", { key: data.key });

    const runtime = new GatewayFunction(this, "Runtime", {
      ...common,
      entry: "runtime",
      serviceName: "codex-pooler-runtime",
      description: "Codex Pooler runtime: /backend-api and /v1, streamed",
      // One invocation carries one whole streamed turn; Lambda stops at 15 minutes (the stream
      // adapter ends the stream with a terminal event shortly before).
      timeout: Duration.minutes(Math.min(config.runtimeTimeoutMinutes, MAX_TURN_MINUTES)),
      memorySize: runtimeMemory,
      environment: { ...environment, POOLER_ORIGIN_SECRET_ARN: originSecret.secret.secretArn },
    });
    const admin = new GatewayFunction(this, "Admin", {
      ...common,
      entry: "admin",
      serviceName: "codex-pooler-admin",
      description: "Codex Pooler admin API (IAM-authenticated function URL)",
      timeout: Duration.seconds(60),
      memorySize: functionMemory,
      environment: {
        ...environment,
        POOLER_IAM_POOL_ADMINS: iamPoolAdmins.valueAsString,
        // Invite URLs: the public origin when it is known at synth time (a CloudFront domain would be a cycle).
        ...(config.domainName ? { POOLER_PUBLIC_BASE_URL: `https://${config.domainName}` } : {}),
      },
    });
    // The web console and the admin API it calls, for browsers (which cannot sign SigV4): CloudFront
    // sends /admin and /admin/* here; operators sign in with an admin token minted over the IAM URL.
    const consoleFn = config.console
      ? new GatewayFunction(this, "Console", {
          ...common,
          entry: "console",
          serviceName: "codex-pooler-console",
          description:
            "Codex Pooler web console and its admin API (/admin behind CloudFront, admin-token sign-in)",
          timeout: Duration.seconds(60),
          memorySize: functionMemory,
          environment: {
            ...environment,
            POOLER_ORIGIN_SECRET_ARN: originSecret.secret.secretArn,
            ...(config.domainName ? { POOLER_PUBLIC_BASE_URL: `https://${config.domainName}` } : {}),
          },
        })
      : undefined;
    const mcp = new GatewayFunction(this, "Mcp", {
      ...common,
      entry: "mcp",
      serviceName: "codex-pooler-mcp",
      description: "Codex Pooler read-only MCP endpoint (/mcp behind CloudFront)",
      timeout: Duration.seconds(30),
      memorySize: functionMemory,
      environment: {
        ...environment,
        POOLER_ORIGIN_SECRET_ARN: originSecret.secret.secretArn,
        // The function's own origin, when it is known at synth time (a CloudFront domain would be a cycle).
        ...(config.domainName ? { POOLER_PUBLIC_BASE_URL: `https://${config.domainName}` } : {}),
      },
    });
    const scheduled = new GatewayFunction(this, "Scheduled", {
      ...common,
      entry: "scheduled",
      serviceName: "codex-pooler-scheduled",
      description:
        "Codex Pooler scheduled jobs: token refresh and usage poll (every minute), retention (daily)",
      timeout: Duration.minutes(5),
      memorySize: functionMemory,
      environment,
    });
    // One turn per asynchronous invocation, posted back to the client's connection (ADR 0001).
    const websocketWorker = new GatewayFunction(this, "WebSocketWorker", {
      ...common,
      entry: "websocket-worker",
      serviceName: "codex-pooler-websocket-worker",
      description: "Codex Pooler WebSocket turns: one upstream SSE turn, each event posted to the connection",
      timeout: Duration.minutes(Math.min(config.runtimeTimeoutMinutes, MAX_TURN_MINUTES)),
      memorySize: runtimeMemory,
      environment,
    });
    // A retried turn would post its events twice; a turn that could not start within minutes is
    // of no use to a waiting client.
    websocketWorker.fn.configureAsyncInvoke({ retryAttempts: 0, maxEventAge: Duration.minutes(5) });
    const websocket = new GatewayFunction(this, "WebSocket", {
      ...common,
      entry: "websocket",
      serviceName: "codex-pooler-websocket",
      description:
        "Codex Pooler WebSocket routes: Pool key check and 426 for Codex at $connect, turns handed to the worker",
      // API Gateway waits at most 29 s for a route; these calls take milliseconds.
      timeout: Duration.seconds(10),
      memorySize: functionMemory,
      environment: { ...environment, POOLER_WEBSOCKET_WORKER_FUNCTION: websocketWorker.fn.functionName },
    });
    websocket.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ["lambda:InvokeFunction"],
        resources: [websocketWorker.fn.functionArn],
      }),
    );
    this.functions = {
      runtime,
      admin,
      mcp,
      scheduled,
      websocket,
      websocketWorker,
      ...(consoleFn ? { console: consoleFn } : {}),
    };

    // --- admission: reserved concurrency per public function (docs/deploy-aws.md) ------------
    // One Lambda instance serves one request, so the local host's bulkheads have no work here;
    // reserved concurrency caps each function (and keeps the account's other functions from
    // starving it). 0, the default, reserves nothing. Over the cap, Lambda answers 429 and
    // CloudFront passes it on; Codex and the SDKs retry.
    const reservedConcurrency = (id: string, target: GatewayFunction | undefined, what: string) => {
      if (!target) return;
      const parameter = new CfnParameter(this, id, {
        type: "Number",
        default: 0,
        minValue: 0,
        maxValue: 10_000,
        description: `Reserved concurrency of the ${what} function: at most this many requests at once (0: unreserved)`,
      });
      const set = new CfnCondition(this, `${id}Set`, {
        expression: Fn.conditionNot(Fn.conditionEquals(parameter.valueAsNumber, 0)),
      });
      (target.fn.node.defaultChild as lambda.CfnFunction).addPropertyOverride(
        "ReservedConcurrentExecutions",
        Fn.conditionIf(set.logicalId, parameter.valueAsNumber, Aws.NO_VALUE),
      );
    };
    reservedConcurrency("RuntimeReservedConcurrency", runtime, "runtime (HTTP and SSE turns)");
    reservedConcurrency("WebSocketWorkerReservedConcurrency", websocketWorker, "WebSocket turn worker");
    reservedConcurrency("McpReservedConcurrency", mcp, "MCP");
    reservedConcurrency("ConsoleReservedConcurrency", consoleFn, "console and key dashboard");
    // Across every instance: at most this many turns of one Pool at once, HTTP (runtime) and WebSocket
    // API (worker) together (src/core/pools/pool-slots.ts).
    const poolCap = new CfnParameter(this, "PoolConcurrencyCap", {
      type: "Number",
      default: 0,
      minValue: 0,
      maxValue: 100_000,
      description:
        "At most this many turns (HTTP and WebSocket) of one Pool at once, across instances (0: no cap)",
    });
    runtime.fn.addEnvironment("POOLER_POOL_CONCURRENCY_CAP", poolCap.valueAsString);
    websocketWorker.fn.addEnvironment("POOLER_POOL_CONCURRENCY_CAP", poolCap.valueAsString);

    // --- least privilege, per function (lib/grants.ts) ---------------------------------------
    for (const [name, grants] of Object.entries(FUNCTION_GRANTS) as [GrantedFunction, FunctionGrants][]) {
      const fn = this.functions[name];
      if (!fn) continue; // the console, when left out
      const { role } = fn;
      grantTables(role, data, { state: [...grants.state], requestLogs: [...grants.requestLogs] });
      if (grants.secrets.length) grantSecretStore(role, this.secretPrefix, [...grants.secrets]);
      if (grants.kms !== "none") grantKeyUse(role, data.key, grants.kms);
      if (grants.originSecret) originSecret.grantRead(role);
    }

    // --- entry points ------------------------------------------------------------------------
    this.edge = new CloudFrontEdge(this, "Edge", {
      config,
      runtime,
      mcp,
      console: consoleFn,
      originHeaderValue: originSecret.headerValue(),
      originHeaderVersion: originHeaderVersion.valueAsString,
    });
    this.adminUrl = admin.fn.addFunctionUrl({
      authType: lambda.FunctionUrlAuthType.AWS_IAM,
      invokeMode: lambda.InvokeMode.RESPONSE_STREAM,
    });
    const adminInvoke = new iam.ManagedPolicy(this, "AdminInvokePolicy", {
      description:
        "Attach to operators who run the pooler CLI against this gateway (SigV4 to the admin function URL)",
      statements: [
        new iam.PolicyStatement({
          actions: ["lambda:InvokeFunctionUrl"],
          resources: [admin.fn.functionArn],
          conditions: { StringEquals: { "lambda:FunctionUrlAuthType": "AWS_IAM" } },
        }),
        new iam.PolicyStatement({
          actions: ["lambda:InvokeFunction"],
          resources: [admin.fn.functionArn],
          conditions: { Bool: { "lambda:InvokedViaFunctionUrl": "true" } },
        }),
      ],
    });
    this.webSocket = new WebSocketGateway(this, "WebSocketApi", {
      handler: websocket,
      worker: websocketWorker,
      rateLimit: config.webSocketRateLimit,
      burstLimit: config.webSocketBurstLimit,
    });
    new Schedules(this, "Schedules", { handler: scheduled });

    this.monitoring = new Monitoring(this, "Monitoring", {
      config,
      namespace: this.metricsNamespace,
      functions: Object.fromEntries(Object.entries(this.functions).map(([k, f]) => [k, f.fn])),
      tables: { state: data.state, requestLogs: data.requestLogs, stateIndexes: [GSI1] },
      webSocket: { apiId: this.webSocket.api.apiId, stage: WEBSOCKET_STAGE },
      alarmEmail: alarmEmail.valueAsString,
    });
    // Alert channels of kind `sns` publish to this topic: from the schedule (evaluation) and admin (test-send).
    this.monitoring.topic.grantPublish(scheduled.role);
    this.monitoring.topic.grantPublish(admin.role);
    if (consoleFn) this.monitoring.topic.grantPublish(consoleFn.role);

    new CfnOutput(this, "GatewayUrl", {
      value: this.edge.publicUrl,
      description: "Point Codex and SDK clients here (…/backend-api/codex or …/v1)",
    });
    if (consoleFn) {
      new CfnOutput(this, "ConsoleUrl", {
        value: `${this.edge.publicUrl}/admin`,
        description:
          "Web console; sign in with a token from: pooler --aws --url <AdminUrl> admin-token create",
      });
    }
    new CfnOutput(this, "AdminUrl", {
      value: this.adminUrl.url,
      description: "pooler --aws --url <this> (SigV4; attach AdminInvokePolicy to operators)",
    });
    new CfnOutput(this, "AdminInvokePolicyArn", { value: adminInvoke.managedPolicyArn });
    new CfnOutput(this, "WebSocketUrl", { value: this.webSocket.stage.url });
    new CfnOutput(this, "AlarmTopicArn", { value: this.monitoring.topic.topicArn });
    new CfnOutput(this, "OriginSecretArn", {
      value: originSecret.secret.secretArn,
      description: "The CloudFront origin header secret (rotation: docs/deploy-aws.md)",
    });
    new CfnOutput(this, "DashboardUrl", {
      value: `https://console.aws.amazon.com/cloudwatch/home?region=${Aws.REGION}#dashboards:name=${config.name}-gateway`,
    });
  }
}
