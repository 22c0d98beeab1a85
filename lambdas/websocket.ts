// WebSocket API routes ($connect, $default, $disconnect): Pool key check and 426 for Codex at
// connect, warm-ups answered here, every generating turn handed to the worker function
// (lambdas/websocket-worker.ts). See docs/adr/0001-websocket-on-aws.md.
import { awsConfigFromEnv, createAwsHost } from "../src/server/aws-host.ts";
import { webSocketRoutes } from "../src/server/aws-websocket.ts";

export const handler = webSocketRoutes(createAwsHost(awsConfigFromEnv()));
