import { ConditionalCheckFailedException } from "@aws-sdk/client-dynamodb";
import { type DynamoDBDocumentClient, GetCommand, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import type {
  KeyUsageLimits,
  KeyUsageRepository,
  KeyUsageWindows,
  UsageCounts,
  UsageWindow,
} from "../../core/ports.ts";

// One partition per key, `KEYUSE#<keyId>`: a minute item `M#<minute>` (`requests`), and a week item
// `W#<iso week>` holding the week's `requests` and `tokens` and each of its days' as
// `d:<yyyy-mm-dd>:requests` / `d:<yyyy-mm-dd>:tokens` (a day never spans two weeks). A finished turn's
// tokens are one update of the week item; a request is counted with one conditional update of each
// item, the limit check being the condition. Items written before the week item held the days
// (`D#<day>` items) are no longer read: a key's day counters restart on the day of that upgrade.
const minuteKey = (keyId: string, minute: UsageWindow) => ({ pk: `KEYUSE#${keyId}`, sk: `M#${minute.id}` });
const weekKey = (keyId: string, week: UsageWindow) => ({ pk: `KEYUSE#${keyId}`, sk: `W#${week.id}` });
const dayField = (day: UsageWindow, field: keyof UsageCounts) => `d:${day.id}:${field}`;
const num = (v: unknown) => (typeof v === "number" ? v : 0);

export class DynamoKeyUsageRepository implements KeyUsageRepository {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  async admit(
    keyId: string,
    windows: KeyUsageWindows,
    limits: KeyUsageLimits,
  ): Promise<UsageWindow["kind"][]> {
    const [minute, week] = await Promise.all([
      this.#countMinute(keyId, windows.minute, 1, limits.requestsPerMinute),
      this.#countWeek(keyId, windows, { requests: 1 }, limits),
    ]);
    if (minute && week) return [];
    // Take back the count of the item that admitted it: the request is not served.
    if (minute) await this.#countMinute(keyId, windows.minute, -1);
    if (week) await this.#countWeek(keyId, windows, { requests: -1 }, {});
    const refused: UsageWindow["kind"][] = minute ? [] : ["minute"];
    if (!week) {
      const counts = await this.#readWeek(keyId, windows);
      if (limits.tokensPerDay !== undefined && counts.day.tokens >= limits.tokensPerDay) refused.push("day");
      if (limits.tokensPerWeek !== undefined && counts.week.tokens >= limits.tokensPerWeek)
        refused.push("week");
      // Counted past the limit between the write and the read: name the limit that is set.
      if (refused.length === 0) refused.push(limits.tokensPerDay !== undefined ? "day" : "week");
    }
    return refused;
  }

  async addTokens(
    keyId: string,
    windows: Pick<KeyUsageWindows, "day" | "week">,
    tokens: number,
  ): Promise<void> {
    await this.#countWeek(keyId, windows, { tokens }, {});
  }

  async get(keyId: string, windows: KeyUsageWindows): Promise<Record<UsageWindow["kind"], UsageCounts>> {
    const [minute, week] = await Promise.all([
      this.db.send(
        new GetCommand({
          TableName: this.table,
          Key: minuteKey(keyId, windows.minute),
          ConsistentRead: true,
        }),
      ),
      this.#readWeek(keyId, windows),
    ]);
    return { minute: { requests: num(minute.Item?.requests), tokens: 0 }, ...week };
  }

  async #readWeek(keyId: string, windows: Pick<KeyUsageWindows, "day" | "week">) {
    const { Item } = await this.db.send(
      new GetCommand({ TableName: this.table, Key: weekKey(keyId, windows.week), ConsistentRead: true }),
    );
    return {
      day: {
        requests: num(Item?.[dayField(windows.day, "requests")]),
        tokens: num(Item?.[dayField(windows.day, "tokens")]),
      },
      week: { requests: num(Item?.requests), tokens: num(Item?.tokens) },
    };
  }

  /** Adds `n` requests to the minute item, while below `limit` when one is set; false when refused. */
  async #countMinute(keyId: string, minute: UsageWindow, n: number, limit?: number): Promise<boolean> {
    return this.#update({
      Key: minuteKey(keyId, minute),
      UpdateExpression: "ADD requests :n SET expiresAt = :ttl",
      ConditionExpression:
        limit !== undefined ? "attribute_not_exists(requests) OR requests < :limit" : undefined,
      ExpressionAttributeValues: {
        ":n": n,
        ":ttl": minute.expiresAt,
        ...(limit !== undefined ? { ":limit": limit } : {}),
      },
    });
  }

  /**
   * Adds to the week's and the day's counters in the week item, in one update; with token limits,
   * only while the day's and the week's tokens are below them. False when refused.
   */
  async #countWeek(
    keyId: string,
    windows: Pick<KeyUsageWindows, "day" | "week">,
    add: Partial<UsageCounts>,
    limits: Pick<KeyUsageLimits, "tokensPerDay" | "tokensPerWeek">,
  ): Promise<boolean> {
    const names: Record<string, string> = {};
    const values: Record<string, unknown> = { ":ttl": windows.week.expiresAt };
    const adds: string[] = [];
    for (const field of ["requests", "tokens"] as const) {
      const n = add[field];
      if (n === undefined) continue;
      names[`#w_${field}`] = field;
      names[`#d_${field}`] = dayField(windows.day, field);
      values[`:${field}`] = n;
      adds.push(`#w_${field} :${field}`, `#d_${field} :${field}`);
    }
    const conditions: string[] = [];
    if (limits.tokensPerDay !== undefined) {
      names["#d_limited"] = dayField(windows.day, "tokens");
      values[":dayLimit"] = limits.tokensPerDay;
      conditions.push("(attribute_not_exists(#d_limited) OR #d_limited < :dayLimit)");
    }
    if (limits.tokensPerWeek !== undefined) {
      names["#w_limited"] = "tokens";
      values[":weekLimit"] = limits.tokensPerWeek;
      conditions.push("(attribute_not_exists(#w_limited) OR #w_limited < :weekLimit)");
    }
    return this.#update({
      Key: weekKey(keyId, windows.week),
      UpdateExpression: `ADD ${adds.join(", ")} SET expiresAt = :ttl`,
      ConditionExpression: conditions.length > 0 ? conditions.join(" AND ") : undefined,
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: values,
    });
  }

  async #update(input: Omit<ConstructorParameters<typeof UpdateCommand>[0], "TableName">): Promise<boolean> {
    try {
      await this.db.send(new UpdateCommand({ TableName: this.table, ...input }));
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }
}
