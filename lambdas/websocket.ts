// WebSocket API entry ($connect, $default, $disconnect). For now every upgrade is answered with 426
// so Codex switches to HTTP POST at once; see src/adapters/lambda/websocket-fallback.ts.
import { ApiGatewayManagementApiClient } from "@aws-sdk/client-apigatewaymanagementapi";
import { websocketFallbackHandler } from "../src/adapters/lambda/websocket-fallback.ts";
import { powertoolsLogger } from "../src/adapters/observability/powertools-logger.ts";

const clients = new Map<string, ApiGatewayManagementApiClient>();

export const handler = websocketFallbackHandler({
  logger: powertoolsLogger(),
  management(endpoint) {
    let client = clients.get(endpoint);
    if (!client) {
      client = new ApiGatewayManagementApiClient({ endpoint, maxAttempts: 2 });
      clients.set(endpoint, client);
    }
    return client;
  },
});
