import { type DynamoDBDocumentClient, PutCommand, QueryCommand } from "@aws-sdk/lib-dynamodb";
import type { AuditEvent } from "../../core/model.ts";
import type { AuditRepository, Page } from "../../core/ports.ts";
import { decodeCursor, encodeCursor, fromItem, isTableKey } from "./items.ts";

// Audit volume is operator-paced, so one partition ordered by time is enough; newest first.
export class DynamoAuditRepository implements AuditRepository {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  async append(event: AuditEvent): Promise<void> {
    await this.db.send(
      new PutCommand({ TableName: this.table, Item: { pk: "AUDIT", sk: event.id, ...event } }),
    );
  }

  async list(query: { limit: number; cursor?: string }): Promise<Page<AuditEvent>> {
    const page = await this.db.send(
      new QueryCommand({
        TableName: this.table,
        KeyConditionExpression: "pk = :p",
        ExpressionAttributeValues: { ":p": "AUDIT" },
        ScanIndexForward: false,
        Limit: query.limit,
        ExclusiveStartKey: decodeCursor(query.cursor, (v) => isTableKey(v, "AUDIT")),
      }),
    );
    return {
      items: (page.Items ?? []).map((i) => fromItem<AuditEvent>(i) as AuditEvent),
      nextCursor: encodeCursor(page.LastEvaluatedKey),
    };
  }
}
