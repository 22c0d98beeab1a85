// Daily clean-up of request-log rows outside the retention window. DynamoDB TTL on `expiresAt`
// removes expired rows on AWS, but lazily (often days late) and never rows written under a longer
// retention setting; this sweep deletes whole day partitions past the window, a bounded number of
// rows per run. Keys only are read, so it never touches row contents.
import { BatchWriteCommand, type DynamoDBDocumentClient, QueryCommand } from "@aws-sdk/lib-dynamodb";
import type { Clock } from "../../core/ports.ts";
import { DAY_MS, utcDay } from "../../core/support/utc-day.ts";

const day = (dayNumber: number) => utcDay(dayNumber * DAY_MS);

export interface RetentionOptions {
  table: string;
  retentionDays: number;
  clock: Clock;
  /** How many days before the window to sweep (one daily run covers each day many times over). */
  lookbackDays?: number;
  /** Upper bound of rows deleted per run, to stay well inside the function timeout. */
  maxDeletes?: number;
  /** Ends the run between pages (the local host stopping). */
  signal?: AbortSignal;
}

export async function purgeExpiredRequestLogs(
  db: DynamoDBDocumentClient,
  options: RetentionOptions,
): Promise<{ deleted: number; days: number }> {
  const today = Math.floor(options.clock.now() / DAY_MS);
  const newestExpired = today - options.retentionDays - 1;
  const lookback = options.lookbackDays ?? 14;
  const maxDeletes = options.maxDeletes ?? 20_000;
  let deleted = 0;
  let days = 0;
  for (
    let d = newestExpired;
    d > newestExpired - lookback && deleted < maxDeletes && !options.signal?.aborted;
    d--
  ) {
    days++;
    let start: Record<string, unknown> | undefined;
    do {
      const page = await db.send(
        new QueryCommand({
          TableName: options.table,
          KeyConditionExpression: "pk = :p",
          ExpressionAttributeValues: { ":p": `LOG#${day(d)}` },
          ProjectionExpression: "pk, sk",
          ExclusiveStartKey: start,
          Limit: Math.min(1000, maxDeletes - deleted),
        }),
      );
      const keys = (page.Items ?? []) as { pk: string; sk: string }[];
      for (let i = 0; i < keys.length; i += 25) await deleteBatch(db, options.table, keys.slice(i, i + 25));
      deleted += keys.length;
      start = page.LastEvaluatedKey;
    } while (start && deleted < maxDeletes && !options.signal?.aborted);
  }
  return { deleted, days };
}

async function deleteBatch(db: DynamoDBDocumentClient, table: string, keys: { pk: string; sk: string }[]) {
  let requests = keys.map((Key) => ({ DeleteRequest: { Key } }));
  for (let attempt = 0; requests.length > 0; attempt++) {
    if (attempt > 5) throw new Error(`retention: ${requests.length} deletes still unprocessed`);
    if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, 50 * 2 ** attempt));
    const out = await db.send(new BatchWriteCommand({ RequestItems: { [table]: requests } }));
    requests = (out.UnprocessedItems?.[table] ?? []) as typeof requests;
  }
}
