import { ConditionalCheckFailedException } from "@aws-sdk/client-dynamodb";
import { type DynamoDBDocumentClient, GetCommand, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import type { KeyUsageRepository, UsageCounts, UsageWindow } from "../../core/ports.ts";

// One partition per key: `KEYUSE#<keyId>` holds `M#<minute>`, `D#<day>` and `W#<iso week>` counters
// (`requests`, `tokens`). Every change is one atomic UpdateCommand, so instances never lose counts
// and a limit check is a condition on the same write that counts the request.
const PREFIX: Record<UsageWindow["kind"], string> = { minute: "M", day: "D", week: "W" };
const key = (keyId: string, window: UsageWindow) => ({
  pk: `KEYUSE#${keyId}`,
  sk: `${PREFIX[window.kind]}#${window.id}`,
});

export class DynamoKeyUsageRepository implements KeyUsageRepository {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  async admit(
    keyId: string,
    window: UsageWindow,
    limit?: { field: keyof UsageCounts; value: number },
  ): Promise<boolean> {
    const field = limit ? `#${limit.field}` : undefined;
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.table,
          Key: key(keyId, window),
          UpdateExpression: "ADD #requests :one SET expiresAt = :ttl",
          ConditionExpression: field ? `attribute_not_exists(${field}) OR ${field} < :limit` : undefined,
          ExpressionAttributeNames: { "#requests": "requests", ...(field ? { [field]: limit?.field } : {}) },
          ExpressionAttributeValues: {
            ":one": 1,
            ":ttl": window.expiresAt,
            ...(limit ? { ":limit": limit.value } : {}),
          },
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  async release(keyId: string, window: UsageWindow): Promise<void> {
    await this.#add(keyId, window, "requests", -1);
  }

  async addTokens(keyId: string, window: UsageWindow, tokens: number): Promise<void> {
    await this.#add(keyId, window, "tokens", tokens);
  }

  async get(keyId: string, window: UsageWindow): Promise<UsageCounts> {
    const { Item } = await this.db.send(
      new GetCommand({ TableName: this.table, Key: key(keyId, window), ConsistentRead: true }),
    );
    return {
      requests: typeof Item?.requests === "number" ? Item.requests : 0,
      tokens: typeof Item?.tokens === "number" ? Item.tokens : 0,
    };
  }

  async #add(keyId: string, window: UsageWindow, field: keyof UsageCounts, n: number): Promise<void> {
    await this.db.send(
      new UpdateCommand({
        TableName: this.table,
        Key: key(keyId, window),
        UpdateExpression: "ADD #field :n SET expiresAt = :ttl",
        ExpressionAttributeNames: { "#field": field },
        ExpressionAttributeValues: { ":n": n, ":ttl": window.expiresAt },
      }),
    );
  }
}
