import { ConditionalCheckFailedException } from "@aws-sdk/client-dynamodb";
import {
  DeleteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  QueryCommand,
  UpdateCommand,
} from "@aws-sdk/lib-dynamodb";
import { conflict } from "../../core/errors.ts";
import type { OAuthFlow, OAuthFlowRepository, OAuthFlowStatus } from "../../core/ports.ts";
import { fromItem, putNew, updateExpression } from "./items.ts";
import { GSI1 } from "./tables.ts";

// OAuth login flows: public metadata only (secret flow state is in the SecretStore). The GSI sorts
// flows by end time so abandoned ones can be found and cleaned up with one query.
const key = (id: string) => ({ pk: `OAUTHFLOW#${id}`, sk: "F" });
const GSI_PK = "OAUTHFLOWS";
const endSortKey = (endsAt: number, id: string) => `${String(endsAt).padStart(15, "0")}#${id}`;

export class DynamoOAuthFlowRepository implements OAuthFlowRepository {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  create(flow: OAuthFlow): Promise<void> {
    const item = {
      ...key(flow.id),
      gsi1pk: GSI_PK,
      gsi1sk: endSortKey(flow.endsAt, flow.id),
      ...flow,
    };
    return putNew(this.db, this.table, item, () => conflict(`oauth flow ${flow.id} already exists`));
  }

  async get(id: string): Promise<OAuthFlow | undefined> {
    const { Item } = await this.db.send(
      new GetCommand({ TableName: this.table, Key: key(id), ConsistentRead: true }),
    );
    return fromItem<OAuthFlow>(Item);
  }

  async transition(
    id: string,
    from: OAuthFlowStatus,
    patch: Partial<Omit<OAuthFlow, "id" | "kind" | "createdAt" | "endsAt" | "expiresAt">>,
  ): Promise<OAuthFlow | undefined> {
    const expression = updateExpression(patch);
    try {
      const { Attributes } = await this.db.send(
        new UpdateCommand({
          TableName: this.table,
          Key: key(id),
          ...expression,
          ConditionExpression: "attribute_exists(pk) AND #flowStatus = :from",
          ExpressionAttributeNames: { ...expression.ExpressionAttributeNames, "#flowStatus": "status" },
          ExpressionAttributeValues: { ...expression.ExpressionAttributeValues, ":from": from },
          ReturnValues: "ALL_NEW",
        }),
      );
      return fromItem<OAuthFlow>(Attributes);
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return undefined;
      throw error;
    }
  }

  async listEnded(beforeMs: number, limit: number): Promise<OAuthFlow[]> {
    const { Items } = await this.db.send(
      new QueryCommand({
        TableName: this.table,
        IndexName: GSI1,
        KeyConditionExpression: "gsi1pk = :p AND gsi1sk < :before",
        ExpressionAttributeValues: { ":p": GSI_PK, ":before": endSortKey(beforeMs, "") },
        Limit: limit,
      }),
    );
    return (Items ?? []).map((item) => fromItem<OAuthFlow>(item) as OAuthFlow);
  }

  async delete(id: string): Promise<void> {
    await this.db.send(new DeleteCommand({ TableName: this.table, Key: key(id) }));
  }
}
