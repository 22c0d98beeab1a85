// Ports of the push-style Responses WebSocket (a managed WebSocket front such as API Gateway, which
// holds the client's socket and calls the gateway once per connect, message and disconnect): where
// a connection's metadata lives between those calls, how a message reaches the client, and how a
// turn is handed to a worker that may run far longer than the front waits for one call.
// Metadata only: a connection item never holds a frame, a prompt or the Pool key.
import { createHash } from "node:crypto";
import type { Credential } from "../../model.ts";

export interface WebSocketConnection {
  connectionId: string;
  keyId: string;
  pool: string;
  /** A fingerprint of the key's stored secret hash at connect: a rotated key no longer matches. */
  keyCheck: string;
  /** The client's allow-listed handshake headers (identity and session ids), relayed upstream per turn. */
  headers: Record<string, string>;
  createdAt: number;
  /** Epoch seconds: the store drops the item after this (DynamoDB TTL), just after the front's limit. */
  expiresAt: number;
  /** The turn in flight and when its claim lapses (epoch ms), if any: one turn at a time. */
  turnId?: string;
  turnUntil?: number;
}

export interface WebSocketConnectionRepository {
  put(connection: WebSocketConnection): Promise<void>;
  /** Undefined when missing or expired. */
  get(connectionId: string): Promise<WebSocketConnection | undefined>;
  delete(connectionId: string): Promise<void>;
  /** Conditional write: claims the connection for one turn unless another unexpired claim holds it. */
  claimTurn(connectionId: string, turnId: string, untilMs: number, nowMs: number): Promise<boolean>;
  /** Drops the claim if it is still this turn's (never recreates a deleted connection). */
  releaseTurn(connectionId: string, turnId: string): Promise<void>;
}

export type PostOutcome = "sent" | "gone" | "too_large";

/** Messages to one client connection, through the front's management endpoint. */
export interface ConnectionSender {
  /** One message (the front splits it into frames); "gone" when the client has left. */
  post(connectionId: string, text: string): Promise<PostOutcome>;
  /** Closes the client's connection (already gone is fine). */
  close(connectionId: string): Promise<void>;
}

/** One `response.create` handed to a worker: everything it needs, the frame included (never stored). */
export interface TurnJob {
  kind: "websocket-turn";
  connectionId: string;
  turnId: string;
  requestId: string;
  /** The client's frame as received. */
  frame: string;
  receivedAt: number;
  /** Opaque to the core: where the worker's sender posts (the front's management endpoint). */
  replyTo: string;
}

/** Starts a turn elsewhere and returns at once (an asynchronous invocation); throws when it could not. */
export interface TurnDispatcher {
  dispatch(job: TurnJob): Promise<void>;
}

export interface WebSocketApiLimits {
  /** The largest message the front delivers (API Gateway: 128 KB). */
  maxMessageBytes: number;
  /** The front closes every connection after this (API Gateway: 2 hours). */
  maxConnectionMs: number;
  /** A turn claim lapses after this even if its worker died (the worker's own time limit). */
  turnLeaseMs: number;
}

export const API_GATEWAY_LIMITS: WebSocketApiLimits = {
  maxMessageBytes: 128 * 1024,
  maxConnectionMs: 2 * 60 * 60_000,
  turnLeaseMs: 15 * 60_000,
};

export function keyFingerprint(key: Pick<Credential, "secretHash">): string {
  return createHash("sha256").update(key.secretHash).digest("base64url").slice(0, 22);
}
