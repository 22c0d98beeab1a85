import { type DynamoDBDocumentClient, GetCommand, PutCommand } from "@aws-sdk/lib-dynamodb";
import type { PinRepository } from "../../core/ports.ts";

// Continuity pins keyed by a SHA-256 of the anchor (never the anchor itself), with TTL.
export class DynamoPinRepository implements PinRepository {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  async get(hash: string): Promise<{ accountId: string; expiresAt: number } | undefined> {
    const { Item } = await this.db.send(
      new GetCommand({ TableName: this.table, Key: { pk: `PIN#${hash}`, sk: "P" } }),
    );
    if (!Item || (Item.expiresAt as number) * 1000 <= Date.now()) return undefined;
    return { accountId: Item.accountId as string, expiresAt: Item.expiresAt as number };
  }

  async put(hash: string, accountId: string, expiresAtSeconds: number): Promise<void> {
    await this.db.send(
      new PutCommand({
        TableName: this.table,
        Item: { pk: `PIN#${hash}`, sk: "P", accountId, expiresAt: expiresAtSeconds },
      }),
    );
  }
}
