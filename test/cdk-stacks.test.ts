// `cdk synth` in process (no AWS credentials, no lookups): both stacks built as bin/cdk-app.ts builds
// them, with the cdk-nag AwsSolutions plugin and CDK's CloudFormation validation running, then the
// templates pinned: every resource and the properties that matter.
import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { App } from "aws-cdk-lib";
import { Match, Template } from "aws-cdk-lib/assertions";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildApp } from "../lib/app.ts";
import { DEFAULT_CONFIG } from "../lib/config.ts";
import { VIEWER_REQUEST_CODE } from "../lib/constructs/viewer-request.ts";
import { FUNCTION_GRANTS } from "../lib/grants.ts";
import { tableDefinitions } from "../src/adapters/dynamodb/tables.ts";
import { datapoints } from "../src/adapters/observability/emf-metrics.ts";
import { SCHEDULED_TASKS } from "../src/server/aws-scheduled.ts";
import { lambdaMetricNames } from "./helpers/cdk.ts";
import { scratchDir } from "./helpers/gateway.ts";

type Resources = Record<
  string,
  { Type: string; Properties: any; DeletionPolicy?: string; UpdateReplacePolicy?: string; Condition?: string }
>;

let data: Template;
let gateway: Template;
let gatewayJson: {
  Resources: Resources;
  Parameters: Record<string, any>;
  Outputs: Record<string, any>;
  Conditions: Record<string, any>;
};
let report: any;
let acknowledgementCount: number;

const CACHING_DISABLED = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad";
const ALL_VIEWER_EXCEPT_HOST = "b689b0a8-53d0-40ab-baf2-68738e2966ac";

function ofType(type: string): [string, Resources[string]][] {
  return Object.entries(gatewayJson.Resources).filter(([, r]) => r.Type === type);
}

/** The function whose logical id starts with `prefix` (Runtime, Admin, Mcp, Scheduled, WebSocket). */
function fn(prefix: string): [string, Resources[string]] {
  const found = ofType("AWS::Lambda::Function").find(([id]) => id.startsWith(`${prefix}Function`));
  if (!found) throw new Error(`no function ${prefix}`);
  return found;
}

function policyOf(prefix: string): any[] {
  const role = ofType("AWS::IAM::Role").find(([id]) => id.startsWith(`${prefix}Role`))![0];
  return ofType("AWS::IAM::Policy")
    .filter(([, p]) => p.Properties.Roles.some((r: any) => r.Ref === role))
    .flatMap(([, p]) => p.Properties.PolicyDocument.Statement);
}

const actionsOn = (statements: any[], needle: string) =>
  statements
    .filter((s) => JSON.stringify(s.Resource).includes(needle))
    .flatMap((s) => [s.Action].flat())
    .sort();

/** The feature flags `cdk synth` applies (cdk.json), so the test synthesizes what the CLI does. */
const cliContext = (
  JSON.parse(readFileSync(join(import.meta.dirname, "..", "cdk.json"), "utf8")) as {
    context: Record<string, unknown>;
  }
).context;

const outdirs: string[] = [];
const outdir = (name: string) => {
  const dir = scratchDir(name);
  outdirs.push(dir);
  return dir;
};

afterAll(() => {
  for (const dir of outdirs) rmSync(dir, { recursive: true, force: true });
});

beforeAll(() => {
  const app = new App({ outdir: outdir("cdk-out"), context: cliContext });
  const stacks = buildApp(app);
  acknowledgementCount = (app.node.findAll() as { node: { metadata: { type: string }[] } }[])
    .flatMap((c) => c.node.metadata)
    .filter((m) => m.type === "aws:cdk:acknowledged-rules").length;
  // The whole app, validation plugins included: this is `cdk synth`.
  const assembly = app.synth();
  report = JSON.parse(readFileSync(join(assembly.directory, "validation-report.json"), "utf8"));
  data = Template.fromStack(stacks.data);
  gateway = Template.fromStack(stacks.gateway);
  gatewayJson = gateway.toJSON() as typeof gatewayJson;
});

