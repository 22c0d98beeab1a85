import { type DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand } from "@aws-sdk/lib-dynamodb";
import type { StoredFile } from "../../core/model.ts";
import type { Clock, FileRepository } from "../../core/ports.ts";
import { fromItem } from "./items.ts";

// File metadata in one partition per Pool (ownership is the key), with TTL; reads skip expired rows
// because the emulator has no TTL sweeper.
export class DynamoFileRepository implements FileRepository {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
    private readonly clock: Clock,
  ) {}

  async put(file: StoredFile): Promise<void> {
    await this.db.send(
      new PutCommand({ TableName: this.table, Item: { pk: `FILES#${file.pool}`, sk: file.id, ...file } }),
    );
  }

  async get(pool: string, id: string): Promise<StoredFile | undefined> {
    const { Item } = await this.db.send(
      new GetCommand({ TableName: this.table, Key: { pk: `FILES#${pool}`, sk: id } }),
    );
    const file = fromItem<StoredFile>(Item);
    return file && this.#live(file) ? file : undefined;
  }

  async list(pool: string, limit: number): Promise<StoredFile[]> {
    const files: StoredFile[] = [];
    let start: Record<string, unknown> | undefined;
    // Bounded: at most a few pages of metadata; the newest-first sort happens here.
    for (let page = 0; page < 10; page++) {
      const result = await this.db.send(
        new QueryCommand({
          TableName: this.table,
          KeyConditionExpression: "pk = :p",
          ExpressionAttributeValues: { ":p": `FILES#${pool}` },
          ExclusiveStartKey: start,
        }),
      );
      for (const item of result.Items ?? []) {
        const file = fromItem<StoredFile>(item) as StoredFile;
        if (this.#live(file)) files.push(file);
      }
      start = result.LastEvaluatedKey;
      if (!start) break;
    }
    return files.sort((a, b) => b.createdAt - a.createdAt || b.id.localeCompare(a.id)).slice(0, limit);
  }

  #live(file: StoredFile): boolean {
    return file.expiresAt * 1000 > this.clock.now();
  }
}
