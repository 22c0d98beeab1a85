// Alert rules and channels: operator-paced and few, so each kind is one partition of the state table
// (`ALERTRULES` / `ALERTCHANNELS`, sort key = id), read in full with one strongly consistent query.
import { DeleteCommand, type DynamoDBDocumentClient, GetCommand } from "@aws-sdk/lib-dynamodb";
import type { AlertChannel, AlertRule } from "../../core/alerts/model.ts";
import type { AlertChannelRepository, AlertRuleRepository } from "../../core/alerts/ports.ts";
import { conflict, notFound } from "../../core/errors.ts";
import { fromItem, putNew, queryAll, updateExisting } from "./items.ts";

class PartitionCollection<T extends { id: string; createdAt: number }> {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
    private readonly pk: string,
    private readonly missing: (id: string) => Error,
  ) {}

  create(record: T): Promise<void> {
    return putNew(this.db, this.table, { pk: this.pk, sk: record.id, ...record }, () =>
      conflict("id collision; try again"),
    );
  }

  async get(id: string): Promise<T | undefined> {
    const { Item } = await this.db.send(
      new GetCommand({ TableName: this.table, Key: { pk: this.pk, sk: id }, ConsistentRead: true }),
    );
    return fromItem<T>(Item);
  }

  async list(): Promise<T[]> {
    const items = await queryAll<T>(this.db, {
      TableName: this.table,
      KeyConditionExpression: "pk = :p",
      ExpressionAttributeValues: { ":p": this.pk },
      ConsistentRead: true,
    });
    return items.sort((a, b) => a.createdAt - b.createdAt || a.id.localeCompare(b.id));
  }

  update(id: string, patch: Record<string, unknown>): Promise<T> {
    return updateExisting<T>(this.db, this.table, { pk: this.pk, sk: id }, patch, () => this.missing(id));
  }

  async delete(id: string): Promise<void> {
    await this.db.send(new DeleteCommand({ TableName: this.table, Key: { pk: this.pk, sk: id } }));
  }
}

export class DynamoAlertRuleRepository extends PartitionCollection<AlertRule> implements AlertRuleRepository {
  constructor(db: DynamoDBDocumentClient, table: string) {
    super(db, table, "ALERTRULES", (id) =>
      notFound(`alert rule ${id} does not exist; see \`pooler alert rule list\``, "alert_rule_not_found"),
    );
  }
}

export class DynamoAlertChannelRepository
  extends PartitionCollection<AlertChannel>
  implements AlertChannelRepository
{
  constructor(db: DynamoDBDocumentClient, table: string) {
    super(db, table, "ALERTCHANNELS", (id) =>
      notFound(
        `alert channel ${id} does not exist; see \`pooler alert channel list\``,
        "alert_channel_not_found",
      ),
    );
  }
}
