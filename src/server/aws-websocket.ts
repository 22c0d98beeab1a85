// Composition of the WebSocket API functions on top of the AWS host: the routes function
// ($connect/$default/$disconnect) and the turn worker it invokes asynchronously. Connection items
// live in the state table; replies go through the stage's management endpoint.
import { lambdaAsyncInvoker } from "../adapters/aws/lambda-invoker.ts";
import {
  managementClients,
  managementEndpoint,
  managementSender,
} from "../adapters/aws/websocket-management.ts";
import { documentClient } from "../adapters/dynamodb/dynamo-store.ts";
import { DynamoWebSocketConnectionRepository } from "../adapters/dynamodb/websocket-connection-repository.ts";
import {
  type WebSocketHandlerOptions,
  websocketRoutesHandler,
  websocketWorkerHandler,
} from "../adapters/lambda/websocket-handler.ts";
import { API_GATEWAY_LIMITS } from "../core/relay/websocket/connections.ts";
import type { AwsHost } from "./aws-host.ts";

function shared(host: AwsHost, env: NodeJS.ProcessEnv): WebSocketHandlerOptions & { region: string } {
  const region = env.AWS_REGION || env.AWS_DEFAULT_REGION;
  if (!region) throw new Error("invalid function configuration: AWS_REGION is not set (Lambda sets it)");
  const db = documentClient(host.dynamo);
  const clients = managementClients();
  // Only an emulator sets this; on AWS the endpoint follows from the event's API id and stage.
  const override = env.POOLER_WEBSOCKET_MANAGEMENT_ENDPOINT || undefined;
  return {
    region,
    gw: host.gateway,
    connections: new DynamoWebSocketConnectionRepository(db, host.config.tables.state),
    limits: API_GATEWAY_LIMITS,
    replyTo: (context) => managementEndpoint(context, region, override),
    sender: (replyTo) => managementSender(clients(replyTo)),
    logger: host.ctx.logger,
    settle: () => host.settle(),
  };
}

export function webSocketRoutes(host: AwsHost, env: NodeJS.ProcessEnv = process.env) {
  const options = shared(host, env);
  const functionName = env.POOLER_WEBSOCKET_WORKER_FUNCTION;
  if (!functionName) {
    throw new Error(
      "invalid function configuration: POOLER_WEBSOCKET_WORKER_FUNCTION is not set (the CDK stack sets it)",
    );
  }
  const dispatcher = lambdaAsyncInvoker({
    functionName,
    region: options.region,
    // The SDK's service-specific endpoint variable, so an emulator can stand in for Lambda.
    endpoint: env.AWS_ENDPOINT_URL_LAMBDA || undefined,
  });
  return websocketRoutesHandler({ ...options, dispatcher });
}

export function webSocketWorker(host: AwsHost, env: NodeJS.ProcessEnv = process.env) {
  return websocketWorkerHandler({ ...shared(host, env), deadlineMarginMs: host.config.deadlineMarginMs });
}
