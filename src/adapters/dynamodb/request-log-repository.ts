import {
  type DynamoDBDocumentClient,
  GetCommand,
  QueryCommand,
  type QueryCommandOutput,
} from "@aws-sdk/lib-dynamodb";
import { sortableIdTime } from "../../core/ids.ts";
import type { RequestLog } from "../../core/model.ts";
import type { Clock, Page, RequestLogQuery, RequestLogRepository } from "../../core/ports.ts";
import { DAY_MS, utcDay } from "../../core/support/utc-day.ts";
import { directPutWriter, type PutWriter } from "./batch-writer.ts";
import { decodeCursor, encodeCursor, fromItem, isTableKey } from "./items.ts";

const day = utcDay;

interface LogCursor {
  day: number;
  start?: Record<string, unknown>;
}

const MAX_DAY = 100_000_000; // the last day a JS Date can hold

function isLogCursor(value: unknown): value is LogCursor {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
  const { day: d, start, ...rest } = value as Record<string, unknown>;
  if (Object.keys(rest).length > 0 || !Number.isInteger(d) || (d as number) < 0 || (d as number) > MAX_DAY) {
    return false;
  }
  return start === undefined || isTableKey(start, `LOG#${day((d as number) * DAY_MS)}`);
}

// One partition per UTC day keeps writes spread and lets "newest first" walk back day by day.
// Rows carry `expiresAt` for DynamoDB TTL; reads also skip expired rows (the emulator has no TTL).
export class DynamoRequestLogRepository implements RequestLogRepository {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
    private readonly clock: Clock,
    private readonly retentionDays: number,
    /** Direct puts on AWS; batched on the local host (see batch-writer.ts). */
    private readonly writer: PutWriter = directPutWriter(db),
  ) {}

  async append(log: RequestLog): Promise<void> {
    await this.writer.put(this.table, { pk: `LOG#${day(log.at)}`, sk: log.id, ...log });
  }

  async get(id: string): Promise<RequestLog | undefined> {
    // The id carries the time it was minted at, which names the day partition.
    const at = sortableIdTime(id);
    if (at === undefined) return undefined;
    const pk = `LOG#${day(at)}`;
    const Item =
      this.writer.pending(this.table, pk, id) ??
      (await this.db.send(new GetCommand({ TableName: this.table, Key: { pk, sk: id } }))).Item;
    const log = fromItem<RequestLog>(Item);
    return log && log.expiresAt > Math.floor(this.clock.now() / 1000) ? log : undefined;
  }

  async list(query: RequestLogQuery): Promise<Page<RequestLog>> {
    // A listing must show every row this instance has logged.
    await this.writer.flush();
    const now = this.clock.now();
    const oldest = Math.floor((now - this.retentionDays * DAY_MS) / DAY_MS);
    const cursor = decodeCursor(query.cursor, isLogCursor) ?? { day: Math.floor(now / DAY_MS) };
    const items: RequestLog[] = [];
    const filters = ["expiresAt > :now"];
    const values: Record<string, unknown> = { ":now": Math.floor(now / 1000) };
    if (query.pool) {
      filters.push("#pool = :pool");
      values[":pool"] = query.pool;
    }
    if (query.pools) {
      if (query.pools.length === 0) return { items: [] };
      filters.push(`#pool IN (${query.pools.map((_, i) => `:pool${i}`).join(", ")})`);
      for (const [i, pool] of query.pools.entries()) values[`:pool${i}`] = pool;
    }
    if (query.keyId) {
      filters.push("keyId = :key");
      values[":key"] = query.keyId;
    }
    let current: LogCursor | undefined = cursor;
    let budget = query.scanLimit ?? Number.POSITIVE_INFINITY;
    while (current && current.day >= oldest && items.length < query.limit && budget > 0) {
      const page: QueryCommandOutput = await this.db.send(
        new QueryCommand({
          TableName: this.table,
          KeyConditionExpression: "pk = :p",
          FilterExpression: filters.join(" AND "),
          ExpressionAttributeNames: query.pool || query.pools ? { "#pool": "pool" } : undefined,
          ExpressionAttributeValues: { ...values, ":p": `LOG#${day(current.day * DAY_MS)}` },
          ScanIndexForward: false,
          Limit: query.scanLimit ? Math.min(budget, 500) : query.limit - items.length,
          ExclusiveStartKey: current.start,
        }),
      );
      budget -= page.ScannedCount ?? 0;
      for (const item of page.Items ?? []) items.push(fromItem<RequestLog>(item) as RequestLog);
      current = page.LastEvaluatedKey
        ? { day: current.day, start: page.LastEvaluatedKey }
        : { day: current.day - 1 };
    }
    if (query.scanLimit) return { items: items.slice(0, query.limit) };
    const more = current && current.day >= oldest;
    return { items, nextCursor: more ? encodeCursor(current) : undefined };
  }
}
