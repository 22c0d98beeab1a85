// Builds both stacks into an App; shared by bin/cdk-app.ts and the template tests.
import type { App, Environment } from "aws-cdk-lib";
import { configFromContext } from "./config.ts";
import { DataStack } from "./data-stack.ts";
import { GatewayStack } from "./gateway-stack.ts";
import { acknowledge, applyNag, dataAcknowledgements, gatewayAcknowledgements } from "./nag.ts";

export function buildApp(app: App, options: { env?: Environment; nag?: boolean } = {}) {
  const config = configFromContext(app.node);
  // Environment-agnostic unless the CLI knows the account and region (a deploy does; synth need not).
  const env = options.env ?? {
    account: process.env.CDK_DEFAULT_ACCOUNT,
    region: process.env.CDK_DEFAULT_REGION,
  };
  const data = new DataStack(app, `${config.name}-data`, {
    env,
    devMode: config.devMode,
    description: "Codex Pooler data: DynamoDB tables and KMS key (retained on delete)",
  });
  const gateway = new GatewayStack(app, `${config.name}-gateway`, {
    env,
    config,
    data: { state: data.state, requestLogs: data.requestLogs, key: data.key },
    description: "Codex Pooler gateway: runtime, admin, MCP and WebSocket functions, CloudFront, schedules, alarms",
  });
  if (options.nag !== false) {
    applyNag(app);
    acknowledge([...dataAcknowledgements(data), ...gatewayAcknowledgements(gateway)]);
  }
  return { config, data, gateway };
}
