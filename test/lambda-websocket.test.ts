// The WebSocket entry (lambdas/websocket.ts) with API Gateway WebSocket events. Until the WebSocket
// transport lands, $connect answers 426 (Codex falls back to HTTP POST at once); a message on a
// connection that should not exist gets Codex's wrapped error and the connection is closed.
import {
  ApiGatewayManagementApiClient,
  DeleteConnectionCommand,
  GoneException,
  PostToConnectionCommand,
} from "@aws-sdk/client-apigatewaymanagementapi";
import { mockClient } from "aws-sdk-client-mock";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import "./helpers/quiet-aws-sdk.ts";
import { captureOutput } from "./helpers/lambda.ts";

const management = mockClient(ApiGatewayManagementApiClient);
let stdout: ReturnType<typeof captureOutput>;
let handler: (
  event: unknown,
) => Promise<{ statusCode: number; headers?: Record<string, string>; body?: string }>;

const event = (routeKey: string, eventType: string, body?: string) => ({
  requestContext: {
    routeKey,
    eventType,
    connectionId: "L0SM9cOFvHcCIhw=",
    domainName: "abc123.execute-api.us-east-1.amazonaws.com",
    stage: "v1",
    requestId: "req-1",
    apiId: "abc123",
    connectedAt: Date.now(),
  },
  headers:
    routeKey === "$connect"
      ? {
          Host: "abc123.execute-api.us-east-1.amazonaws.com",
          "Sec-WebSocket-Version": "13",
          authorization: "Bearer sk-cxp-000000000000-x",
        }
      : undefined,
  isBase64Encoded: false,
  body,
});

beforeAll(async () => {
  process.env.AWS_REGION ??= "us-east-1";
  stdout = captureOutput();
  handler = (await import("../lambdas/websocket.ts")).handler as never;
});

beforeEach(() => management.reset());

afterAll(() => {
  stdout?.restore();
  management.restore();
});

describe("WebSocket API routes", () => {
  it("$connect answers 426 so Codex switches to HTTP POST at once", async () => {
    const result = await handler(event("$connect", "CONNECT"));
    expect(result.statusCode).toBe(426);
    expect(JSON.parse(result.body ?? "{}").error).toMatchObject({ code: "websocket_unavailable" });
    expect(management.calls()).toHaveLength(0);
  });

  it("$default answers with the wrapped error Codex understands, then closes the connection", async () => {
    management.on(PostToConnectionCommand).resolves({});
    management.on(DeleteConnectionCommand).resolves({});

    const result = await handler(event("$default", "MESSAGE", JSON.stringify({ type: "response.create" })));

    expect(result.statusCode).toBe(200);
    const [post] = management.commandCalls(PostToConnectionCommand);
    expect(post?.args[0].input.ConnectionId).toBe("L0SM9cOFvHcCIhw=");
    const frame = JSON.parse(Buffer.from(post?.args[0].input.Data as Uint8Array).toString("utf8"));
    expect(frame).toMatchObject({
      type: "error",
      status_code: 426,
      error: { code: "websocket_unavailable" },
    });
    expect(management.commandCalls(DeleteConnectionCommand)).toHaveLength(1);
  });

  it("a client that already left (GoneException) is not an error", async () => {
    management.on(PostToConnectionCommand).rejects(new GoneException({ message: "gone", $metadata: {} }));
    const result = await handler(event("$default", "MESSAGE", "{}"));
    expect(result.statusCode).toBe(200);
    expect(stdout.lines.some((l) => l.includes("GoneException"))).toBe(true);
  });

  it("$disconnect is acknowledged", async () => {
    expect((await handler(event("$disconnect", "DISCONNECT"))).statusCode).toBe(200);
  });
});
