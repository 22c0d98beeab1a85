// API Gateway WebSocket routes until the WebSocket transport (issue 5) lands. `$connect` answers 426,
// which makes Codex fall back to HTTP POST at once (403/404/500 cost it ~7 s of retries first).
// Even when it lands, API Gateway caps a frame at 32 KB and Codex's first message of a session
// (its tool definitions) is 30-40 KB in one frame, so the HTTP path through CloudFront stays the
// main road; see docs/deploy-aws.md.
import {
  type ApiGatewayManagementApiClient,
  DeleteConnectionCommand,
  PostToConnectionCommand,
} from "@aws-sdk/client-apigatewaymanagementapi";
import type { Logger } from "../../core/context.ts";
import { GatewayError } from "../../core/errors.ts";

export interface WebSocketEvent {
  requestContext: {
    routeKey: string;
    eventType?: "CONNECT" | "MESSAGE" | "DISCONNECT";
    connectionId: string;
    domainName: string;
    stage: string;
    requestId?: string;
  };
  headers?: Record<string, string | undefined>;
  body?: string;
  isBase64Encoded?: boolean;
}

export interface WebSocketResult {
  statusCode: number;
  headers?: Record<string, string>;
  body?: string;
}

const unavailable = () =>
  new GatewayError(426, "websocket_unavailable", "WebSocket transport is not available here; use HTTP POST");

export function websocketFallbackHandler(options: {
  management(endpoint: string): ApiGatewayManagementApiClient;
  logger: Logger;
}) {
  return async (event: WebSocketEvent): Promise<WebSocketResult> => {
    const { routeKey, connectionId, domainName, stage } = event.requestContext;
    if (routeKey === "$connect") {
      // API Gateway passes a $connect integration's status code through to the client's upgrade.
      return {
        statusCode: 426,
        headers: { "content-type": "application/json" },
        body: JSON.stringify(unavailable().toJSON()),
      };
    }
    if (routeKey === "$disconnect") return { statusCode: 200 };
    // A message on a connection that should not exist: answer as Codex expects a WebSocket error
    // (the HTTP error wrapped with its status), then close the connection.
    const client = options.management(`https://${domainName}/${stage}`);
    const error = unavailable();
    try {
      await client.send(
        new PostToConnectionCommand({
          ConnectionId: connectionId,
          Data: Buffer.from(JSON.stringify({ type: "error", status_code: error.status, ...error.toJSON() })),
        }),
      );
      await client.send(new DeleteConnectionCommand({ ConnectionId: connectionId }));
    } catch (err) {
      // GoneException: the client already left.
      options.logger.warn("websocket fallback could not reach the connection", {
        route: routeKey,
        error: err instanceof Error ? err.name : "unknown",
      });
    }
    return { statusCode: 200 };
  };
}
