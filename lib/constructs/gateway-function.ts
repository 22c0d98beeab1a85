// House defaults for every gateway function: Node.js 24 on arm64, our own esbuild bundle of
// lambdas/<entry>.ts (scripts/build-lambdas.ts: minified ESM, source maps, size budget), its own role
// (no managed policies: logs only to its own log group), its own log group with retention, Powertools
// settings. Secrets never go into `environment`; the stack passes names and ARNs only.
import { spawnSync } from "node:child_process";
import { join, resolve } from "node:path";
import { AssetHashType, DockerImage, type Duration, type RemovalPolicy } from "aws-cdk-lib";
import * as iam from "aws-cdk-lib/aws-iam";
import * as lambda from "aws-cdk-lib/aws-lambda";
import * as logs from "aws-cdk-lib/aws-logs";
import { Construct } from "constructs";
import type { LambdaEntryName } from "../../scripts/build-lambdas.ts";

export const REPO_ROOT = resolve(import.meta.dirname, "../..");
const BUILD_SCRIPT = join(REPO_ROOT, "scripts", "build-lambdas.ts");

export const FUNCTION_RUNTIME = lambda.Runtime.NODEJS_24_X;

export interface GatewayFunctionProps {
  entry: LambdaEntryName;
  description: string;
  timeout: Duration;
  memorySize?: number;
  environment?: Record<string, string>;
  logRetention: logs.RetentionDays;
  logRemovalPolicy: RemovalPolicy;
  /** Powertools service name (log field, not a metric dimension). */
  serviceName: string;
}

export class GatewayFunction extends Construct {
  readonly fn: lambda.Function;
  readonly role: iam.Role;
  readonly logGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: GatewayFunctionProps) {
    super(scope, id);
    this.logGroup = new logs.LogGroup(this, "Logs", {
      retention: props.logRetention,
      removalPolicy: props.logRemovalPolicy,
    });
    this.role = new iam.Role(this, "Role", {
      assumedBy: new iam.ServicePrincipal("lambda.amazonaws.com"),
      description: `${props.description} (least privilege; no managed policies)`,
    });
    this.logGroup.grantWrite(this.role);
    this.fn = new lambda.Function(this, "Function", {
      description: props.description,
      runtime: FUNCTION_RUNTIME,
      architecture: lambda.Architecture.ARM_64,
      handler: "index.handler",
      code: bundledCode(props.entry),
      timeout: props.timeout,
      memorySize: props.memorySize ?? 256,
      role: this.role,
      logGroup: this.logGroup,
      environment: {
        NODE_OPTIONS: "--enable-source-maps",
        POWERTOOLS_SERVICE_NAME: props.serviceName,
        POWERTOOLS_LOG_LEVEL: "INFO",
        ...props.environment,
      },
    });
    // The function must not start writing before it may write its logs.
    this.fn.node.addDependency(this.role);
  }
}

function bundledCode(entry: LambdaEntryName): lambda.Code {
  return lambda.Code.fromAsset(REPO_ROOT, {
    // Hash the bundle, not the source tree (which holds node_modules).
    assetHashType: AssetHashType.OUTPUT,
    bundling: {
      // Used only when local bundling is impossible (no Node.js on the synth host).
      image: DockerImage.fromRegistry("public.ecr.aws/docker/library/node:22"),
      command: [
        "bash",
        "-c",
        `npm ci --ignore-scripts && node --import tsx scripts/build-lambdas.ts --only ${entry} --out /asset-output`,
      ],
      local: {
        tryBundle(outputDir: string) {
          const result = spawnSync(
            process.execPath,
            ["--import", "tsx", BUILD_SCRIPT, "--only", entry, "--out", outputDir],
            { cwd: REPO_ROOT, stdio: ["ignore", "ignore", "inherit"] },
          );
          if (result.status !== 0) {
            throw new Error(`bundling lambdas/${entry}.ts failed (see above); run npm run build for details`);
          }
          return true;
        },
      },
    },
  });
}
