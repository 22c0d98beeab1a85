import { type DynamoDBDocumentClient, GetCommand } from "@aws-sdk/lib-dynamodb";
import type { PinRepository } from "../../core/ports.ts";
import { directPutWriter, type PutWriter } from "./batch-writer.ts";

// Continuity pins keyed by a SHA-256 of the anchor (never the anchor itself), with TTL.
export class DynamoPinRepository implements PinRepository {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
    /** Direct puts on AWS; batched on the local host (see batch-writer.ts). */
    private readonly writer: PutWriter = directPutWriter(db),
  ) {}

  async get(hash: string): Promise<{ accountId: string; expiresAt: number } | undefined> {
    const Key = { pk: `PIN#${hash}`, sk: "P" };
    const Item =
      this.writer.pending(this.table, Key.pk, Key.sk) ??
      (await this.db.send(new GetCommand({ TableName: this.table, Key }))).Item;
    if (!Item || (Item.expiresAt as number) * 1000 <= Date.now()) return undefined;
    return { accountId: Item.accountId as string, expiresAt: Item.expiresAt as number };
  }

  async put(hash: string, accountId: string, expiresAtSeconds: number): Promise<void> {
    await this.writer.put(this.table, { pk: `PIN#${hash}`, sk: "P", accountId, expiresAt: expiresAtSeconds });
  }
}
