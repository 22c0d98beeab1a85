import { ConditionalCheckFailedException } from "@aws-sdk/client-dynamodb";
import { type DynamoDBDocumentClient, PutCommand, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import type { CircuitRecord, RoutingSnapshot, RoutingStateRepository } from "../../core/ports.ts";
import { queryAll } from "./items.ts";

// One partition per Pool: `ROUTE#<pool>` holds DEMOTE#, CIRCUIT# and SUCCESS# items. Items carry
// `expiresAt` (epoch s) for DynamoDB TTL; reads ignore expired ones (the emulator has no TTL).
const pk = (pool: string) => `ROUTE#${pool}`;
const HOUR_S = 3600;

interface RouteItem {
  sk: string;
  until?: number;
  failures?: number;
  openUntil?: number;
  probeUntil?: number;
  at?: number;
  expiresAt?: number;
}

export class DynamoRoutingStateRepository implements RoutingStateRepository {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  async load(pool: string, nowMs: number): Promise<RoutingSnapshot> {
    const items = await queryAll<RouteItem & { sk: string }>(
      this.db,
      {
        TableName: this.table,
        KeyConditionExpression: "pk = :p",
        ExpressionAttributeValues: { ":p": pk(pool) },
      },
      { keepSortKey: true },
    );
    const snapshot: RoutingSnapshot = { demotions: new Map(), circuits: new Map(), lastSuccess: new Map() };
    const nowS = Math.floor(nowMs / 1000);
    for (const item of items) {
      if (item.expiresAt !== undefined && item.expiresAt <= nowS) continue;
      const [kind, a, b] = item.sk.split("#");
      if (kind === "DEMOTE" && a && b && (item.until ?? 0) > nowMs)
        snapshot.demotions.set(`${a}|${b}`, item.until ?? 0);
      else if (kind === "CIRCUIT" && a && b) {
        snapshot.circuits.set(`${a}|${b}`, {
          accountId: a,
          model: b,
          failures: item.failures ?? 0,
          openUntil: item.openUntil,
          probeUntil: item.probeUntil,
        });
      } else if (kind === "SUCCESS" && a && item.at !== undefined) snapshot.lastSuccess.set(a, item.at);
    }
    return snapshot;
  }

  async demote(
    pool: string,
    model: string,
    accountId: string,
    untilMs: number,
    reason: string,
  ): Promise<void> {
    await this.db.send(
      new PutCommand({
        TableName: this.table,
        Item: {
          pk: pk(pool),
          sk: `DEMOTE#${model}#${accountId}`,
          until: untilMs,
          reason,
          expiresAt: Math.ceil(untilMs / 1000) + 60,
        },
      }),
    );
  }

  async recordFailure(
    pool: string,
    accountId: string,
    model: string,
    nowMs: number,
    policy: { threshold: number; openMs: number },
  ): Promise<CircuitRecord> {
    const key = { pk: pk(pool), sk: `CIRCUIT#${accountId}#${model}` };
    const { Attributes = {} } = await this.db.send(
      new UpdateCommand({
        TableName: this.table,
        Key: key,
        UpdateExpression: "ADD failures :one SET expiresAt = :ttl REMOVE probeUntil",
        ExpressionAttributeValues: { ":one": 1, ":ttl": Math.floor(nowMs / 1000) + HOUR_S },
        ReturnValues: "ALL_NEW",
      }),
    );
    const record: CircuitRecord = {
      accountId,
      model,
      failures: Attributes.failures as number,
      openUntil: Attributes.openUntil as number | undefined,
    };
    // Open (or re-open after a failed probe) once the threshold is reached and it is not open now.
    if (
      record.failures >= policy.threshold &&
      !(record.openUntil !== undefined && record.openUntil > nowMs)
    ) {
      record.openUntil = nowMs + policy.openMs;
      await this.db.send(
        new UpdateCommand({
          TableName: this.table,
          Key: key,
          UpdateExpression: "SET openUntil = :until",
          ExpressionAttributeValues: { ":until": record.openUntil },
        }),
      );
    }
    return record;
  }

  async recordSuccess(pool: string, accountId: string, model: string, nowMs: number): Promise<void> {
    const nowS = Math.floor(nowMs / 1000);
    await Promise.all([
      this.db.send(
        new UpdateCommand({
          TableName: this.table,
          Key: { pk: pk(pool), sk: `CIRCUIT#${accountId}#${model}` },
          UpdateExpression: "SET failures = :zero, expiresAt = :ttl REMOVE openUntil, probeUntil",
          ExpressionAttributeValues: { ":zero": 0, ":ttl": nowS + 60 },
        }),
      ),
      this.db.send(
        new UpdateCommand({
          TableName: this.table,
          Key: { pk: pk(pool), sk: `DEMOTE#${model}#${accountId}` },
          UpdateExpression: "SET #until = :zero, expiresAt = :ttl",
          ExpressionAttributeNames: { "#until": "until" },
          ExpressionAttributeValues: { ":zero": 0, ":ttl": nowS + 60 },
        }),
      ),
      this.db.send(
        new PutCommand({
          TableName: this.table,
          Item: { pk: pk(pool), sk: `SUCCESS#${accountId}`, at: nowMs, expiresAt: nowS + 30 * 86_400 },
        }),
      ),
    ]);
  }

  async acquireProbe(
    pool: string,
    accountId: string,
    model: string,
    nowMs: number,
    leaseMs: number,
  ): Promise<boolean> {
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.table,
          Key: { pk: pk(pool), sk: `CIRCUIT#${accountId}#${model}` },
          UpdateExpression: "SET probeUntil = :lease",
          ConditionExpression:
            "openUntil <= :now AND (attribute_not_exists(probeUntil) OR probeUntil <= :now)",
          ExpressionAttributeValues: { ":lease": nowMs + leaseMs, ":now": nowMs },
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }
}
