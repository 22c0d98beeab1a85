import { ConditionalCheckFailedException } from "@aws-sdk/client-dynamodb";
import {
  DeleteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  UpdateCommand,
} from "@aws-sdk/lib-dynamodb";
import type {
  WebSocketConnection,
  WebSocketConnectionRepository,
} from "../../core/relay/websocket/connections.ts";
import { fromItem } from "./items.ts";

// Open connections of the WebSocket API: metadata only (key id, Pool, relayed handshake headers,
// the turn claim), deleted on disconnect and expiring by TTL just after the front's 2-hour limit.
const key = (connectionId: string) => ({ pk: `WSCONN#${connectionId}`, sk: "C" });

export class DynamoWebSocketConnectionRepository implements WebSocketConnectionRepository {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  async put(connection: WebSocketConnection): Promise<void> {
    await this.db.send(
      new PutCommand({ TableName: this.table, Item: { ...key(connection.connectionId), ...connection } }),
    );
  }

  async get(connectionId: string): Promise<WebSocketConnection | undefined> {
    const { Item } = await this.db.send(
      new GetCommand({ TableName: this.table, Key: key(connectionId), ConsistentRead: true }),
    );
    const connection = fromItem<WebSocketConnection>(Item);
    // TTL deletion lags; an expired item is treated as gone.
    if (!connection || connection.expiresAt * 1000 <= Date.now()) return undefined;
    return connection;
  }

  async delete(connectionId: string): Promise<void> {
    await this.db.send(new DeleteCommand({ TableName: this.table, Key: key(connectionId) }));
  }

  async claimTurn(connectionId: string, turnId: string, untilMs: number, nowMs: number): Promise<boolean> {
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.table,
          Key: key(connectionId),
          UpdateExpression: "SET turnId = :turn, turnUntil = :until",
          ConditionExpression: "attribute_exists(pk) AND (attribute_not_exists(turnId) OR turnUntil < :now)",
          ExpressionAttributeValues: { ":turn": turnId, ":until": untilMs, ":now": nowMs },
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  async releaseTurn(connectionId: string, turnId: string): Promise<void> {
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.table,
          Key: key(connectionId),
          UpdateExpression: "REMOVE turnId, turnUntil",
          ConditionExpression: "turnId = :turn",
          ExpressionAttributeValues: { ":turn": turnId },
        }),
      );
    } catch (error) {
      // Deleted on disconnect, or a later turn holds it: nothing to release.
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }
}
