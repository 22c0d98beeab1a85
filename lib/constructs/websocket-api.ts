// API Gateway WebSocket API ($connect, $default, $disconnect) with stage throttling. $connect checks
// the Pool key and answers Codex 426 (its first message is over the 32 KB frame limit, so it uses
// HTTPS); other clients get real turns, run by the worker function. See docs/adr/0001-websocket-on-aws.md.
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
    props: { handler: GatewayFunction; worker: GatewayFunction; rateLimit: number; burstLimit: number },
  ) {
    super(scope, id);
    const integration = (route: string) =>
      new WebSocketLambdaIntegration(`${route}Integration`, props.handler.fn);
    this.api = new apigwv2.WebSocketApi(this, "Api", {
      description: "Codex Pooler Responses-over-WebSocket (SDK clients; Codex is sent to HTTPS with 426)",
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
    // postToConnection / deleteConnection on this stage's connections only: the routes answer
    // warm-ups and errors, the worker posts a turn's events.
    this.stage.grantManagementApiAccess(props.handler.role);
    this.stage.grantManagementApiAccess(props.worker.role);
  }
}
