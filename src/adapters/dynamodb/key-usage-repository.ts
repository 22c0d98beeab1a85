import { ConditionalCheckFailedException } from "@aws-sdk/client-dynamodb";
import { type DynamoDBDocumentClient, GetCommand, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import type {
  KeyUsageLimits,
  KeyUsageRepository,
  KeyUsageWindows,
  UsageCounts,
  UsageWindow,
} from "../../core/ports.ts";

// One item per key and ISO week, `KEYUSE#<keyId>` / `W#<iso week>`: the week's `requests` and
// `tokens`, each of its days' as `d:<yyyy-mm-dd>:requests` / `d:<yyyy-mm-dd>:tokens` (a day never
// spans two weeks), and the current minute as a slot, `minute` (its id) and `minuteRequests`, which a
// request in a later minute resets. So a request is counted, and checked against every limit of its
// key, by one conditional update, and a finished turn's tokens are one update too. Items of the
// earlier layout (`M#<minute>` and `D#<day>` items) are no longer read: on the day of that upgrade a
// key's day counters restart, and its minute counter with the next minute.
const weekKey = (keyId: string, week: UsageWindow) => ({ pk: `KEYUSE#${keyId}`, sk: `W#${week.id}` });
const dayField = (day: UsageWindow, field: keyof UsageCounts) => `d:${day.id}:${field}`;
const num = (v: unknown) => (typeof v === "number" ? v : 0);
/** Keys whose last minute this instance remembers (which form of the update to try first). */
const MINUTE_HINTS = 10_000;

export class DynamoKeyUsageRepository implements KeyUsageRepository {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  readonly #minutes = new Map<string, string>();

  async admit(
    keyId: string,
    windows: KeyUsageWindows,
    limits: KeyUsageLimits,
  ): Promise<UsageWindow["kind"][]> {
    let minute = windows.minute.id;
    for (let round = 0; round < 2; round++) {
      // Same minute as this instance's last request for the key: add to the slot; else start it anew.
      const forms = this.#minutes.get(keyId) === minute ? [true, false] : [false, true];
      for (const sameMinute of forms) {
        if (await this.#countRequest(keyId, windows, minute, sameMinute, limits)) {
          if (this.#minutes.size >= MINUTE_HINTS) this.#minutes.clear();
          this.#minutes.set(keyId, minute);
          return [];
        }
      }
      // Refused: read which limit refused it (the only read on this path).
      const item = await this.#read(keyId, windows.week);
      const stored = typeof item?.minute === "string" ? item.minute : undefined;
      const refused: UsageWindow["kind"][] = [];
      if (limits.requestsPerMinute !== undefined && stored === minute) {
        if (num(item?.minuteRequests) >= limits.requestsPerMinute) refused.push("minute");
      }
      if (
        limits.tokensPerDay !== undefined &&
        num(item?.[dayField(windows.day, "tokens")]) >= limits.tokensPerDay
      ) {
        refused.push("day");
      }
      if (limits.tokensPerWeek !== undefined && num(item?.tokens) >= limits.tokensPerWeek)
        refused.push("week");
      if (refused.length > 0) return refused;
      // Nothing is over a limit: another instance moved the slot between the two forms, or its clock
      // is a little ahead (its minute is later than ours). Once more, in the stored minute if later.
      if (stored !== undefined && stored > minute) minute = stored;
    }
    return [
      limits.requestsPerMinute !== undefined ? "minute" : limits.tokensPerDay !== undefined ? "day" : "week",
    ];
  }

  async addTokens(
    keyId: string,
    windows: Pick<KeyUsageWindows, "day" | "week">,
    tokens: number,
  ): Promise<void> {
    await this.db.send(
      new UpdateCommand({
        TableName: this.table,
        Key: weekKey(keyId, windows.week),
        UpdateExpression: "ADD #tokens :n, #day :n SET expiresAt = :ttl",
        ExpressionAttributeNames: { "#tokens": "tokens", "#day": dayField(windows.day, "tokens") },
        ExpressionAttributeValues: { ":n": tokens, ":ttl": windows.week.expiresAt },
      }),
    );
  }

  async get(keyId: string, windows: KeyUsageWindows): Promise<Record<UsageWindow["kind"], UsageCounts>> {
    const item = await this.#read(keyId, windows.week);
    return {
      minute: { requests: item?.minute === windows.minute.id ? num(item.minuteRequests) : 0, tokens: 0 },
      day: {
        requests: num(item?.[dayField(windows.day, "requests")]),
        tokens: num(item?.[dayField(windows.day, "tokens")]),
      },
      week: { requests: num(item?.requests), tokens: num(item?.tokens) },
    };
  }

  async #read(keyId: string, week: UsageWindow): Promise<Record<string, unknown> | undefined> {
    const { Item } = await this.db.send(
      new GetCommand({ TableName: this.table, Key: weekKey(keyId, week), ConsistentRead: true }),
    );
    return Item;
  }

  /**
   * Counts one request in the week, its day and its minute, while every limit holds. `sameMinute`:
   * the slot already holds this minute (add to it); else the slot holds an earlier one or none (start
   * it at 1). False when the condition refused it (a limit, or the slot in the other state).
   */
  async #countRequest(
    keyId: string,
    windows: Pick<KeyUsageWindows, "day" | "week">,
    minute: string,
    sameMinute: boolean,
    limits: KeyUsageLimits,
  ): Promise<boolean> {
    // Attribute names through placeholders: `minute` is a DynamoDB reserved word.
    const names: Record<string, string> = {
      "#minute": "minute",
      "#minuteRequests": "minuteRequests",
      "#requests": "requests",
      "#dayRequests": dayField(windows.day, "requests"),
    };
    const values: Record<string, unknown> = { ":one": 1, ":minute": minute, ":ttl": windows.week.expiresAt };
    const conditions = sameMinute
      ? ["#minute = :minute"]
      : ["(attribute_not_exists(#minute) OR #minute < :minute)"];
    if (sameMinute && limits.requestsPerMinute !== undefined) {
      values[":rpm"] = limits.requestsPerMinute;
      conditions.push("#minuteRequests < :rpm");
    }
    if (limits.tokensPerDay !== undefined) {
      names["#dayTokens"] = dayField(windows.day, "tokens");
      values[":perDay"] = limits.tokensPerDay;
      conditions.push("(attribute_not_exists(#dayTokens) OR #dayTokens < :perDay)");
    }
    if (limits.tokensPerWeek !== undefined) {
      names["#tokens"] = "tokens";
      values[":perWeek"] = limits.tokensPerWeek;
      conditions.push("(attribute_not_exists(#tokens) OR #tokens < :perWeek)");
    }
    return this.#update({
      Key: weekKey(keyId, windows.week),
      UpdateExpression: sameMinute
        ? "ADD #minuteRequests :one, #requests :one, #dayRequests :one SET expiresAt = :ttl"
        : "ADD #requests :one, #dayRequests :one SET #minute = :minute, #minuteRequests = :one, expiresAt = :ttl",
      ConditionExpression: conditions.join(" AND "),
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
