import { ConditionalCheckFailedException } from "@aws-sdk/client-dynamodb";
import { DeleteCommand, type DynamoDBDocumentClient, GetCommand, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import { conflict, notFound } from "../../core/errors.ts";
import type { Account } from "../../core/model.ts";
import type { AccountRepository } from "../../core/ports.ts";
import { fromItem, putNew, queryAll, updateExisting } from "./items.ts";
import { GSI1 } from "./tables.ts";

const key = (id: string) => ({ pk: `ACCOUNT#${id}`, sk: "A" });

export class DynamoAccountRepository implements AccountRepository {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  create(account: Account): Promise<void> {
    const item = { ...key(account.id), gsi1pk: "ACCOUNTS", gsi1sk: account.id, ...account };
    return putNew(this.db, this.table, item, () => conflict(`account ${account.id} already exists`));
  }

  async get(id: string): Promise<Account | undefined> {
    const { Item } = await this.db.send(
      new GetCommand({ TableName: this.table, Key: key(id), ConsistentRead: true }),
    );
    return fromItem<Account>(Item);
  }

  list(): Promise<Account[]> {
    return queryAll<Account>(this.db, {
      TableName: this.table,
      IndexName: GSI1,
      KeyConditionExpression: "gsi1pk = :p",
      ExpressionAttributeValues: { ":p": "ACCOUNTS" },
    });
  }

  listByPool(pool: string): Promise<Account[]> {
    return queryAll<Account>(this.db, {
      TableName: this.table,
      IndexName: GSI1,
      KeyConditionExpression: "gsi1pk = :p",
      FilterExpression: "contains(pools, :pool)",
      ExpressionAttributeValues: { ":p": "ACCOUNTS", ":pool": pool },
    });
  }

  update(id: string, patch: Partial<Omit<Account, "id" | "createdAt">>): Promise<Account> {
    return updateExisting<Account>(this.db, this.table, key(id), patch, () =>
      notFound(`account ${id} does not exist`, "account_not_found"),
    );
  }

  async delete(id: string): Promise<void> {
    await this.db.send(new DeleteCommand({ TableName: this.table, Key: key(id) }));
  }

  async acquireRefreshLease(id: string, owner: string, until: number, now: number): Promise<boolean> {
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.table,
          Key: key(id),
          UpdateExpression: "SET refreshLeaseOwner = :owner, refreshLeaseUntil = :until",
          ConditionExpression:
            "attribute_exists(pk) AND (attribute_not_exists(refreshLeaseUntil) OR refreshLeaseUntil < :now OR refreshLeaseOwner = :owner)",
          ExpressionAttributeValues: { ":owner": owner, ":until": until, ":now": now },
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  async releaseRefreshLease(id: string, owner: string): Promise<void> {
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.table,
          Key: key(id),
          UpdateExpression: "REMOVE refreshLeaseOwner, refreshLeaseUntil",
          ConditionExpression: "refreshLeaseOwner = :owner",
          ExpressionAttributeValues: { ":owner": owner },
        }),
      );
    } catch (error) {
      // Someone else took over an expired lease; theirs is not ours to release.
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }
}
