// Daily usage rollups in the state table: one partition per UTC day (`ROLLUP#<day>`), one item per
// dimension and model (`pool#<pool>#<model>`, `key#<keyId>#<model>`, `account#<pool>#<accountId>#<model>`).
// Every request adds to its items with one UpdateCommand each (`ADD`), so concurrent writers on any
// number of instances never lose a count. Error codes are counted in `err:<code>` attributes.
// Five-minute buckets per Pool (`RECENT#<pool>`, sort key `<YYYY-MM-DDTHH:MM>#<model>`) count
// requests and server-side failures for the error-rate alert; they expire after two days.
import { type DynamoDBDocumentClient, QueryCommand, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import type { UsageRollupRepository } from "../../core/ports.ts";
import {
  type RecentBucket,
  type RecentIncrement,
  ROLLUP_COUNT_FIELDS,
  type RollupDimension,
  type RollupIncrement,
  type RollupSelector,
  type RollupTarget,
  type UsageRollup,
  zeroCounts,
} from "../../core/usage/model.ts";

const ERR = "err:";
const partition = (day: string) => `ROLLUP#${day}`;
// Models are free text from the client: '#' must not split the sort key.
const encodeModel = (model: string) => encodeURIComponent(model);

/** Key parts after the dimension: Pool, key id, or Pool then account id (as far as known). */
function scopeParts(s: { dimension: RollupDimension; pool?: string; keyId?: string; accountId?: string }) {
  const parts = s.dimension === "pool" ? [s.pool] : s.dimension === "key" ? [s.keyId] : [s.pool, s.accountId];
  const known: string[] = [];
  for (const part of parts) {
    if (part === undefined) break;
    known.push(part);
  }
  return known;
}

function sortKey(target: RollupTarget, model: string): string {
  return [target.dimension, ...scopeParts(target), encodeModel(model)].join("#");
}

/** The sort-key prefix that selects a dimension, narrowed as far as the key layout allows. */
function prefixOf(selector: RollupSelector): string {
  return `${[selector.dimension, ...scopeParts(selector)].join("#")}#`;
}

export class DynamoUsageRollupRepository implements UsageRollupRepository {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  async add(targets: RollupTarget[], increment: RollupIncrement): Promise<void> {
    const names: Record<string, string> = {};
    const values: Record<string, unknown> = {};
    const adds: string[] = [];
    ROLLUP_COUNT_FIELDS.forEach((field, i) => {
      const n = increment.counts[field];
      if (n === 0 && field !== "requests") return;
      names[`#c${i}`] = field;
      values[`:c${i}`] = n;
      adds.push(`#c${i} :c${i}`);
    });
    if (increment.errorCode) {
      names["#err"] = `${ERR}${increment.errorCode}`;
      values[":err"] = 1;
      adds.push("#err :err");
    }
    await Promise.all(
      targets.map((target) => {
        const sets: Record<string, unknown> = {
          day: increment.day,
          dimension: target.dimension,
          pool: target.pool,
          keyId: target.keyId,
          accountId: target.accountId,
          accountLabel: target.accountLabel,
          model: increment.model || undefined,
          expiresAt: increment.expiresAt,
        };
        const setNames: Record<string, string> = {};
        const setValues: Record<string, unknown> = {};
        const setParts: string[] = [];
        for (const [field, value] of Object.entries(sets)) {
          if (value === undefined) continue;
          setNames[`#s_${field}`] = field;
          setValues[`:s_${field}`] = value;
          setParts.push(`#s_${field} = :s_${field}`);
        }
        return this.db.send(
          new UpdateCommand({
            TableName: this.table,
            Key: { pk: partition(increment.day), sk: sortKey(target, increment.model) },
            UpdateExpression: `ADD ${adds.join(", ")} SET ${setParts.join(", ")}`,
            ExpressionAttributeNames: { ...names, ...setNames },
            ExpressionAttributeValues: { ...values, ...setValues },
          }),
        );
      }),
    );
  }

  async addRecent(increment: RecentIncrement): Promise<void> {
    const adds = ["#requests :n"];
    const names: Record<string, string> = { "#requests": "requests", "#bucket": "bucket" };
    const values: Record<string, unknown> = {
      ":n": increment.requests ?? 1,
      ":bucket": increment.bucket,
      ":ttl": increment.expiresAt,
    };
    // DynamoDB rejects a value the expression does not use: `:one` only when something fails.
    if (increment.failure || increment.errorCode) values[":one"] = 1;
    if (increment.failure) {
      adds.push("#failures :one");
      names["#failures"] = "failures";
    }
    if (increment.errorCode) {
      adds.push("#err :one");
      names["#err"] = `${ERR}${increment.errorCode}`;
    }
    const setModel = increment.model ? ", #model = :model" : "";
    if (increment.model) {
      names["#model"] = "model";
      values[":model"] = increment.model;
    }
    await this.db.send(
      new UpdateCommand({
        TableName: this.table,
        Key: { pk: `RECENT#${increment.pool}`, sk: `${increment.bucket}#${encodeModel(increment.model)}` },
        UpdateExpression: `ADD ${adds.join(", ")} SET #bucket = :bucket, expiresAt = :ttl${setModel}`,
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
      }),
    );
  }

  async listRecent(pool: string, fromBucket: string, toBucket: string): Promise<RecentBucket[]> {
    const out: RecentBucket[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const page = await this.db.send(
        new QueryCommand({
          TableName: this.table,
          KeyConditionExpression: "pk = :p AND sk BETWEEN :from AND :to",
          // `<bucket>#…` sorts after `<bucket>#` and before `<bucket>$`: the bounds take whole buckets.
          ExpressionAttributeValues: {
            ":p": `RECENT#${pool}`,
            ":from": `${fromBucket}#`,
            ":to": `${toBucket}$`,
          },
          ConsistentRead: true,
          ExclusiveStartKey: start,
        }),
      );
      for (const item of page.Items ?? []) out.push(toRecent(item));
      start = page.LastEvaluatedKey;
    } while (start);
    return out;
  }

  async list(day: string, selector: RollupSelector): Promise<UsageRollup[]> {
    const out: UsageRollup[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const page = await this.db.send(
        new QueryCommand({
          TableName: this.table,
          KeyConditionExpression: "pk = :p AND begins_with(sk, :prefix)",
          ExpressionAttributeValues: { ":p": partition(day), ":prefix": prefixOf(selector) },
          ConsistentRead: true,
          ExclusiveStartKey: start,
        }),
      );
      for (const item of page.Items ?? []) {
        const rollup = toRollup(item);
        if (selector.pool !== undefined && rollup.pool !== selector.pool) continue;
        if (selector.keyId !== undefined && rollup.keyId !== selector.keyId) continue;
        if (selector.accountId !== undefined && rollup.accountId !== selector.accountId) continue;
        out.push(rollup);
      }
      start = page.LastEvaluatedKey;
    } while (start);
    return out;
  }
}

function toRecent(item: Record<string, unknown>): RecentBucket {
  const num = (v: unknown) => (typeof v === "number" ? v : 0);
  return {
    bucket: String(item.bucket),
    model: typeof item.model === "string" ? item.model : "",
    requests: num(item.requests),
    failures: num(item.failures),
    errorCodes: errorCodesOf(item),
  };
}

function errorCodesOf(item: Record<string, unknown>): Record<string, number> {
  const errorCodes: Record<string, number> = {};
  for (const [name, value] of Object.entries(item)) {
    if (name.startsWith(ERR) && typeof value === "number") errorCodes[name.slice(ERR.length)] = value;
  }
  return errorCodes;
}

function toRollup(item: Record<string, unknown>): UsageRollup {
  const counts = zeroCounts();
  for (const field of ROLLUP_COUNT_FIELDS) {
    const value = item[field];
    if (typeof value === "number") counts[field] = value;
  }
  const errorCodes = errorCodesOf(item);
  const str = (v: unknown) => (typeof v === "string" ? v : undefined);
  return {
    day: String(item.day),
    dimension: item.dimension as RollupDimension,
    pool: String(item.pool),
    keyId: str(item.keyId),
    accountId: str(item.accountId),
    accountLabel: str(item.accountLabel),
    model: str(item.model) ?? "",
    counts,
    errorCodes,
  };
}
