// Builds both stacks into an App; shared by bin/cdk-app.ts and the template tests.
import type { App, Environment } from "aws-cdk-lib";
import { configFromContext } from "./config.ts";
import { DataStack } from "./data-stack.ts";
import { GatewayStack } from "./gateway-stack.ts";
import { acknowledge, applyNag, dataAcknowledgements, gatewayAcknowledgements } from "./nag.ts";

export function buildApp(app: App, options: { env?: Environment; nag?: boolean } = {}) {
  const config = configFromContext(app.node);
  // Environment-agnostic: nothing is looked up, so synth needs no credentials and the same template
  // deploys to whichever account and region the CLI targets.
  const env = options.env;
  const data = new DataStack(app, `${config.name}-data`, {
    env,
    devMode: config.devMode,
    description: "Codex Pooler data: DynamoDB tables and KMS key (retained on delete)",
  });
  const gateway = new GatewayStack(app, `${config.name}-gateway`, {
    env,
    config,
    data: { state: data.state, requestLogs: data.requestLogs, key: data.key },
    description:
      "Codex Pooler gateway: runtime, admin, MCP and WebSocket functions, CloudFront, schedules, alarms",
  });
  if (options.nag !== false) {
    applyNag(app);
    acknowledge([...dataAcknowledgements(data), ...gatewayAcknowledgements(gateway)]);
  }
  return { config, data, gateway };
}
