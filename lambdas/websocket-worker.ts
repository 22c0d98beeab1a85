// WebSocket turn worker, invoked asynchronously by the routes function: one upstream HTTP SSE turn,
// each event posted back to the client's connection, for up to the function's 15 minutes.
import { awsConfigFromEnv, createAwsHost } from "../src/server/aws-host.ts";
import { webSocketWorker } from "../src/server/aws-websocket.ts";

export const handler = webSocketWorker(createAwsHost(awsConfigFromEnv()));
