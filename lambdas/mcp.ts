// MCP function: the read-only MCP endpoint behind CloudFront (src/server/aws-mcp.ts composes it).
import { streamHandler } from "../src/adapters/lambda/stream-handler.ts";
import { awsMcpStreamOptions } from "../src/server/aws-mcp.ts";

export const handler = streamHandler(awsMcpStreamOptions());
