// Small helpers shared by the repositories: key stripping, update expressions, opaque cursors.
import { ConditionalCheckFailedException } from "@aws-sdk/client-dynamodb";
import {
  type DynamoDBDocumentClient,
  PutCommand,
  QueryCommand,
  type QueryCommandInput,
  UpdateCommand,
} from "@aws-sdk/lib-dynamodb";
import { badRequest } from "../../core/errors.ts";

const KEY_ATTRIBUTES = new Set(["pk", "sk", "gsi1pk", "gsi1sk"]);

export function fromItem<T>(item: Record<string, unknown> | undefined): T | undefined {
  if (!item) return undefined;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(item)) if (!KEY_ATTRIBUTES.has(k)) out[k] = v;
  return out as T;
}

/** SET for defined values, REMOVE for explicit undefined, so a patch can clear a field. */
export function updateExpression(patch: Record<string, unknown>) {
  const names: Record<string, string> = {};
  const values: Record<string, unknown> = {};
  const sets: string[] = [];
  const removes: string[] = [];
  let i = 0;
  for (const [key, value] of Object.entries(patch)) {
    i++;
    names[`#f${i}`] = key;
    if (value === undefined) removes.push(`#f${i}`);
    else {
      values[`:v${i}`] = value;
      sets.push(`#f${i} = :v${i}`);
    }
  }
  const parts = [];
  if (sets.length) parts.push(`SET ${sets.join(", ")}`);
  if (removes.length) parts.push(`REMOVE ${removes.join(", ")}`);
  return {
    UpdateExpression: parts.join(" "),
    ExpressionAttributeNames: names,
    ExpressionAttributeValues: Object.keys(values).length ? values : undefined,
  };
}

export function encodeCursor(value: unknown): string | undefined {
  return value === undefined ? undefined : Buffer.from(JSON.stringify(value)).toString("base64url");
}

/** Decodes a cursor from `encodeCursor`; anything that is not JSON of the expected shape is a 400. */
export function decodeCursor<T>(
  cursor: string | undefined,
  isValid: (value: unknown) => value is T,
): T | undefined {
  if (!cursor) return undefined;
  const invalid = () => badRequest("cursor is not valid; pass the nextCursor of a previous page", "cursor");
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
  } catch {
    throw invalid();
  }
  if (!isValid(value)) throw invalid();
  return value;
}

/** A base-table LastEvaluatedKey: exactly `pk` and `sk`, both strings, `pk` as the query expects. */
export function isTableKey(value: unknown, pk: string): value is { pk: string; sk: string } {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
  const keys = Object.keys(value);
  const key = value as Record<string, unknown>;
  return keys.length === 2 && key.pk === pk && typeof key.sk === "string";
}

/** Reads every page of a query (small, bounded collections only: pools, accounts, keys). */
export async function queryAll<T>(
  db: DynamoDBDocumentClient,
  input: QueryCommandInput,
  options: { keepSortKey?: boolean } = {},
): Promise<T[]> {
  const out: T[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const page = await db.send(new QueryCommand({ ...input, ExclusiveStartKey: start }));
    for (const item of page.Items ?? []) out.push((options.keepSortKey ? item : fromItem<T>(item)) as T);
    start = page.LastEvaluatedKey;
  } while (start);
  return out;
}

/** Conditional update of an existing item; `missing` is thrown when the item is gone. */
export async function updateExisting<T>(
  db: DynamoDBDocumentClient,
  table: string,
  key: Record<string, string>,
  patch: Record<string, unknown>,
  missing: () => Error,
): Promise<T> {
  try {
    const { Attributes } = await db.send(
      new UpdateCommand({
        TableName: table,
        Key: key,
        ConditionExpression: "attribute_exists(pk)",
        ReturnValues: "ALL_NEW",
        ...updateExpression(patch),
      }),
    );
    return fromItem<T>(Attributes) as T;
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException) throw missing();
    throw error;
  }
}

/**
 * Conditional update of an item's fields while its `status` is `from` (a status machine step).
 * Returns the updated item, or undefined when the item is gone or its status moved on.
 */
export async function updateIfStatus<T>(
  db: DynamoDBDocumentClient,
  table: string,
  key: Record<string, string>,
  from: string,
  patch: Record<string, unknown>,
): Promise<T | undefined> {
  const expression = updateExpression(patch);
  try {
    const { Attributes } = await db.send(
      new UpdateCommand({
        TableName: table,
        Key: key,
        ...expression,
        ConditionExpression: "attribute_exists(pk) AND #fromStatus = :from",
        ExpressionAttributeNames: { ...expression.ExpressionAttributeNames, "#fromStatus": "status" },
        ExpressionAttributeValues: { ...expression.ExpressionAttributeValues, ":from": from },
        ReturnValues: "ALL_NEW",
      }),
    );
    return fromItem<T>(Attributes);
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException) return undefined;
    throw error;
  }
}

/** Put that fails with `exists` when the key is taken. */
export async function putNew(
  db: DynamoDBDocumentClient,
  table: string,
  item: Record<string, unknown>,
  exists: () => Error,
): Promise<void> {
  try {
    await db.send(
      new PutCommand({ TableName: table, Item: item, ConditionExpression: "attribute_not_exists(pk)" }),
    );
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException) throw exists();
    throw error;
  }
}
