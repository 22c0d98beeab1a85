// Alert incidents: every incident in one partition (`ALERTINC`, sort key = time-sortable id, so a
// query is newest first), plus one "open pointer" per unresolved dedupe key (`ALERTOPEN`, sort key =
// dedupe key). The pointer is taken with a conditional put, so two evaluators can never open two
// incidents for the same condition; resolving gives it back.
import { ConditionalCheckFailedException } from "@aws-sdk/client-dynamodb";
import {
  DeleteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from "@aws-sdk/lib-dynamodb";
import type { AlertIncident, IncidentState } from "../../core/alerts/model.ts";
import type { AlertIncidentRepository, IncidentQuery } from "../../core/alerts/ports.ts";
import type { Page } from "../../core/ports.ts";
import { decodeCursor, encodeCursor, fromItem, isTableKey, queryAll, updateExpression } from "./items.ts";

const INCIDENTS = "ALERTINC";
const OPEN = "ALERTOPEN";

export class DynamoAlertIncidentRepository implements AlertIncidentRepository {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  async open(incident: AlertIncident): Promise<boolean> {
    // The incident first: a crash before the pointer leaves a visible incident an operator can
    // resolve, never a pointer that would block the condition forever.
    await this.db.send(
      new PutCommand({ TableName: this.table, Item: { pk: INCIDENTS, sk: incident.id, ...incident } }),
    );
    try {
      await this.db.send(
        new PutCommand({
          TableName: this.table,
          Item: { pk: OPEN, sk: incident.dedupeKey, incidentId: incident.id, at: incident.firstSeenAt },
          ConditionExpression: "attribute_not_exists(pk)",
        }),
      );
      return true;
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      await this.db.send(
        new DeleteCommand({ TableName: this.table, Key: { pk: INCIDENTS, sk: incident.id } }),
      );
      return false;
    }
  }

  async get(id: string): Promise<AlertIncident | undefined> {
    const { Item } = await this.db.send(
      new GetCommand({ TableName: this.table, Key: { pk: INCIDENTS, sk: id }, ConsistentRead: true }),
    );
    return fromItem<AlertIncident>(Item);
  }

  async list(query: IncidentQuery): Promise<Page<AlertIncident>> {
    const filters: string[] = [];
    const names: Record<string, string> = {};
    const values: Record<string, unknown> = { ":p": INCIDENTS };
    if (query.state) {
      filters.push("#state = :state");
      names["#state"] = "state";
      values[":state"] = query.state;
    }
    if (query.pool) {
      filters.push("#pool = :pool");
      names["#pool"] = "pool";
      values[":pool"] = query.pool;
    }
    const items: AlertIncident[] = [];
    let start = decodeCursor(query.cursor, (v) => isTableKey(v, INCIDENTS));
    // A filter can leave a page short; keep reading until the page is full or the data ends.
    do {
      const page = await this.db.send(
        new QueryCommand({
          TableName: this.table,
          KeyConditionExpression: "pk = :p",
          FilterExpression: filters.length ? filters.join(" AND ") : undefined,
          ExpressionAttributeNames: filters.length ? names : undefined,
          ExpressionAttributeValues: values,
          ScanIndexForward: false,
          Limit: query.limit - items.length,
          ExclusiveStartKey: start,
        }),
      );
      for (const item of page.Items ?? []) items.push(fromItem<AlertIncident>(item) as AlertIncident);
      start = page.LastEvaluatedKey as { pk: string; sk: string } | undefined;
    } while (start && items.length < query.limit);
    return { items, nextCursor: encodeCursor(start) };
  }

  async listActive(): Promise<AlertIncident[]> {
    const pointers = await queryAll<{ sk: string; incidentId: string }>(
      this.db,
      {
        TableName: this.table,
        KeyConditionExpression: "pk = :p",
        ExpressionAttributeValues: { ":p": OPEN },
        ConsistentRead: true,
      },
      { keepSortKey: true },
    );
    const found = await Promise.all(
      pointers.map(async (pointer) => {
        const incident = await this.get(pointer.incidentId);
        if (incident && incident.state !== "resolved") return incident;
        // A pointer whose incident is gone or resolved (a crash mid-resolve) frees its key.
        await this.releaseKey(pointer.sk, pointer.incidentId);
        return undefined;
      }),
    );
    return found.filter((i): i is AlertIncident => i !== undefined);
  }

  async update(
    id: string,
    from: IncidentState[],
    patch: Partial<Omit<AlertIncident, "id" | "ruleId" | "dedupeKey" | "firstSeenAt">>,
  ): Promise<AlertIncident | undefined> {
    const expression = updateExpression(patch);
    const states = Object.fromEntries(from.map((state, i) => [`:from${i}`, state]));
    try {
      const { Attributes } = await this.db.send(
        new UpdateCommand({
          TableName: this.table,
          Key: { pk: INCIDENTS, sk: id },
          ...expression,
          ConditionExpression: `attribute_exists(pk) AND #cstate IN (${Object.keys(states).join(", ")})`,
          ExpressionAttributeNames: { ...expression.ExpressionAttributeNames, "#cstate": "state" },
          ExpressionAttributeValues: { ...expression.ExpressionAttributeValues, ...states },
          ReturnValues: "ALL_NEW",
        }),
      );
      return fromItem<AlertIncident>(Attributes);
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return undefined;
      throw error;
    }
  }

  async releaseKey(dedupeKey: string, incidentId: string): Promise<void> {
    try {
      await this.db.send(
        new DeleteCommand({
          TableName: this.table,
          Key: { pk: OPEN, sk: dedupeKey },
          ConditionExpression: "incidentId = :id",
          ExpressionAttributeValues: { ":id": incidentId },
        }),
      );
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }
}
