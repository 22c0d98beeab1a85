import { type DynamoDBDocumentClient, GetCommand } from "@aws-sdk/lib-dynamodb";
import { conflict } from "../../core/errors.ts";
import type { Invite } from "../../core/model.ts";
import type { InviteRepository } from "../../core/ports.ts";
import { fromItem, putNew, queryAll, updateIfStatus } from "./items.ts";
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

  transition(
    id: string,
    from: Invite["status"],
    patch: Parameters<InviteRepository["transition"]>[2],
  ): Promise<Invite | undefined> {
    return updateIfStatus<Invite>(this.db, this.table, key(id), from, patch);
  }
}