describe("cdk-nag AwsSolutions", () => {
  it("ran and reports no unacknowledged finding", () => {
    const nag = report.pluginReports.find((r: { pluginName: string }) => r.pluginName === "AwsSolutions");
    expect(nag).toBeDefined();
    expect(nag.violations).toEqual([]);
    expect(nag.conclusion).toBe("success");
  });

  it("acknowledges only the expected findings, each with a reason", () => {
    const nag = report.pluginReports.find((r: { pluginName: string }) => r.pluginName === "AwsSolutions");
    const suppressed = nag.suppressedViolations as { ruleName: string; reason: string }[];
    for (const s of suppressed) expect(s.reason.length, s.ruleName).toBeGreaterThan(60);
    expect([...new Set(suppressed.map((s) => s.ruleName.replace(/\[.*$/, "")))].sort()).toEqual(
      ["APIG1", "APIG4", "CFR1", "CFR2", "CFR3", "CFR4", "IAM5", "SMG4"].map((r) => `AwsSolutions-${r}`),
    );
    // Every acknowledgement matched a finding: none is stale.
    expect(suppressed.length).toBe(acknowledgementCount);
    const wildcards = suppressed
      .filter((s) => s.ruleName.startsWith("AwsSolutions-IAM5"))
      .map((s) => s.ruleName);
    expect(wildcards.every((w) => /secret:codex-pooler\/\*|@connections\/\*/.test(w))).toBe(true);
  });
});

describe("data stack", () => {
  const expected = tableDefinitions({ state: "state", requestLogs: "requestLogs" });

  it.each(expected.map((d) => [d.TableName, d] as const))(
    "%s table matches tables.ts",
    (_name, definition) => {
      data.hasResource("AWS::DynamoDB::Table", {
        DeletionPolicy: "Retain",
        UpdateReplacePolicy: "Retain",
        Properties: Match.objectLike({
          KeySchema: definition.KeySchema,
          AttributeDefinitions: Match.arrayEquals(definition.AttributeDefinitions as never[]),
          BillingMode: "PAY_PER_REQUEST",
          PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
          SSESpecification: { SSEEnabled: true, SSEType: "KMS", KMSMasterKeyId: Match.anyValue() },
          TimeToLiveSpecification: { AttributeName: "expiresAt", Enabled: true },
          DeletionProtectionEnabled: true,
          ...(definition.GlobalSecondaryIndexes
            ? {
                GlobalSecondaryIndexes: definition.GlobalSecondaryIndexes.map((i) => ({
                  IndexName: i.IndexName,
                  KeySchema: i.KeySchema,
                  Projection: { ProjectionType: "ALL" },
                })),
              }
            : { GlobalSecondaryIndexes: Match.absent() }),
        }),
      });
    },
  );

  it("has exactly the two tables and a rotating, retained KMS key", () => {
    data.resourceCountIs("AWS::DynamoDB::Table", 2);
    data.hasResource("AWS::KMS::Key", {
      DeletionPolicy: "Retain",
      Properties: Match.objectLike({ EnableKeyRotation: true }),
    });
    expect(Object.keys(data.toJSON().Resources).length).toBe(3);
  });
});

describe("gateway functions", () => {
  const cases = [
    ["Runtime", 900, "RuntimeMemoryMB"],
    ["Admin", 60, "FunctionMemoryMB"],
    ["Console", 60, "FunctionMemoryMB"],
    ["Mcp", 30, "FunctionMemoryMB"],
    ["Scheduled", 300, "FunctionMemoryMB"],
    ["WebSocket", 10, "FunctionMemoryMB"],
    ["WebSocketWorker", 900, "RuntimeMemoryMB"],
  ] as const;

  it.each(cases)(
    "%s: Node.js 24 on arm64, timeout %i s, memory from %s, its own log group and role",
    (name, timeout, memory) => {
      const [, f] = fn(name);
      expect(f.Properties).toMatchObject({
        Runtime: "nodejs24.x",
        Architectures: ["arm64"],
        Handler: "index.handler",
        Timeout: timeout,
        MemorySize: { Ref: memory },
        LoggingConfig: { LogGroup: { Ref: expect.stringMatching(new RegExp(`^${name}Logs`)) } },
      });
      expect(f.Properties.Environment.Variables.NODE_OPTIONS).toBe("--enable-source-maps");
    },
  );

  it("runtime timeout is Lambda's 15-minute maximum (one streamed turn per invocation)", () => {
    expect(fn("Runtime")[1].Properties.Timeout).toBe(15 * 60);
  });

  it("log groups keep 30 days and survive the stack", () => {
    const groups = ofType("AWS::Logs::LogGroup");
    expect(groups).toHaveLength(7);
    for (const [, g] of groups) {
      expect(g.Properties.RetentionInDays).toBe(30);
      expect(g.DeletionPolicy).toBe("Retain");
    }
  });

  it("no secret in any function's environment", () => {
    const allowedNames = /^(NODE_OPTIONS|POWERTOOLS_[A-Z_]+|POOLER_[A-Z_]+|CODEX_[A-Z_]+)$/;
    for (const [id, f] of ofType("AWS::Lambda::Function")) {
      for (const [name, value] of Object.entries(f.Properties.Environment?.Variables ?? {})) {
        expect(name, id).toMatch(allowedNames);
        const text = JSON.stringify(value);
        // No dynamic reference (it would resolve to the secret value) and no literal that looks like one.
        expect(text, `${id} ${name}`).not.toMatch(/resolve:secretsmanager|resolve:ssm-secure/);
        if (typeof value === "string") {
          expect(value, `${id} ${name}`).toMatch(/^(--enable-source-maps|[A-Za-z0-9/_.:-]{0,80})$/);
          expect(value, `${id} ${name}`).not.toMatch(/^(sk|adm|mcp)-cxp-|eyJ|^[A-Za-z0-9+/=]{40,}$/);
        }
        if (/SECRET|TOKEN|PASSWORD|KEY/.test(name)) {
          // Only names and ARNs: the secret prefix, the origin secret's ARN, the KMS key's ARN.
          expect(
            ["POOLER_SECRET_PREFIX", "POOLER_ORIGIN_SECRET_ARN", "POOLER_KMS_KEY_ID"],
            `${id} ${name}`,
          ).toContain(name);
        }
      }
    }
    expect(fn("Runtime")[1].Properties.Environment.Variables.POOLER_ORIGIN_SECRET_ARN).toEqual({
      Ref: expect.stringMatching(/^OriginSecret/),
    });
  });

  it("function roles carry no managed policy", () => {
    for (const [, role] of ofType("AWS::IAM::Role"))
      expect(role.Properties.ManagedPolicyArns).toBeUndefined();
  });
});

describe("least privilege", () => {
  it("no wildcard action anywhere and no Resource '*'", () => {
    const statements = [...ofType("AWS::IAM::Policy"), ...ofType("AWS::IAM::ManagedPolicy")].flatMap(
      ([, p]) => p.Properties.PolicyDocument.Statement,
    );
    expect(statements.length).toBeGreaterThan(10);
    for (const s of statements) {
      for (const action of [s.Action].flat()) expect(action).not.toContain("*");
      expect([s.Resource].flat()).not.toContain("*");
    }
  });

  it.each(Object.entries(FUNCTION_GRANTS))(
    "%s: the template grants exactly lib/grants.ts",
    (name, grants) => {
      const prefix = {
        runtime: "Runtime",
        admin: "Admin",
        console: "Console",
        mcp: "Mcp",
        scheduled: "Scheduled",
        websocket: "WebSocket",
        websocketWorker: "WebSocketWorker",
      }[name]!;
      const statements = policyOf(prefix);
      const only = (needle: string) => actionsOn(statements, needle).map((a) => a.split(":")[1]);
      expect(only("GetAttState")).toEqual([...grants.state].sort());
      expect(only("GetAttRequestLogs")).toEqual([...grants.requestLogs].sort());
      expect(only(":secret:codex-pooler/*")).toEqual([...grants.secrets].sort());
      expect(only("OriginSecret")).toEqual(grants.originSecret ? ["GetSecretValue"] : []);
      expect(only("ExportsOutputFnGetAttKey")).toEqual(
        { none: [], read: ["Decrypt"], "read-write": ["Decrypt", "GenerateDataKey"] }[grants.kms],
      );
    },
  );

  it("each function gets exactly its table actions", () => {
    expect(actionsOn(policyOf("Runtime"), "GetAttState")).toEqual([
      "dynamodb:BatchWriteItem",
      "dynamodb:DescribeTable",
      "dynamodb:GetItem",
      "dynamodb:PutItem",
      "dynamodb:Query",
      "dynamodb:UpdateItem",
    ]);
    // A turn's request-log row and pins go in one BatchWriteItem (PutItem: throttled leftovers).
    expect(actionsOn(policyOf("Runtime"), "GetAttRequestLogs")).toEqual([
      "dynamodb:BatchWriteItem",
      "dynamodb:PutItem",
    ]);
    expect(actionsOn(policyOf("Admin"), "GetAttState")).toContain("dynamodb:DeleteItem");
    expect(actionsOn(policyOf("Mcp"), "GetAttState")).not.toContain("dynamodb:PutItem");
    expect(actionsOn(policyOf("Scheduled"), "GetAttRequestLogs")).toEqual([
      "dynamodb:BatchWriteItem",
      "dynamodb:Query",
    ]);
    // The WebSocket routes keep connection items (and delete them on disconnect); the worker does not.
    expect(actionsOn(policyOf("WebSocket"), "GetAttState")).toContain("dynamodb:DeleteItem");
    expect(actionsOn(policyOf("WebSocketWorker"), "GetAttState")).not.toContain("dynamodb:DeleteItem");
  });

  it("WebSocket: the routes may invoke only the worker; both manage only this stage's connections", () => {
    const [workerId] = fn("WebSocketWorker");
    const invokes = ofType("AWS::IAM::Policy")
      .flatMap(([, p]) =>
        p.Properties.PolicyDocument.Statement.map((st: any) => ({ st, roles: p.Properties.Roles })),
      )
      .filter(({ st }) => [st.Action].flat().includes("lambda:InvokeFunction"));
    const workerInvokes = invokes.filter(({ st }) => JSON.stringify(st.Resource).includes(workerId));
    expect(workerInvokes).toHaveLength(1);
    expect(workerInvokes[0]!.st.Resource).toEqual({ "Fn::GetAtt": [workerId, "Arn"] });
    expect(JSON.stringify(workerInvokes[0]!.roles)).toMatch(/"WebSocketRole/);
    // Its name reaches the routes through the environment (a name, not a secret).
    expect(fn("WebSocket")[1].Properties.Environment.Variables.POOLER_WEBSOCKET_WORKER_FUNCTION).toEqual({
      Ref: workerId,
    });
    // Asynchronous invocations are never retried (a retry would post a turn's events twice).
    gateway.hasResourceProperties("AWS::Lambda::EventInvokeConfig", {
      FunctionName: { Ref: workerId },
      MaximumRetryAttempts: 0,
      MaximumEventAgeInSeconds: 300,
    });
    for (const prefix of ["WebSocket", "WebSocketWorker"]) {
      const manage = policyOf(prefix).filter((st) =>
        [st.Action].flat().includes("execute-api:ManageConnections"),
      );
      expect(manage, prefix).toHaveLength(1);
      expect(JSON.stringify(manage[0].Resource)).toMatch(/\/v1\/\*\/@connections\/\*/);
    }
    const others = ["Runtime", "Admin", "Mcp", "Scheduled"].flatMap(policyOf);
    expect(JSON.stringify(others)).not.toContain("execute-api:ManageConnections");
  });

  it("account secrets: prefix-scoped grants; only the admin and console create and delete; MCP and WebSocket none", () => {
    const secretActions = (prefix: string) =>
      policyOf(prefix)
        .filter((s) => JSON.stringify(s.Resource).includes(":secret:codex-pooler/*"))
        .flatMap((s) => [s.Action].flat())
        .sort();
    expect(secretActions("Runtime")).toEqual([
      "secretsmanager:GetSecretValue",
      "secretsmanager:PutSecretValue",
    ]);
    expect(secretActions("Admin")).toEqual([
      "secretsmanager:CreateSecret",
      "secretsmanager:DeleteSecret",
      "secretsmanager:GetSecretValue",
      "secretsmanager:PutSecretValue",
      "secretsmanager:TagResource",
    ]);
    expect(secretActions("Console")).toEqual(secretActions("Admin"));
    expect(secretActions("Mcp")).toEqual([]);
    expect(secretActions("WebSocket")).toEqual([]);
    expect(secretActions("WebSocketWorker")).toEqual([
      "secretsmanager:GetSecretValue",
      "secretsmanager:PutSecretValue",
    ]);
    // The origin secret: read by the functions behind CloudFront, which check it.
    const readsOrigin = (prefix: string) =>
      policyOf(prefix).some((s) => JSON.stringify(s.Resource).includes("OriginSecret"));
    expect(
      ["Runtime", "Admin", "Console", "Mcp", "Scheduled", "WebSocket", "WebSocketWorker"].filter(readsOrigin),
    ).toEqual(["Runtime", "Console", "Mcp"]);
  });

  it("the KMS key is usable only through Secrets Manager and DynamoDB", () => {
    const kms = ofType("AWS::IAM::Policy")
      .flatMap(([, p]) => p.Properties.PolicyDocument.Statement)
      .filter((s) => [s.Action].flat().some((a: string) => a.startsWith("kms:")));
    expect(kms.length).toBeGreaterThanOrEqual(4);
    for (const s of kms) expect(JSON.stringify(s.Condition)).toContain("kms:ViaService");
  });
});

describe("function URLs and CloudFront", () => {
  it("runtime, console and MCP: auth NONE, RESPONSE_STREAM; admin: AWS_IAM", () => {
    const urls = Object.fromEntries(
      ofType("AWS::Lambda::Url").map(([, u]) => [
        u.Properties.TargetFunctionArn["Fn::GetAtt"][0].replace(/Function.*/, ""),
        u.Properties,
      ]),
    );
    expect(urls).toEqual({
      Runtime: expect.objectContaining({ AuthType: "NONE", InvokeMode: "RESPONSE_STREAM" }),
      Admin: expect.objectContaining({ AuthType: "AWS_IAM", InvokeMode: "RESPONSE_STREAM" }),
      Console: expect.objectContaining({ AuthType: "NONE", InvokeMode: "RESPONSE_STREAM" }),
      Mcp: expect.objectContaining({ AuthType: "NONE", InvokeMode: "RESPONSE_STREAM" }),
    });
    // Public invoke permissions exist for the NONE URLs only; the admin function has none.
    const publicTargets = ofType("AWS::Lambda::Permission")
      .filter(([, p]) => p.Properties.Principal === "*")
      .map(([, p]) => p.Properties.FunctionName["Fn::GetAtt"][0].replace(/Function.*/, ""));
    expect([...new Set(publicTargets)].sort()).toEqual(["Console", "Mcp", "Runtime"]);
  });

  it("CloudFront: caching off, all methods, https only, no compression, 60 s origin timeouts, the origin secret header", () => {
    const [, dist] = ofType("AWS::CloudFront::Distribution")[0]!;
    const config = dist.Properties.DistributionConfig;
    for (const behavior of [config.DefaultCacheBehavior, ...config.CacheBehaviors]) {
      expect(behavior).toMatchObject({
        CachePolicyId: CACHING_DISABLED,
        OriginRequestPolicyId: ALL_VIEWER_EXCEPT_HOST,
        AllowedMethods: ["GET", "HEAD", "OPTIONS", "PUT", "PATCH", "POST", "DELETE"],
        ViewerProtocolPolicy: "https-only",
        Compress: false,
      });
    }
    expect(config.CacheBehaviors.map((b: { PathPattern: string }) => b.PathPattern)).toEqual([
      "/mcp",
      "/mcp/*",
      "/admin",
      "/admin/*",
      "/observatory",
      "/observatory/*",
    ]);
    // Each path to its own function URL: runtime (default), MCP, console.
    const originOf = (pattern?: string) =>
      (pattern
        ? config.CacheBehaviors.find((b: any) => b.PathPattern === pattern)
        : config.DefaultCacheBehavior
      ).TargetOriginId;
    const domainOf = (id: string) =>
      JSON.stringify(config.Origins.find((o: any) => o.Id === id).DomainName).match(
        /"([A-Z][a-z]+)Function/,
      )?.[1];
    expect(
      [undefined, "/mcp", "/mcp/*", "/admin", "/admin/*", "/observatory", "/observatory/*"].map((p) =>
        domainOf(originOf(p)),
      ),
    ).toEqual(["Runtime", "Mcp", "Mcp", "Console", "Console", "Console", "Console"]);
    expect(config.Origins).toHaveLength(3);
    for (const origin of config.Origins) {
      expect(origin.CustomOriginConfig).toMatchObject({
        OriginProtocolPolicy: "https-only",
        OriginReadTimeout: 60,
        OriginKeepaliveTimeout: 60,
      });
      expect(origin.OriginCustomHeaders).toHaveLength(1);
      expect(origin.OriginCustomHeaders[0].HeaderName).toBe("x-origin-verify");
      // A dynamic reference CloudFormation resolves at deploy: never the value itself.
      const value = JSON.stringify(origin.OriginCustomHeaders[0].HeaderValue);
      expect(value).toContain("{{resolve:secretsmanager:");
      expect(value).toContain("OriginSecret");
    }
    expect(JSON.stringify(config.Comment)).toContain("OriginHeaderVersion");
    expect(config.HttpVersion).toBe("http2and3");
  });

  it("takes each public function's reserved concurrency as a deploy parameter (0: unreserved)", () => {
    for (const [parameter, prefix] of [
      ["RuntimeReservedConcurrency", "Runtime"],
      ["WebSocketWorkerReservedConcurrency", "WebSocketWorker"],
      ["McpReservedConcurrency", "Mcp"],
      ["ConsoleReservedConcurrency", "Console"],
    ] as const) {
      expect(gatewayJson.Parameters[parameter]).toMatchObject({
        Type: "Number",
        Default: 0,
        MinValue: 0,
        MaxValue: 10000,
      });
      // Zero would throttle every request, so it means "no reservation" (the property is left out).
      expect(gatewayJson.Conditions[`${parameter}Set`]).toEqual({
        "Fn::Not": [{ "Fn::Equals": [{ Ref: parameter }, 0] }],
      });
      const [, lambdaFn] = fn(prefix);
      expect(lambdaFn.Properties.ReservedConcurrentExecutions).toEqual({
        "Fn::If": [`${parameter}Set`, { Ref: parameter }, { Ref: "AWS::NoValue" }],
      });
    }
    for (const other of ["Admin", "Scheduled"]) {
      expect(fn(other)[1].Properties.ReservedConcurrentExecutions).toBeUndefined();
    }
  });

  it("takes the optional per-Pool concurrency cap as a deploy parameter, given to the runtime and the WebSocket worker", () => {
    expect(gatewayJson.Parameters.PoolConcurrencyCap).toMatchObject({
      Type: "Number",
      Default: 0,
      MinValue: 0,
      MaxValue: 100000,
    });
    expect(fn("Runtime")[1].Properties.Environment.Variables.POOLER_POOL_CONCURRENCY_CAP).toEqual({
      Ref: "PoolConcurrencyCap",
    });
    expect(fn("WebSocketWorker")[1].Properties.Environment.Variables.POOLER_POOL_CONCURRENCY_CAP).toEqual({
      Ref: "PoolConcurrencyCap",
    });
    expect(fn("Mcp")[1].Properties.Environment.Variables.POOLER_POOL_CONCURRENCY_CAP).toBeUndefined();
  });

  it("takes the alarm e-mail and the origin header version as deploy parameters", () => {
    expect(gatewayJson.Parameters.AlarmEmail).toMatchObject({ Type: "String", Default: "" });
    expect(gatewayJson.Parameters.OriginHeaderVersion).toMatchObject({ Type: "String", Default: "0" });
    // IAM callers named here are Pool admins on the admin function; by default every IAM caller is an owner.
    expect(gatewayJson.Parameters.IamPoolAdmins).toMatchObject({ Type: "String", Default: "" });
    expect(fn("Admin")[1].Properties.Environment.Variables.POOLER_IAM_POOL_ADMINS).toEqual({
      Ref: "IamPoolAdmins",
    });
    expect(fn("Runtime")[1].Properties.Environment.Variables.POOLER_IAM_POOL_ADMINS).toBeUndefined();
    // Memory sizes are parameters; their defaults come from the measurement in docs/benchmarks.md.
    expect(gatewayJson.Parameters.RuntimeMemoryMB).toMatchObject({
      Type: "Number",
      Default: DEFAULT_CONFIG.runtimeMemoryMb,
      MinValue: 128,
      MaxValue: 10240,
    });
    expect(gatewayJson.Parameters.FunctionMemoryMB).toMatchObject({
      Type: "Number",
      Default: DEFAULT_CONFIG.functionMemoryMb,
    });
    expect(Object.keys(gatewayJson.Outputs).sort()).toEqual([
      "AdminInvokePolicyArn",
      "AdminUrl",
      "AlarmTopicArn",
      "ConsoleUrl",
      "DashboardUrl",
      "GatewayUrl",
      "OriginSecretArn",
      "WebSocketUrl",
    ]);
  });
});

describe("WebSocket API and schedules", () => {
  it("WebSocket API with the three routes on the WebSocket function and a throttled stage", () => {
    gateway.hasResourceProperties("AWS::ApiGatewayV2::Api", { ProtocolType: "WEBSOCKET" });
    expect(
      ofType("AWS::ApiGatewayV2::Route")
        .map(([, r]) => r.Properties.RouteKey)
        .sort(),
    ).toEqual(["$connect", "$default", "$disconnect"]);
    for (const [, integration] of ofType("AWS::ApiGatewayV2::Integration")) {
      expect(JSON.stringify(integration.Properties.IntegrationUri)).toContain("WebSocketFunction");
    }
    gateway.hasResourceProperties("AWS::ApiGatewayV2::Stage", {
      StageName: "v1",
      AutoDeploy: true,
      DefaultRouteSettings: { ThrottlingRateLimit: 20, ThrottlingBurstLimit: 40 },
    });
  });

  it("EventBridge: the usage poll every minute and the retention sweep daily, both on the scheduled function", () => {
    const rules = ofType("AWS::Events::Rule").map(([, r]) => r.Properties);
    expect(rules.map((r) => r.ScheduleExpression).sort()).toEqual(["cron(17 3 * * ? *)", "rate(1 minute)"]);
    for (const rule of rules) {
      const [target] = rule.Targets;
      expect(JSON.stringify(target.Arn)).toContain("ScheduledFunction");
      // EventBridge fills <id> and <time> in (quoted, the template being JSON).
      const input = JSON.parse((target.InputTransformer.InputTemplate as string).replace(/<[^>]+>/g, '"x"'));
      expect(input).toMatchObject({ "detail-type": "Scheduled Event", source: "aws.events" });
      expect(SCHEDULED_TASKS).toContain(input.detail.task);
    }
  });
});

describe("monitoring", () => {
  const alarm = (predicate: (p: any) => boolean) => {
    const found = ofType("AWS::CloudWatch::Alarm").filter(([, a]) => predicate(a.Properties));
    expect(found).toHaveLength(1);
    return found[0]![1].Properties;
  };

  it("eight alarms, each notifying the topic", () => {
    const alarms = ofType("AWS::CloudWatch::Alarm");
    expect(alarms).toHaveLength(8);
    for (const [, a] of alarms) {
      expect(a.Properties.AlarmActions).toEqual([{ Ref: expect.stringMatching(/^MonitoringAlarmTopic/) }]);
      expect(a.Properties.TreatMissingData).toBe("notBreaching");
    }
  });

  it("gateway alarms watch exactly the metrics the EMF adapter emits, at the configured thresholds", () => {
    const emitted = (kind: "count" | "timing", name: string, dims: Record<string, string>) =>
      datapoints(kind, name, 1, dims).map((p) => ({ name: p.name, dims: p.dimensions }));
    const watched = (p: any) => ({
      name: p.MetricName,
      dims: Object.fromEntries((p.Dimensions ?? []).map((d: any) => [d.Name, d.Value])),
    });
    const noEligible = alarm((p) => p.MetricName === "RequestErrors");
    expect(noEligible).toMatchObject({ Namespace: "CodexPooler/codex-pooler", Threshold: 1 });
    expect(
      emitted("count", "requests", { route: "/v1/responses", status: "503", code: "no_eligible_backend" }),
    ).toContainEqual(watched(noEligible));
    const reauth = alarm((p) => p.MetricName === "Accounts");
    expect(emitted("count", "accounts", { status: "reauth_required" })).toContainEqual(watched(reauth));
    const quota = alarm((p) => p.MetricName === "MaxPoolQuotaUsedPercent");
    expect(quota.Threshold).toBe(90);
    expect(emitted("count", "max_pool_quota_used_percent", {})).toContainEqual(watched(quota));

    const rate = alarm((p) => JSON.stringify(p.Metrics ?? "").includes("100 * FILL(s5, 0)"));
    expect(rate).toMatchObject({ Threshold: 5, EvaluationPeriods: 5, DatapointsToAlarm: 3 });
    const rateInputs = rate.Metrics.filter((m: any) => m.MetricStat).map((m: any) =>
      watched(m.MetricStat.Metric),
    );
    for (const status of ["200", "302", "404", "503"]) {
      expect(rateInputs).toContainEqual(emitted("count", "requests", { route: "/v1/responses", status })[1]);
    }
    const refresh = alarm((p) => JSON.stringify(p.Metrics ?? "").includes("TokenRefresh"));
    expect(refresh.Threshold).toBe(3);
    for (const m of refresh.Metrics.filter((x: any) => x.MetricStat)) {
      expect(
        emitted("count", "token_refresh", { outcome: watched(m.MetricStat.Metric).dims.Outcome }),
      ).toContainEqual(watched(m.MetricStat.Metric));
    }
  });

  it("Lambda errors and throttles cover all seven functions; DynamoDB throttles cover both tables and gsi1", () => {
    for (const metric of ["Errors", "Throttles"]) {
      const a = alarm((p) => JSON.stringify(p.Metrics ?? "").includes(`"MetricName":"${metric}"`));
      expect(lambdaMetricNames(a.Metrics)).toEqual([
        "Admin",
        "Console",
        "Mcp",
        "Runtime",
        "Scheduled",
        "WebSocket",
        "WebSocketWorker",
      ]);
    }
    const dynamo = alarm((p) => JSON.stringify(p.Metrics ?? "").includes("ThrottleEvents"));
    const text = JSON.stringify(dynamo.Metrics);
    expect(text).toContain("ExportsOutputRefState");
    expect(text).toContain("ExportsOutputRefRequestLogs");
    expect(text).toContain('"GlobalSecondaryIndexName","Value":"gsi1"');
  });

  it("SNS topic requires TLS; the e-mail subscription exists only when AlarmEmail is set", () => {
    gateway.hasResourceProperties("AWS::SNS::TopicPolicy", {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: "Deny", Condition: { Bool: { "aws:SecureTransport": "false" } } }),
        ]),
      },
    });
    const [[, subscription]] = ofType("AWS::SNS::Subscription") as [[string, Resources[string]]];
    expect(subscription.Properties).toMatchObject({ Protocol: "email", Endpoint: { Ref: "AlarmEmail" } });
    expect(subscription.Condition).toBeDefined();
    expect(JSON.stringify(gatewayJson.Conditions[subscription.Condition!])).toContain("AlarmEmail");
  });

  it("the dashboard shows requests, latency, upstream 429s, accounts, quota, refreshes, WebSocket, Lambda and DynamoDB", () => {
    const [[, dashboard]] = ofType("AWS::CloudWatch::Dashboard") as [[string, Resources[string]]];
    const body = JSON.stringify(dashboard.Properties.DashboardBody);
    for (const title of [
      "Requests by route and status",
      "Time to first byte p50",
      "Time to first byte p99",
      "Upstream 429s",
      "Accounts by status",
      "Quota remaining per Pool",
      "Token refreshes by outcome",
      "WebSocket connections",
      "Lambda errors",
      "Lambda throttles",
      "Lambda duration p99",
      "Lambda concurrency",
      "DynamoDB throttles",
    ]) {
      expect(body).toContain(title);
    }
  });
});

