import { type DynamoDBDocumentClient, GetCommand, PutCommand } from "@aws-sdk/lib-dynamodb";
import type { GatewaySettings, SettingsRepository } from "../../core/ports.ts";
import { fromItem } from "./items.ts";

// One item: the gateway-wide switches (docs/data-model.md).
const KEY = { pk: "SETTINGS", sk: "G" };

export class DynamoSettingsRepository implements SettingsRepository {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  async get(): Promise<GatewaySettings | undefined> {
    const { Item } = await this.db.send(
      new GetCommand({ TableName: this.table, Key: KEY, ConsistentRead: true }),
    );
    return fromItem<GatewaySettings>(Item);
  }

  async put(settings: GatewaySettings): Promise<void> {
    await this.db.send(new PutCommand({ TableName: this.table, Item: { ...KEY, ...settings } }));
  }
}
