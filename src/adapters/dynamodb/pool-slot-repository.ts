import { ConditionalCheckFailedException } from "@aws-sdk/client-dynamodb";
import { type DynamoDBDocumentClient, GetCommand, PutCommand, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import type { PoolSlotRepository } from "../../core/ports.ts";

// One item per Pool: `slots` maps each taken slot to its end (epoch ms). Taking one is a conditional
// update on the map's size; a slot whose holder died (a Lambda cut short) ends by itself and is
// removed the next time the Pool looks full.
const key = (pool: string) => ({ pk: `POOLSLOTS#${pool}`, sk: "S" });

const lost = (error: unknown) => error instanceof ConditionalCheckFailedException;

export class DynamoPoolSlotRepository implements PoolSlotRepository {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  async take(pool: string, slot: string, cap: number, untilMs: number, nowMs: number): Promise<boolean> {
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        await this.db.send(
          new UpdateCommand({
            TableName: this.table,
            Key: key(pool),
            UpdateExpression: "SET slots.#s = :until",
            ConditionExpression: "size(slots) < :cap",
            ExpressionAttributeNames: { "#s": slot },
            ExpressionAttributeValues: { ":until": untilMs, ":cap": cap },
          }),
        );
        return true;
      } catch (error) {
        if (!lost(error)) throw error;
      }
      // Full, or no item yet: create it, or reclaim the slots that have ended, then try again.
      const { Item } = await this.db.send(
        new GetCommand({ TableName: this.table, Key: key(pool), ConsistentRead: true }),
      );
      const slots = (Item?.slots ?? undefined) as Record<string, number> | undefined;
      if (!slots) {
        try {
          await this.db.send(
            new PutCommand({
              TableName: this.table,
              Item: { ...key(pool), slots: {} },
              ConditionExpression: "attribute_not_exists(pk)",
            }),
          );
        } catch (error) {
          if (!lost(error)) throw error;
        }
        continue;
      }
      const ended = Object.entries(slots).filter(([, until]) => until <= nowMs);
      if (ended.length === 0) return false;
      const names: Record<string, string> = {};
      const values: Record<string, number> = {};
      ended.forEach(([id, until], i) => {
        names[`#e${i}`] = id;
        values[`:e${i}`] = until;
      });
      try {
        await this.db.send(
          new UpdateCommand({
            TableName: this.table,
            Key: key(pool),
            UpdateExpression: `REMOVE ${ended.map((_, i) => `slots.#e${i}`).join(", ")}`,
            // Only while each is still the slot that ended (not one taken again under the same id).
            ConditionExpression: ended.map((_, i) => `slots.#e${i} = :e${i}`).join(" AND "),
            ExpressionAttributeNames: names,
            ExpressionAttributeValues: values,
          }),
        );
      } catch (error) {
        if (!lost(error)) throw error;
      }
    }
    return false;
  }

  async give(pool: string, slot: string): Promise<void> {
    await this.db
      .send(
        new UpdateCommand({
          TableName: this.table,
          Key: key(pool),
          UpdateExpression: "REMOVE slots.#s",
          ConditionExpression: "attribute_exists(pk)",
          ExpressionAttributeNames: { "#s": slot },
        }),
      )
      .catch((error) => {
        if (!lost(error)) throw error;
      });
  }
}
