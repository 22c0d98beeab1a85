import { type DynamoDBDocumentClient, GetCommand } from "@aws-sdk/lib-dynamodb";
import { conflict, notFound } from "../../core/errors.ts";
import type { Pool } from "../../core/model.ts";
import type { PoolRepository } from "../../core/ports.ts";
import { fromItem, putNew, queryAll, updateExisting } from "./items.ts";
import { GSI1 } from "./tables.ts";

const key = (name: string) => ({ pk: `POOL#${name}`, sk: "P" });

export class DynamoPoolRepository implements PoolRepository {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  create(pool: Pool): Promise<void> {
    const item = { ...key(pool.name), gsi1pk: "POOLS", gsi1sk: pool.name, ...pool };
    return putNew(this.db, this.table, item, () =>
      conflict(`pool "${pool.name}" already exists`, "pool_exists"),
    );
  }

  async get(name: string): Promise<Pool | undefined> {
    const { Item } = await this.db.send(new GetCommand({ TableName: this.table, Key: key(name) }));
    return fromItem<Pool>(Item);
  }

  list(): Promise<Pool[]> {
    return queryAll<Pool>(this.db, {
      TableName: this.table,
      IndexName: GSI1,
      KeyConditionExpression: "gsi1pk = :p",
      ExpressionAttributeValues: { ":p": "POOLS" },
    });
  }

  update(name: string, patch: Partial<Omit<Pool, "name" | "createdAt">>): Promise<Pool> {
    return updateExisting<Pool>(this.db, this.table, key(name), patch, () =>
      notFound(`pool "${name}" does not exist`, "pool_not_found"),
    );
  }
}
