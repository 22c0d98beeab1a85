// Deployment settings: CDK context (`-c key=value` or cdk.json) with defaults. Everything here is
// known at synth time; the alarm e-mail and the origin header version are CloudFormation
// parameters instead (set with `cdk deploy --parameters`).
import type { Node } from "constructs";

export interface GatewayConfig {
  /** Prefix of the stack names, the secret names and the metric namespace. */
  name: string;
  /** Dev deployments delete their tables, key and logs with the stack. */
  devMode: boolean;
  domainName?: string;
  /** ACM certificate in us-east-1 covering `domainName` (CloudFront requires that region). */
  certificateArn?: string;
  /** Optional Route 53 zone to create the alias record in (no lookup: id and name are given). */
  hostedZoneId?: string;
  hostedZoneName?: string;
  logRetentionDays: number;
  requestLogRetentionDays: number;
  /** Default of the RuntimeMemoryMB stack parameter (runtime and WebSocket worker). */
  runtimeMemoryMb: number;
  /** Default of the FunctionMemoryMB stack parameter (every other function). */
  functionMemoryMb: number;
  /** Per-request cap of the runtime function, at most Lambda's 15 minutes. */
  runtimeTimeoutMinutes: number;
  webSocketRateLimit: number;
  webSocketBurstLimit: number;
  alarms: {
    /** Gateway 5xx responses as a percentage of all responses (minutes with ≥ 10 requests). */
    error5xxRatePercent: number;
    /** The busiest Pool's used quota, in percent. */
    poolQuotaUsedPercent: number;
    /** Failed token refreshes in 15 minutes. */
    refreshFailures: number;
  };
  /** The operator web console at <GatewayUrl>/admin (admin-token sign-in); `-c console=false` leaves it out. */
  console: boolean;
  /** Only for staging against a stand-in upstream; leave unset in real use. */
  upstreamBaseUrl?: string;
  authBaseUrl?: string;
}

export const DEFAULT_CONFIG: GatewayConfig = {
  name: "codex-pooler",
  devMode: false,
  console: true,
  logRetentionDays: 30,
  requestLogRetentionDays: 30,
  // The smallest size within the budget in docs/benchmarks.md#sizing-the-runtime-function.
  runtimeMemoryMb: 384,
  functionMemoryMb: 512,
  runtimeTimeoutMinutes: 15,
  webSocketRateLimit: 20,
  webSocketBurstLimit: 40,
  alarms: { error5xxRatePercent: 5, poolQuotaUsedPercent: 90, refreshFailures: 3 },
};

export function configFromContext(node: Node): GatewayConfig {
  const str = (key: string) => {
    const v = node.tryGetContext(key);
    return v === undefined || v === null || v === "" ? undefined : String(v);
  };
  const num = (key: string, fallback: number, min: number, max: number) => {
    const raw = str(key);
    if (raw === undefined) return fallback;
    const n = Number(raw);
    if (!Number.isFinite(n) || n < min || n > max)
      throw new Error(`context ${key} must be a number from ${min} to ${max}`);
    return n;
  };
  const bool = (key: string, fallback: boolean) => {
    const raw = str(key);
    if (raw === undefined) return fallback;
    if (raw !== "true" && raw !== "false") throw new Error(`context ${key} must be true or false`);
    return raw === "true";
  };
  const name = str("name") ?? DEFAULT_CONFIG.name;
  if (!/^[a-z][a-z0-9-]{1,30}$/.test(name)) {
    throw new Error("context name must be 2-31 lower-case letters, digits or dashes, starting with a letter");
  }
  const config: GatewayConfig = {
    name,
    devMode: str("devMode") === "true",
    console: bool("console", DEFAULT_CONFIG.console),
    domainName: str("domainName"),
    certificateArn: str("certificateArn"),
    hostedZoneId: str("hostedZoneId"),
    hostedZoneName: str("hostedZoneName"),
    logRetentionDays: num("logRetentionDays", DEFAULT_CONFIG.logRetentionDays, 1, 3653),
    requestLogRetentionDays: num("requestLogRetentionDays", DEFAULT_CONFIG.requestLogRetentionDays, 1, 3650),
    runtimeMemoryMb: num("runtimeMemoryMb", DEFAULT_CONFIG.runtimeMemoryMb, 128, 10240),
    functionMemoryMb: num("functionMemoryMb", DEFAULT_CONFIG.functionMemoryMb, 128, 10240),
    runtimeTimeoutMinutes: num("runtimeTimeoutMinutes", DEFAULT_CONFIG.runtimeTimeoutMinutes, 1, 15),
    webSocketRateLimit: num("webSocketRateLimit", DEFAULT_CONFIG.webSocketRateLimit, 1, 10000),
    webSocketBurstLimit: num("webSocketBurstLimit", DEFAULT_CONFIG.webSocketBurstLimit, 1, 5000),
    alarms: {
      error5xxRatePercent: num("alarm5xxRatePercent", DEFAULT_CONFIG.alarms.error5xxRatePercent, 0.1, 100),
      poolQuotaUsedPercent: num("alarmPoolQuotaPercent", DEFAULT_CONFIG.alarms.poolQuotaUsedPercent, 1, 100),
      refreshFailures: num("alarmRefreshFailures", DEFAULT_CONFIG.alarms.refreshFailures, 1, 1000),
    },
    upstreamBaseUrl: str("upstreamBaseUrl"),
    authBaseUrl: str("authBaseUrl"),
  };
  if (Boolean(config.domainName) !== Boolean(config.certificateArn)) {
    throw new Error("context domainName and certificateArn go together (an ACM certificate in us-east-1)");
  }
  if (
    Boolean(config.hostedZoneId) !== Boolean(config.hostedZoneName) ||
    (config.hostedZoneId && !config.domainName)
  ) {
    throw new Error("context hostedZoneId and hostedZoneName go together, and need domainName");
  }
  return config;
}
