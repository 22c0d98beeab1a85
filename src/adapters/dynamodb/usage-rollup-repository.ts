// Daily usage rollups in the state table: one partition per UTC day (`ROLLUP#<day>`). A request adds
// to two items, one UpdateCommand (`ADD`) each, so concurrent writers on any number of instances never
// lose a count:
// - its Pool's, per model (`pool#<pool>#<model>`): the day's counters, and the Pool's five-minute
//   buckets for the error-rate alert as `5m<HHMM>r` (requests), `5m<HHMM>f` (server-side failures)
//   and `5m<HHMM>e:<code>`;
// - its key and account's, per model (`key#<keyId>#<accountId>#<model>`, `-` for a missing id): the
//   key view sums a key's items, the account view a Pool's items per account.
// Error codes are counted in `err:<code>` attributes. Items of the earlier layout (`key#<keyId>#<model>`
// and `account#<pool>#<accountId>#<model>`, one write each) are still read, beside the new ones, until
// they expire: a request was counted in one layout or the other, never both.
import { type DynamoDBDocumentClient, QueryCommand, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import type { UsageRollupRepository } from "../../core/ports.ts";
import { DAY_MS, utcDay } from "../../core/support/utc-day.ts";
import {
  type RecentBucket,
  ROLLUP_COUNT_FIELDS,
  type RollupDimension,
  type RollupIncrement,
  type RollupSelector,
  type RollupTarget,
  type UsageRollup,
  zeroCounts,
} from "../../core/usage/model.ts";

const ERR = "err:";
const BUCKET = "5m";
const partition = (day: string) => `ROLLUP#${day}`;
// Models are free text from the client: '#' must not split the sort key.
const encodeModel = (model: string) => encodeURIComponent(model);
/** `YYYY-MM-DDTHH:MM` → the bucket's attribute stem, `5m<HHMM>`. */
const bucketStem = (bucket: string) => `${BUCKET}${bucket.slice(11, 13)}${bucket.slice(14, 16)}`;

function sortKey(target: RollupTarget, model: string): string {
  const scope = target.item === "pool" ? [target.pool] : [target.keyId ?? "-", target.accountId ?? "-"];
  return [target.item === "pool" ? "pool" : "key", ...scope, encodeModel(model)].join("#");
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
        const itemNames = { ...names };
        const itemValues = { ...values };
        const itemAdds = [...adds];
        if (target.item === "pool") bucketAdds(increment, itemNames, itemValues, itemAdds);
        const sets: Record<string, unknown> = {
          day: increment.day,
          dimension: target.item,
          pool: target.pool,
          keyId: target.keyId,
          accountId: target.accountId,
          accountLabel: target.accountLabel,
          model: increment.model || undefined,
          expiresAt: increment.expiresAt,
        };
        const setParts: string[] = [];
        for (const [field, value] of Object.entries(sets)) {
          if (value === undefined) continue;
          itemNames[`#s_${field}`] = field;
          itemValues[`:s_${field}`] = value;
          setParts.push(`#s_${field} = :s_${field}`);
        }
        return this.db.send(
          new UpdateCommand({
            TableName: this.table,
            Key: { pk: partition(increment.day), sk: sortKey(target, increment.model) },
            UpdateExpression: `ADD ${itemAdds.join(", ")} SET ${setParts.join(", ")}`,
            ExpressionAttributeNames: itemNames,
            ExpressionAttributeValues: itemValues,
          }),
        );
      }),
    );
  }

  async listRecent(pool: string, fromBucket: string, toBucket: string): Promise<RecentBucket[]> {
    const out: RecentBucket[] = [];
    const fromDay = fromBucket.slice(0, 10);
    const toDay = toBucket.slice(0, 10);
    for (let ms = Date.parse(fromDay); ms <= Date.parse(toDay); ms += DAY_MS) {
      const day = utcDay(ms);
      for (const item of await this.#query(day, `pool#${pool}#`)) {
        if (item.pool !== pool) continue;
        for (const bucket of bucketsOf(item, day)) {
          if (bucket.bucket >= fromBucket && bucket.bucket <= toBucket) out.push(bucket);
        }
      }
    }
    return out;
  }

  async list(day: string, selector: RollupSelector): Promise<UsageRollup[]> {
    const items: Record<string, unknown>[] = [];
    if (selector.dimension === "pool") {
      items.push(...(await this.#query(day, selector.pool ? `pool#${selector.pool}#` : "pool#")));
    } else if (selector.dimension === "key") {
      // A key's items of both layouts share the prefix `key#<keyId>#`.
      items.push(...(await this.#query(day, selector.keyId ? `key#${selector.keyId}#` : "key#")));
    } else {
      const [old, current] = await Promise.all([
        this.#query(day, accountPrefix(selector)),
        this.#query(day, "key#"),
      ]);
      items.push(...old, ...current);
    }
    const out: UsageRollup[] = [];
    for (const item of items) {
      // Key × account items count in the key view when they have a key, in the account view when
      // they have an account.
      if (item.dimension === "use") {
        if (selector.dimension === "key" ? item.keyId === undefined : item.accountId === undefined) continue;
      } else if (item.dimension !== selector.dimension) continue;
      const rollup = toRollup(item, selector.dimension);
      if (selector.pool !== undefined && rollup.pool !== selector.pool) continue;
      if (selector.keyId !== undefined && rollup.keyId !== selector.keyId) continue;
      if (selector.accountId !== undefined && rollup.accountId !== selector.accountId) continue;
      out.push(rollup);
    }
    return out;
  }

  async #query(day: string, prefix: string): Promise<Record<string, unknown>[]> {
    const out: Record<string, unknown>[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const page = await this.db.send(
        new QueryCommand({
          TableName: this.table,
          KeyConditionExpression: "pk = :p AND begins_with(sk, :prefix)",
          ExpressionAttributeValues: { ":p": partition(day), ":prefix": prefix },
          ConsistentRead: true,
          ExclusiveStartKey: start,
        }),
      );
      out.push(...(page.Items ?? []));
      start = page.LastEvaluatedKey;
    } while (start);
    return out;
  }
}

/** The earlier layout's account items: `account#<pool>#<accountId>#`, as far as the selector names. */
function accountPrefix(selector: RollupSelector): string {
  const parts = ["account"];
  for (const part of [selector.pool, selector.accountId]) {
    if (part === undefined) break;
    parts.push(part);
  }
  return `${parts.join("#")}#`;
}

/** The Pool item's five-minute bucket counters. */
function bucketAdds(
  increment: RollupIncrement,
  names: Record<string, string>,
  values: Record<string, unknown>,
  adds: string[],
): void {
  const stem = bucketStem(increment.recent.bucket);
  names["#b_r"] = `${stem}r`;
  values[":b_r"] = increment.counts.requests;
  adds.push("#b_r :b_r");
  if (increment.recent.failures > 0) {
    names["#b_f"] = `${stem}f`;
    values[":b_f"] = increment.recent.failures;
    adds.push("#b_f :b_f");
  }
  if (increment.recent.errorCode) {
    names["#b_e"] = `${stem}e:${increment.recent.errorCode}`;
    values[":b_e"] = 1;
    adds.push("#b_e :b_e");
  }
}

/** A Pool item's buckets (`5m<HHMM>r|f|e:<code>` attributes). */
function bucketsOf(item: Record<string, unknown>, day: string): RecentBucket[] {
  const buckets = new Map<string, RecentBucket>();
  const model = typeof item.model === "string" ? item.model : "";
  for (const [name, value] of Object.entries(item)) {
    if (!name.startsWith(BUCKET) || typeof value !== "number") continue;
    const hhmm = name.slice(2, 6);
    const kind = name.charAt(6);
    const id = `${day}T${hhmm.slice(0, 2)}:${hhmm.slice(2)}`;
    let bucket = buckets.get(id);
    if (!bucket) {
      bucket = { bucket: id, model, requests: 0, failures: 0, errorCodes: {} };
      buckets.set(id, bucket);
    }
    if (kind === "r") bucket.requests += value;
    else if (kind === "f") bucket.failures += value;
    else if (name.startsWith("e:", 6)) bucket.errorCodes[name.slice(8)] = value;
  }
  return [...buckets.values()];
}

function errorCodesOf(item: Record<string, unknown>): Record<string, number> {
  const errorCodes: Record<string, number> = {};
  for (const [name, value] of Object.entries(item)) {
    if (name.startsWith(ERR) && typeof value === "number") errorCodes[name.slice(ERR.length)] = value;
  }
  return errorCodes;
}

function toRollup(item: Record<string, unknown>, dimension: RollupDimension): UsageRollup {
  const counts = zeroCounts();
  for (const field of ROLLUP_COUNT_FIELDS) {
    const value = item[field];
    if (typeof value === "number") counts[field] = value;
  }
  const errorCodes = errorCodesOf(item);
  const str = (v: unknown) => (typeof v === "string" ? v : undefined);
  return {
    day: String(item.day),
    dimension,
    pool: String(item.pool),
    keyId: str(item.keyId),
    accountId: str(item.accountId),
    accountLabel: str(item.accountLabel),
    model: str(item.model) ?? "",
    counts,
    errorCodes,
  };
}