describe("other configurations", () => {
  it("devMode with a custom domain: tables deleted with the stack, TLS 1.2 viewer policy, alias records, nag clean", () => {
    const app = new App({
      outdir: outdir("cdk-out-dev"),
      builtinCloudFormationValidation: false,
      context: {
        ...cliContext,
        name: "pooler-dev",
        devMode: "true",
        domainName: "codex.example.com",
        certificateArn: "arn:aws:acm:us-east-1:123456789012:certificate/11111111-2222-3333-4444-555555555555",
        hostedZoneId: "Z0123456789ABCDEFGHIJ",
        hostedZoneName: "example.com",
      },
    });
    const stacks = buildApp(app);
    // Synthesising with the nag plugin throws on any unacknowledged finding (CFR4 is not acknowledged here).
    app.synth();
    const dev = Template.fromStack(stacks.data);
    dev.allResources("AWS::DynamoDB::Table", { DeletionPolicy: "Delete" });
    dev.hasResourceProperties("AWS::DynamoDB::Table", { DeletionProtectionEnabled: false });
    const gw = Template.fromStack(stacks.gateway);
    gw.hasResourceProperties("AWS::CloudFront::Distribution", {
      DistributionConfig: Match.objectLike({
        Aliases: ["codex.example.com"],
        ViewerCertificate: Match.objectLike({
          MinimumProtocolVersion: "TLSv1.2_2021",
          SslSupportMethod: "sni-only",
        }),
      }),
    });
    gw.resourceCountIs("AWS::Route53::RecordSet", 2);
    gw.hasResourceProperties("AWS::Lambda::Function", {
      Environment: { Variables: Match.objectLike({ POOLER_PUBLIC_BASE_URL: "https://codex.example.com" }) },
    });
    gw.hasResourceProperties("AWS::Lambda::Function", {
      Environment: { Variables: Match.objectLike({ POOLER_SECRET_PREFIX: "pooler-dev/" }) },
    });
  });

  it("rejects a custom domain without its certificate", () => {
    const app = new App({ context: { domainName: "codex.example.com" } });
    expect(() => buildApp(app, { nag: false })).toThrow(/certificateArn/);
  });

  it("console=false leaves the console function, its URL, its CloudFront paths and its output out, nag clean", () => {
    const app = new App({
      outdir: outdir("cdk-out-no-console"),
      builtinCloudFormationValidation: false,
      context: { ...cliContext, console: "false" },
    });
    const stacks = buildApp(app);
    app.synth();
    const gw = Template.fromStack(stacks.gateway);
    const json = gw.toJSON();
    const ids = Object.keys(json.Resources);
    expect(ids.filter((id) => id.startsWith("Console"))).toEqual([]);
    expect(ids.some((id) => id.startsWith("AdminFunction"))).toBe(true);
    const [dist] = Object.values(json.Resources as Resources).filter(
      (r) => r.Type === "AWS::CloudFront::Distribution",
    );
    expect(dist!.Properties.DistributionConfig.CacheBehaviors.map((b: any) => b.PathPattern)).toEqual([
      "/mcp",
      "/mcp/*",
    ]);
    expect(Object.keys(json.Outputs)).not.toContain("ConsoleUrl");
    expect(stacks.gateway.functions.console).toBeUndefined();
  });

  it("rejects a console flag that is neither true nor false", () => {
    const app = new App({ context: { console: "maybe" } });
    expect(() => buildApp(app, { nag: false })).toThrow(/console must be true or false/);
  });
});

