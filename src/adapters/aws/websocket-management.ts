// The API Gateway WebSocket management API (`@connections`) as the core's ConnectionSender: one
// PostToConnection per message (API Gateway splits a message of up to 128 KB into frames of at most
// 32 KB on its way to the client), DeleteConnection to close.
import {
  ApiGatewayManagementApiClient,
  DeleteConnectionCommand,
  GoneException,
  PayloadTooLargeException,
  PostToConnectionCommand,
} from "@aws-sdk/client-apigatewaymanagementapi";
import type { ConnectionSender, PostOutcome } from "../../core/relay/websocket/connections.ts";

/**
 * The stage's management endpoint. Built from the API id (not the event's domain name) so it also
 * works when clients connect through a custom domain; `override` points it at an emulator.
 */
export function managementEndpoint(
  context: { apiId: string; stage: string },
  region: string,
  override?: string,
): string {
  if (override) return override.replace(/\/+$/, "");
  return `https://${context.apiId}.execute-api.${region}.amazonaws.com/${context.stage}`;
}

export function managementSender(client: ApiGatewayManagementApiClient): ConnectionSender {
  return {
    async post(connectionId, text): Promise<PostOutcome> {
      try {
        await client.send(
          new PostToConnectionCommand({ ConnectionId: connectionId, Data: Buffer.from(text, "utf8") }),
        );
        return "sent";
      } catch (error) {
        if (error instanceof GoneException) return "gone";
        if (error instanceof PayloadTooLargeException) return "too_large";
        throw error;
      }
    },
    async close(connectionId) {
      try {
        await client.send(new DeleteConnectionCommand({ ConnectionId: connectionId }));
      } catch (error) {
        if (!(error instanceof GoneException)) throw error;
      }
    },
  };
}

/** One management client per endpoint, reused by warm invocations (keep-alive connections). */
export function managementClients(): (endpoint: string) => ApiGatewayManagementApiClient {
  const clients = new Map<string, ApiGatewayManagementApiClient>();
  return (endpoint) => {
    let client = clients.get(endpoint);
    if (!client) {
      client = new ApiGatewayManagementApiClient({ endpoint, maxAttempts: 2 });
      clients.set(endpoint, client);
    }
    return client;
  };
}
