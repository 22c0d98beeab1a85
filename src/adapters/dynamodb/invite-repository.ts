import { ConditionalCheckFailedException } from "@aws-sdk/client-dynamodb";
import { type DynamoDBDocumentClient, GetCommand, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import { conflict } from "../../core/errors.ts";
import type { Invite } from "../../core/model.ts";
import type { InviteRepository } from "../../core/ports.ts";
import { fromItem, putNew, queryAll, updateExpression } from "./items.ts";
import { GSI1 } from "./tables.ts";

// Invites: one item each (the token's secret only as its hash); the GSI lists them newest first.
const key = (id: string) => ({ pk: `INVITE#${id}`, sk: "I" });
const GSI_PK = "INVITES";
const sortKey = (invite: Invite) => `${String(invite.createdAt).padStart(15, "0")}#${invite.id}`;

export class DynamoInviteRepository implements InviteRepository {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  create(invite: Invite): Promise<void> {
    const item = { ...key(invite.id), gsi1pk: GSI_PK, gsi1sk: sortKey(invite), ...invite };
    return putNew(this.db, this.table, item, () => conflict(`invite ${invite.id} already exists; try again`));
  }

  async get(id: string): Promise<Invite | undefined> {
    const { Item } = await this.db.send(
      new GetCommand({ TableName: this.table, Key: key(id), ConsistentRead: true }),
    );
    return fromItem<Invite>(Item);
  }

  list(): Promise<Invite[]> {
    return queryAll<Invite>(this.db, {
      TableName: this.table,
      IndexName: GSI1,
      KeyConditionExpression: "gsi1pk = :p",
      ExpressionAttributeValues: { ":p": GSI_PK },
      ScanIndexForward: false,
    });
  }

  async transition(
    id: string,
    from: Invite["status"],
    patch: Parameters<InviteRepository["transition"]>[2],
  ): Promise<Invite | undefined> {
    const expression = updateExpression(patch);
    try {
      const { Attributes } = await this.db.send(
        new UpdateCommand({
          TableName: this.table,
          Key: key(id),
          ...expression,
          ConditionExpression: "attribute_exists(pk) AND #inviteStatus = :from",
          ExpressionAttributeNames: { ...expression.ExpressionAttributeNames, "#inviteStatus": "status" },
          ExpressionAttributeValues: { ...expression.ExpressionAttributeValues, ":from": from },
          ReturnValues: "ALL_NEW",
        }),
      );
      return fromItem<Invite>(Attributes);
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return undefined;
      throw error;
    }
  }
}
