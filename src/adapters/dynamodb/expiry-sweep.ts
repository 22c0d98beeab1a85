// What DynamoDB's TTL does on AWS, for stores that have none (the embedded emulator): deletes items
// whose `expiresAt` (epoch seconds) has passed. Without it a local gateway keeps every continuity
// pin, request-log row, rate window and rollup it ever wrote, and its data directory grows with
// every request. Reads already skip expired items, so removing them changes no answer.
//
// The scan resumes where the previous run stopped (a cursor per table) and examines a bounded
// number of items per run, so one run never holds the store for long. Each delete is conditional
// on the item still being expired: an item rewritten with a later expiry since the scan survives.
import { ConditionalCheckFailedException } from "@aws-sdk/client-dynamodb";
import { DeleteCommand, type DynamoDBDocumentClient, ScanCommand } from "@aws-sdk/lib-dynamodb";
import type { Clock } from "../../core/ports.ts";
import { TTL_ATTRIBUTE } from "./tables.ts";

type Key = { pk: string; sk: string };

export interface ExpirySweepOptions {
  tables: string[];
  clock: Clock;
  /** Items examined per scan page. */
  pageSize?: number;
  /** Scan pages per table per run; the next run continues from there. */
  pagesPerRun?: number;
  /** Deletes in flight at once. */
  concurrency?: number;
}

export interface ExpirySweepResult {
  /** Items examined by the scans of this run. */
  scanned: number;
  deleted: number;
  /** Tables whose scan reached the end in this run (the next run starts them over). */
  completed: number;
}

export function expirySweeper(db: DynamoDBDocumentClient, options: ExpirySweepOptions) {
  const pageSize = options.pageSize ?? 500;
  const pagesPerRun = options.pagesPerRun ?? 40;
  const concurrency = options.concurrency ?? 8;
  const cursors = new Map<string, Record<string, unknown> | undefined>();

  const remove = async (table: string, keys: Key[], nowS: number): Promise<number> => {
    let deleted = 0;
    let next = 0;
    const worker = async () => {
      while (next < keys.length) {
        const Key = keys[next++] as Key;
        try {
          await db.send(
            new DeleteCommand({
              TableName: table,
              Key,
              ConditionExpression: "#ttl < :now",
              ExpressionAttributeNames: { "#ttl": TTL_ATTRIBUTE },
              ExpressionAttributeValues: { ":now": nowS },
            }),
          );
          deleted++;
        } catch (error) {
          // Rewritten with a later expiry (or already gone) since the scan: not ours to delete.
          if (!(error instanceof ConditionalCheckFailedException)) throw error;
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, keys.length) }, worker));
    return deleted;
  };

  /** One run; `signal` ends it between pages (a stopping host does not wait for a whole run). */
  return async function sweep(signal?: AbortSignal): Promise<ExpirySweepResult> {
    const result: ExpirySweepResult = { scanned: 0, deleted: 0, completed: 0 };
    for (const table of options.tables) {
      let start = cursors.get(table);
      for (let page = 0; page < pagesPerRun && !signal?.aborted; page++) {
        const nowS = Math.floor(options.clock.now() / 1000);
        const out = await db.send(
          new ScanCommand({
            TableName: table,
            Limit: pageSize,
            ExclusiveStartKey: start,
            FilterExpression: "#ttl < :now",
            ProjectionExpression: "pk, sk",
            ExpressionAttributeNames: { "#ttl": TTL_ATTRIBUTE },
            ExpressionAttributeValues: { ":now": nowS },
          }),
        );
        result.scanned += out.ScannedCount ?? 0;
        result.deleted += await remove(table, (out.Items ?? []) as Key[], nowS);
        start = out.LastEvaluatedKey;
        if (!start) {
          result.completed++;
          break;
        }
        // Between pages, let requests waiting on the store go first.
        await new Promise((resolve) => setImmediate(resolve));
      }
      cursors.set(table, start);
    }
    return result;
  };
}
