// API Gateway WebSocket API ($connect, $default, $disconnect) with stage throttling. Until the
// WebSocket transport lands, $connect answers 426 so Codex falls back to HTTP POST at once; see
// src/adapters/lambda/websocket-fallback.ts for why API Gateway's 32 KB frame limit matters.
import * as apigwv2 from "aws-cdk-lib/aws-apigatewayv2";
import { WebSocketLambdaIntegration } from "aws-cdk-lib/aws-apigatewayv2-integrations";
import { Construct } from "constructs";
import type { GatewayFunction } from "./gateway-function.ts";

export const WEBSOCKET_STAGE = "v1";

export class WebSocketGateway extends Construct {
  readonly api: apigwv2.WebSocketApi;
  readonly stage: apigwv2.WebSocketStage;

  constructor(
    scope: Construct,
    id: string,
    props: { handler: GatewayFunction; rateLimit: number; burstLimit: number },
  ) {
    super(scope, id);
    const integration = (route: string) =>
      new WebSocketLambdaIntegration(`${route}Integration`, props.handler.fn);
    this.api = new apigwv2.WebSocketApi(this, "Api", {
      description: "Codex Pooler Responses-over-WebSocket (answers 426 until the WebSocket transport lands)",
      connectRouteOptions: { integration: integration("Connect") },
      disconnectRouteOptions: { integration: integration("Disconnect") },
      defaultRouteOptions: { integration: integration("Default") },
    });
    this.stage = new apigwv2.WebSocketStage(this, "Stage", {
      webSocketApi: this.api,
      stageName: WEBSOCKET_STAGE,
      autoDeploy: true,
      throttle: { rateLimit: props.rateLimit, burstLimit: props.burstLimit },
    });
    // postToConnection / deleteConnection on this stage's connections only.
    this.stage.grantManagementApiAccess(props.handler.role);
  }
}
