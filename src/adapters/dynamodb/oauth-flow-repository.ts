import { DeleteCommand, type DynamoDBDocumentClient, GetCommand, QueryCommand } from "@aws-sdk/lib-dynamodb";
import { conflict } from "../../core/errors.ts";
import type { OAuthFlow, OAuthFlowRepository, OAuthFlowStatus } from "../../core/ports.ts";
import { fromItem, putNew, updateIfStatus } from "./items.ts";
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

  transition(
    id: string,
    from: OAuthFlowStatus,
    patch: Partial<Omit<OAuthFlow, "id" | "kind" | "createdAt" | "endsAt" | "expiresAt">>,
  ): Promise<OAuthFlow | undefined> {
    return updateIfStatus<OAuthFlow>(this.db, this.table, key(id), from, patch);
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
