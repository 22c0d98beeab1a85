import { DeleteCommand, type DynamoDBDocumentClient, GetCommand, PutCommand } from "@aws-sdk/lib-dynamodb";
import type { ObservatorySession } from "../../core/model.ts";
import type { ObservatorySessionRepository } from "../../core/ports.ts";
import { fromItem, queryAll } from "./items.ts";

// Dashboard sessions in one partition per key (at most ten items), with TTL on `expiresAt`.
const pk = (keyId: string) => `OBS#${keyId}`;

export class DynamoObservatorySessionRepository implements ObservatorySessionRepository {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  async put(session: ObservatorySession): Promise<void> {
    await this.db.send(
      new PutCommand({ TableName: this.table, Item: { pk: pk(session.keyId), sk: session.id, ...session } }),
    );
  }

  async get(keyId: string, id: string): Promise<ObservatorySession | undefined> {
    const { Item } = await this.db.send(
      new GetCommand({ TableName: this.table, Key: { pk: pk(keyId), sk: id }, ConsistentRead: true }),
    );
    return fromItem<ObservatorySession>(Item);
  }

  list(keyId: string): Promise<ObservatorySession[]> {
    return queryAll<ObservatorySession>(this.db, {
      TableName: this.table,
      KeyConditionExpression: "pk = :p",
      ExpressionAttributeValues: { ":p": pk(keyId) },
      ConsistentRead: true,
    });
  }

  async delete(keyId: string, id: string): Promise<void> {
    await this.db.send(new DeleteCommand({ TableName: this.table, Key: { pk: pk(keyId), sk: id } }));
  }
}
