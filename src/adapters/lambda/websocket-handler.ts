// API Gateway WebSocket API events ($connect, $default, $disconnect) and the worker's asynchronous
// invocations, mapped onto the transport-free core (src/core/relay/websocket/routes.ts and
// relay/websocket/turn.ts). Background work (request logs) is awaited before each invocation returns.
import type { Logger } from "../../core/context.ts";
import type { Gateway } from "../../core/gateway.ts";
import { requestId } from "../../core/ids.ts";
import type {
  ConnectionSender,
  TurnDispatcher,
  TurnJob,
  WebSocketApiLimits,
  WebSocketConnectionRepository,
} from "../../core/relay/websocket/connections.ts";
import { acceptConnection, dropConnection, receiveMessage } from "../../core/relay/websocket/routes.ts";
import { runTurn } from "../../core/relay/websocket/turn.ts";
import type { LambdaContext } from "./lambda-runtime.ts";

export interface WebSocketEvent {
  requestContext: {
    routeKey: string;
    eventType?: "CONNECT" | "MESSAGE" | "DISCONNECT";
    connectionId: string;
    domainName: string;
    stage: string;
    apiId: string;
    requestId?: string;
    identity?: { sourceIp?: string; userAgent?: string };
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

export interface WebSocketHandlerOptions {
  gw: Gateway;
  connections: WebSocketConnectionRepository;
  limits: WebSocketApiLimits;
  /** Where replies to this event's connection go (the stage's management endpoint). */
  replyTo(context: WebSocketEvent["requestContext"]): string;
  sender(replyTo: string): ConnectionSender;
  logger: Logger;
  settle(): Promise<void>;
}

export function websocketRoutesHandler(options: WebSocketHandlerOptions & { dispatcher: TurnDispatcher }) {
  const { gw, connections, limits } = options;
  return async (event: WebSocketEvent): Promise<WebSocketResult> => {
    const context = event.requestContext;
    try {
      if (context.routeKey === "$connect") {
        // API Gateway answers the client's upgrade with this status (101 only for 2xx).
        const response = await acceptConnection(gw, connections, limits, {
          connectionId: context.connectionId,
          headers: toHeaders(event.headers),
          sourceIp: context.identity?.sourceIp,
        });
        const body = await response.text();
        return body
          ? { statusCode: response.status, headers: { "content-type": "application/json" }, body }
          : { statusCode: response.status };
      }
      if (context.routeKey === "$disconnect") {
        await dropConnection(connections, context.connectionId);
        return { statusCode: 200 };
      }
      const replyTo = options.replyTo(context);
      const binary = event.isBase64Encoded === true;
      await receiveMessage(
        { gw, connections, limits, sender: options.sender(replyTo), dispatcher: options.dispatcher },
        {
          connectionId: context.connectionId,
          text: binary ? "" : (event.body ?? ""),
          binary,
          replyTo,
          requestId: requestId(),
        },
      );
      return { statusCode: 200 };
    } catch (error) {
      options.logger.error("websocket route failed", {
        route: context.routeKey,
        error: error instanceof Error ? error.name : "unknown",
      });
      return { statusCode: 500 };
    } finally {
      await options.settle();
    }
  };
}

export function websocketWorkerHandler(options: WebSocketHandlerOptions & { deadlineMarginMs: number }) {
  const { gw, connections, limits } = options;
  return async (event: TurnJob, context: LambdaContext): Promise<void> => {
    if (event?.kind !== "websocket-turn") {
      options.logger.error("websocket worker got an unknown event", {});
      return;
    }
    // Shortly before Lambda's own limit: the turn ends with a terminal event instead of silence.
    const deadline = new AbortController();
    const timer = setTimeout(
      () => deadline.abort(),
      Math.max(0, context.getRemainingTimeInMillis() - options.deadlineMarginMs),
    );
    try {
      await runTurn(
        { gw, connections, limits, sender: options.sender(event.replyTo) },
        event,
        deadline.signal,
      );
    } catch (error) {
      // runTurn contains the turn's failures; this is the last line for what it could not (a sender
      // that could not be built). A rejected invocation would only be logged by Lambda: the turn's
      // claim is given back so the connection takes its next turn, and this instance keeps serving.
      options.logger.error("websocket worker failed", {
        error: error instanceof Error ? error.name : "unknown",
      });
      await connections.releaseTurn(event.connectionId, event.turnId).catch(() => undefined);
    } finally {
      clearTimeout(timer);
      await options.settle();
    }
  };
}

function toHeaders(raw: WebSocketEvent["headers"]): Headers {
  const headers = new Headers();
  for (const [name, value] of Object.entries(raw ?? {})) {
    if (value === undefined) continue;
    try {
      headers.set(name, value);
    } catch {
      // not a valid header name: nothing the gateway reads
    }
  }
  return headers;
}
