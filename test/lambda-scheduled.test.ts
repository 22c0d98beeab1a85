// The scheduled entry (lambdas/scheduled.ts) with the EventBridge input the stack's rules send:
// the per-minute token refresh + usage poll (against the fake upstream, gauges out as EMF) and the
// daily request-log retention sweep (on the embedded DynamoDB).
import { DynamoDBDocumentClient, GetCommand, PutCommand } from "@aws-sdk/lib-dynamodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { FakeUpstream } from "./fake-upstream/index.ts";
import {
  type AwsCallRecorder,
  type LambdaHarness,
  type LambdaTestEnvironment,
  startLambdaHarness,
} from "./helpers/lambda.ts";

let env: LambdaTestEnvironment;
let fake: FakeUpstream;
let aws: LambdaHarness;
let stdout: LambdaHarness["output"];
let scheduled: (event: unknown) => Promise<Record<string, unknown>>;
let accountId: string;
let recorder: AwsCallRecorder;

/** What the stack's rules deliver (lib/constructs/schedules.ts): a scheduled event naming the task. */
const scheduledEvent = (task: string) => ({
  "detail-type": "Scheduled Event",
  source: "aws.events",
  id: crypto.randomUUID(),
  time: new Date().toISOString(),
  detail: { task },
});

const adminCall = (method: string, path: string, body?: unknown) => aws.iamAdmin(method, path, body);

beforeAll(async () => {
  aws = await startLambdaHarness();
  ({ fake, env, recorder, output: stdout } = aws);
  scheduled = await aws.entry("scheduled", () => import("../lambdas/scheduled.ts"));
  expect((await adminCall("POST", "/pools", { name: "sched" })).status).toBe(201);
  const account = fake.createAccount();
  accountId = account.accountId;
  fake.setUsage(account.accountId, { primaryUsedPercent: 25, secondaryUsedPercent: 70 });
  expect(
    (await adminCall("POST", "/accounts/import", { pool: "sched", authJson: account.authJson })).status,
  ).toBe(201);
});

afterAll(async () => {
  await aws?.close();
});

describe("scheduled function", () => {
  it("usage-poll: polls each routable account and emits account and quota gauges", async () => {
    // Prepare
    const polls = () =>
      fake.requests.filter((r) => r.path === "/backend-api/wham/usage" && r.accountId === accountId).length;
    const before = polls();
    const emfBefore = stdout.lines.length;

    // Act
    const result = await scheduled(scheduledEvent("usage-poll"));

    // Assess
    expect(result).toMatchObject({ task: "usage-poll", polled: 1, failed: 0 });
    expect(polls()).toBe(before + 1);
    const emf = stdout.lines
      .slice(emfBefore)
      .filter((l) => l.includes('"_aws"'))
      .map((l) => JSON.parse(l));
    const gauge = (name: string, dims: Record<string, string>) =>
      emf.find((m) => m[name] !== undefined && Object.entries(dims).every(([k, v]) => m[k] === v))?.[name];
    expect(gauge("Accounts", { AccountStatus: "active" })).toBe(1);
    expect(gauge("Accounts", { AccountStatus: "reauth_required" })).toBe(0);
    // The busiest window decides: 70 % of the weekly window used.
    expect(gauge("PoolQuotaUsedPercent", { Pool: "sched" })).toBe(70);
    expect(gauge("MaxPoolQuotaUsedPercent", {})).toBe(70);
    expect(gauge("UsagePoll", { Outcome: "success" })).toBe(1);
    // The poll wrote the evidence to the store (what routing reads).
    const { body } = await adminCall("GET", "/accounts");
    expect(body.data[0].quota).toMatchObject({ primaryUsedPercent: 25, secondaryUsedPercent: 70 });
  });

  it("retention: deletes request-log days past the window and keeps recent ones", async () => {
    // Prepare: one row 35 days old (retention 30) and one from today.
    const db = DynamoDBDocumentClient.from(env.client);
    const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);
    const old = { pk: `LOG#${day(Date.now() - 35 * 86_400_000)}`, sk: "log_old000000000000000000000" };
    const recent = { pk: `LOG#${day(Date.now())}`, sk: "log_new000000000000000000000" };
    for (const key of [old, recent]) {
      await db.send(
        new PutCommand({ TableName: env.tables.requestLogs, Item: { ...key, status: 200, expiresAt: 1 } }),
      );
    }

    // Act
    const result = await scheduled(scheduledEvent("retention"));

    // Assess
    expect(result).toMatchObject({ task: "retention", deleted: 1 });
    const get = (Key: typeof old) => db.send(new GetCommand({ TableName: env.tables.requestLogs, Key }));
    expect((await get(old)).Item).toBeUndefined();
    expect((await get(recent)).Item).toBeDefined();
  });

  it("rejects an event without a known task (a misconfigured rule fails loudly)", async () => {
    await expect(
      scheduled({ "detail-type": "Scheduled Event", source: "aws.events", detail: {} }),
    ).rejects.toThrow(/unknown scheduled task/);
  });

  it("stays within the IAM grants the stack gives the scheduled function", () => {
    expect(recorder.calls.get("scheduled")).toContain("requestLogs:BatchWriteItem");
    expect(recorder.outsideGrants("scheduled")).toEqual([]);
    expect(recorder.outsideGrants("admin")).toEqual([]);
  });
});
