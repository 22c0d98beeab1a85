import { ConditionalCheckFailedException } from "@aws-sdk/client-dynamodb";
import { DeleteCommand, type DynamoDBDocumentClient, GetCommand, QueryCommand } from "@aws-sdk/lib-dynamodb";
import { conflict, notFound } from "../../core/errors.ts";
import type { Credential, CredentialKind } from "../../core/model.ts";
import type { CredentialRepository } from "../../core/ports.ts";
import { fromItem, putNew, queryAll, updateExisting } from "./items.ts";
import { GSI1 } from "./tables.ts";

const key = (kind: CredentialKind, id: string) => ({ pk: `CRED#${kind}#${id}`, sk: "C" });
const sortKey = (c: Pick<Credential, "createdAt" | "id">) =>
  `${String(c.createdAt).padStart(15, "0")}#${c.id}`;

export class DynamoCredentialRepository implements CredentialRepository {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  create(credential: Credential): Promise<void> {
    const item = {
      ...key(credential.kind, credential.id),
      gsi1pk: `CRED#${credential.kind}`,
      gsi1sk: sortKey(credential),
      ...credential,
    };
    return putNew(this.db, this.table, item, () => conflict("credential id collision; try again"));
  }

  async get(kind: CredentialKind, id: string): Promise<Credential | undefined> {
    const { Item } = await this.db.send(new GetCommand({ TableName: this.table, Key: key(kind, id) }));
    return fromItem<Credential>(Item);
  }

  list(kind: CredentialKind, filter: { pool?: string } = {}): Promise<Credential[]> {
    return queryAll<Credential>(this.db, {
      TableName: this.table,
      IndexName: GSI1,
      KeyConditionExpression: "gsi1pk = :p",
      ...(filter.pool
        ? {
            FilterExpression: "#pool = :pool",
            ExpressionAttributeNames: { "#pool": "pool" },
            ExpressionAttributeValues: { ":p": `CRED#${kind}`, ":pool": filter.pool },
          }
        : { ExpressionAttributeValues: { ":p": `CRED#${kind}` } }),
    });
  }

  update(
    kind: CredentialKind,
    id: string,
    patch: Partial<Omit<Credential, "id" | "kind" | "createdAt">>,
  ): Promise<Credential> {
    return updateExisting<Credential>(this.db, this.table, key(kind, id), patch, () =>
      notFound(`${kind.replace("_", " ")} ${id} does not exist`, `${kind}_not_found`),
    );
  }

  async delete(kind: CredentialKind, id: string): Promise<void> {
    try {
      await this.db.send(
        new DeleteCommand({
          TableName: this.table,
          Key: key(kind, id),
          ConditionExpression: "attribute_exists(pk)",
        }),
      );
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) {
        throw notFound(`${kind.replace("_", " ")} ${id} does not exist`, `${kind}_not_found`);
      }
      throw error;
    }
  }

  async any(kind: CredentialKind): Promise<boolean> {
    const page = await this.db.send(
      new QueryCommand({
        TableName: this.table,
        IndexName: GSI1,
        KeyConditionExpression: "gsi1pk = :p",
        ExpressionAttributeValues: { ":p": `CRED#${kind}` },
        Limit: 1,
      }),
    );
    return (page.Items?.length ?? 0) > 0;
  }
}
