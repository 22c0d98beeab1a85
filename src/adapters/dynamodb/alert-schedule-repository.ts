// The alert evaluation lease: one item (`ALERTSCHED` / `S`) taken with a conditional write, so one
// evaluator runs at a time across all instances and a manual run while one is going answers "busy".
import { ConditionalCheckFailedException } from "@aws-sdk/client-dynamodb";
import { type DynamoDBDocumentClient, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import type { AlertSchedule, AlertScheduleRepository } from "../../core/alerts/ports.ts";

const KEY = { pk: "ALERTSCHED", sk: "S" };

export class DynamoAlertScheduleRepository implements AlertScheduleRepository {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  async acquire(owner: string, nowMs: number, leaseUntil: number): Promise<AlertSchedule | undefined> {
    try {
      const { Attributes } = await this.db.send(
        new UpdateCommand({
          TableName: this.table,
          Key: KEY,
          UpdateExpression: "SET leaseOwner = :owner, leaseUntil = :until",
          ConditionExpression: "attribute_not_exists(leaseUntil) OR leaseUntil < :now",
          ExpressionAttributeValues: { ":owner": owner, ":until": leaseUntil, ":now": nowMs },
          ReturnValues: "ALL_NEW",
        }),
      );
      const num = (v: unknown) => (typeof v === "number" ? v : undefined);
      return {
        nextEvaluationAt: num(Attributes?.nextEvaluationAt),
        lastEvaluatedAt: num(Attributes?.lastEvaluatedAt),
      };
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return undefined;
      throw error;
    }
  }

  async release(owner: string, schedule: AlertSchedule): Promise<void> {
    const sets: string[] = [];
    const values: Record<string, unknown> = { ":owner": owner };
    if (schedule.nextEvaluationAt !== undefined) {
      sets.push("nextEvaluationAt = :next");
      values[":next"] = schedule.nextEvaluationAt;
    }
    if (schedule.lastEvaluatedAt !== undefined) {
      sets.push("lastEvaluatedAt = :last");
      values[":last"] = schedule.lastEvaluatedAt;
    }
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.table,
          Key: KEY,
          UpdateExpression: `${sets.length ? `SET ${sets.join(", ")} ` : ""}REMOVE leaseOwner, leaseUntil`,
          ConditionExpression: "leaseOwner = :owner",
          ExpressionAttributeValues: values,
        }),
      );
    } catch (error) {
      // Our lease expired and another run took over: leave its lease alone.
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }
}