describe("viewer-request function", () => {
  // The function's own source, run as CloudFront Functions runs it (a `handler(event)` in plain JS).
  const run = (event: unknown) => new Function(`${VIEWER_REQUEST_CODE}; return handler;`)()(event);

  it("runs on the viewer request of every behaviour, as cloudfront-js-2.0", () => {
    const [fnId, cfFunction] = ofType("AWS::CloudFront::Function")[0]!;
    expect(ofType("AWS::CloudFront::Function")).toHaveLength(1);
    expect(cfFunction.Properties.FunctionConfig.Runtime).toBe("cloudfront-js-2.0");
    expect(cfFunction.Properties.FunctionCode).toBe(VIEWER_REQUEST_CODE);
    const [, dist] = ofType("AWS::CloudFront::Distribution")[0]!;
    const config = dist.Properties.DistributionConfig;
    for (const behavior of [config.DefaultCacheBehavior, ...config.CacheBehaviors]) {
      expect(behavior.FunctionAssociations).toEqual([
        { EventType: "viewer-request", FunctionARN: { "Fn::GetAtt": [fnId, "FunctionARN"] } },
      ]);
    }
  });

  it("lets an unauthenticated GET /bootstrap/status through to the runtime function, uncached", () => {
    const [, dist] = ofType("AWS::CloudFront::Distribution")[0]!;
    const config = dist.Properties.DistributionConfig;
    // CloudFront takes the first behaviour whose pattern matches (`*` any run, `?` one character).
    const glob = (pattern: string) =>
      new RegExp(
        `^${pattern
          .replace(/[.+^${}()|[\]\\]/g, "\\$&")
          .replace(/\*/g, ".*")
          .replace(/\?/g, ".")}$`,
      );
    const behaviorFor = (path: string) =>
      config.CacheBehaviors.find((b: { PathPattern: string }) => glob(b.PathPattern).test(path)) ??
      config.DefaultCacheBehavior;
    expect(behaviorFor("/admin/v1/pools")).not.toBe(config.DefaultCacheBehavior); // the matcher works
    const behavior = behaviorFor("/bootstrap/status");
    expect(behavior).toBe(config.DefaultCacheBehavior);
    expect(behavior.CachePolicyId).toBe(CACHING_DISABLED);
    expect(behavior.AllowedMethods).toContain("GET");
    const origin = config.Origins.find((o: any) => o.Id === behavior.TargetOriginId);
    expect(JSON.stringify(origin.DomainName)).toMatch(/"RuntimeFunction/);
    // The viewer-request function forwards it (a request, not an answer of its own), path unchanged.
    const out = run({
      viewer: { ip: "203.0.113.9" },
      request: { method: "GET", uri: "/bootstrap/status", headers: { host: { value: "gw.example.com" } } },
    });
    expect(out).toMatchObject({ method: "GET", uri: "/bootstrap/status" });
    expect(out).not.toHaveProperty("statusCode");
  });

  it("passes the viewer's host and address on, overwriting anything the viewer sent under those names", () => {
    const out = run({
      viewer: { ip: "203.0.113.9" },
      request: {
        method: "GET",
        uri: "/admin",
        headers: {
          host: { value: "d111111abcdef8.cloudfront.net" },
          "x-pooler-forwarded-host": { value: "evil.example" },
          "x-pooler-viewer-address": { value: "10.0.0.1" },
          authorization: { value: "Bearer adm-cxp-x" },
        },
      },
    });
    expect(out.headers).toEqual({
      host: { value: "d111111abcdef8.cloudfront.net" },
      "x-pooler-forwarded-host": { value: "d111111abcdef8.cloudfront.net" },
      "x-pooler-viewer-address": { value: "203.0.113.9" },
      authorization: { value: "Bearer adm-cxp-x" },
    });
    const noHost = run({
      viewer: { ip: "2001:db8::1" },
      request: { headers: { "x-pooler-forwarded-host": { value: "evil.example" } } },
    });
    expect(noHost.headers).toEqual({ "x-pooler-viewer-address": { value: "2001:db8::1" } });
  });
});
