// Alert deliveries: one item per event and channel, in the partition of its incident
// (`ALERTDLV#<incidentId>`, `ALERTDLV#test` for test sends), with its attempts inline (at most a
// handful). While pending, the item is also in a sparse `gsi1` outbox (`ALERTOUTBOX`, sorted by when
// the next attempt is due); attempts are claimed with a conditional write so no two senders send
// the same attempt.
import { ConditionalCheckFailedException } from "@aws-sdk/client-dynamodb";
import {
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from "@aws-sdk/lib-dynamodb";
import type { AlertDelivery, DeliveryAttempt } from "../../core/alerts/model.ts";
import type { AlertDeliveryRepository } from "../../core/alerts/ports.ts";
import { fromItem } from "./items.ts";
import { GSI1 } from "./tables.ts";

const OUTBOX = "ALERTOUTBOX";
const partition = (incidentId: string) => `ALERTDLV#${incidentId}`;
const dueKey = (at: number, eventId: string) => `${String(Math.max(0, at)).padStart(15, "0")}#${eventId}`;

export class DynamoAlertDeliveryRepository implements AlertDeliveryRepository {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  async create(delivery: AlertDelivery): Promise<void> {
    const outbox =
      delivery.status === "pending"
        ? { gsi1pk: OUTBOX, gsi1sk: dueKey(delivery.nextAttemptAt ?? 0, delivery.eventId) }
        : {};
    await this.db.send(
      new PutCommand({
        TableName: this.table,
        Item: { pk: partition(delivery.incidentId), sk: delivery.eventId, ...outbox, ...delivery },
      }),
    );
  }

  async get(incidentId: string, eventId: string): Promise<AlertDelivery | undefined> {
    const { Item } = await this.db.send(
      new GetCommand({
        TableName: this.table,
        Key: { pk: partition(incidentId), sk: eventId },
        ConsistentRead: true,
      }),
    );
    return fromItem<AlertDelivery>(Item);
  }

  async listFor(incidentId: string, limit: number): Promise<AlertDelivery[]> {
    const page = await this.db.send(
      new QueryCommand({
        TableName: this.table,
        KeyConditionExpression: "pk = :p",
        ExpressionAttributeValues: { ":p": partition(incidentId) },
        ScanIndexForward: false,
        Limit: limit,
      }),
    );
    return (page.Items ?? []).map((i) => fromItem<AlertDelivery>(i) as AlertDelivery);
  }

  async listDue(nowMs: number, limit: number): Promise<AlertDelivery[]> {
    const page = await this.db.send(
      new QueryCommand({
        TableName: this.table,
        IndexName: GSI1,
        KeyConditionExpression: "gsi1pk = :p AND gsi1sk <= :due",
        ExpressionAttributeValues: { ":p": OUTBOX, ":due": `${dueKey(nowMs, "")}~` },
        Limit: limit,
      }),
    );
    return (page.Items ?? []).map((i) => fromItem<AlertDelivery>(i) as AlertDelivery);
  }

  async claim(delivery: AlertDelivery, leaseUntil: number): Promise<boolean> {
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.table,
          Key: { pk: partition(delivery.incidentId), sk: delivery.eventId },
          UpdateExpression: "SET attemptCount = :next, nextAttemptAt = :lease, gsi1sk = :due",
          ConditionExpression: "#status = :pending AND attemptCount = :seen",
          ExpressionAttributeNames: { "#status": "status" },
          ExpressionAttributeValues: {
            ":next": delivery.attemptCount + 1,
            ":seen": delivery.attemptCount,
            ":pending": "pending",
            ":lease": leaseUntil,
            ":due": dueKey(leaseUntil, delivery.eventId),
          },
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  async recordAttempt(
    delivery: AlertDelivery,
    attempt: DeliveryAttempt,
    next: { status: AlertDelivery["status"]; nextAttemptAt?: number; errorCode?: string; updatedAt: number },
  ): Promise<void> {
    const pending = next.status === "pending" && next.nextAttemptAt !== undefined;
    const sets = [
      "attempts = list_append(if_not_exists(attempts, :empty), :attempt)",
      "#status = :status",
      "updatedAt = :now",
    ];
    const removes: string[] = [];
    const values: Record<string, unknown> = {
      ":empty": [],
      ":attempt": [attempt],
      ":status": next.status,
      ":now": next.updatedAt,
    };
    if (pending) {
      sets.push("nextAttemptAt = :nextAt", "gsi1sk = :due");
      values[":nextAt"] = next.nextAttemptAt;
      values[":due"] = dueKey(next.nextAttemptAt as number, delivery.eventId);
    } else {
      removes.push("nextAttemptAt", "gsi1pk", "gsi1sk");
    }
    if (next.errorCode) {
      sets.push("errorCode = :code");
      values[":code"] = next.errorCode;
    } else {
      removes.push("errorCode");
    }
    await this.db.send(
      new UpdateCommand({
        TableName: this.table,
        Key: { pk: partition(delivery.incidentId), sk: delivery.eventId },
        UpdateExpression: `SET ${sets.join(", ")}${removes.length ? ` REMOVE ${removes.join(", ")}` : ""}`,
        ExpressionAttributeNames: { "#status": "status" },
        ExpressionAttributeValues: values,
      }),
    );
  }
}
