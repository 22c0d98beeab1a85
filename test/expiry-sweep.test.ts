// The local store's clean-up (the emulator has no TTL): expired pins, rate windows and request-log
// rows past the retention window leave the data directory; nothing unexpired is touched; an item
// rewritten with a later expiry between the scan and the delete survives; long scans resume.
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { type DynamoDBDocumentClient, PutCommand, ScanCommand } from "@aws-sdk/lib-dynamodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { documentClient, localEmulatorClient } from "../src/adapters/dynamodb/dynamo-store.ts";
import { expirySweeper } from "../src/adapters/dynamodb/expiry-sweep.ts";
import { ensureTables, tableNames } from "../src/adapters/dynamodb/tables.ts";
import { ConfigError, loadConfig } from "../src/server/config.ts";
import { type EmbeddedDynamo, startEmbeddedDynamo } from "../src/server/embedded-dynamo.ts";
import {
  readSse,
  type Seeded,
  scratchDir,
  startTestGateway,
  TEXT_TURN_BODY,
  type TestGateway,
  waitFor,
} from "./helpers/gateway.ts";

const DAY_MS = 86_400_000;

type Item = Record<string, unknown> & { pk: string; sk: string; expiresAt?: number };

async function scanAll(db: DynamoDBDocumentClient, table: string): Promise<Item[]> {
  const items: Item[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const out = await db.send(new ScanCommand({ TableName: table, ExclusiveStartKey: start }));
    items.push(...((out.Items ?? []) as Item[]));
    start = out.LastEvaluatedKey;
  } while (start);
  return items;
}

describe("local store clean-up through the local host", () => {
  let dynamo: EmbeddedDynamo;
  let client: DynamoDBClient;
  let db: DynamoDBDocumentClient;
  let gw: TestGateway;
  let seeded: Seeded;
  let offset = 0;
  const clock = { now: () => Date.now() + offset };
  const items = async () => [
    ...(await scanAll(db, "pooler-state")),
    ...(await scanAll(db, "pooler-request-logs")),
  ];
  const turn = async () => {
    const response = await fetch(`${gw.url}/backend-api/codex/responses`, {
      method: "POST",
      headers: { authorization: `Bearer ${seeded.key}`, "content-type": "application/json" },
      body: JSON.stringify(TEXT_TURN_BODY),
    });
    expect(response.status).toBe(200);
    expect((await readSse(response)).at(-1)?.type).toBe("response.completed");
  };

  beforeAll(async () => {
    // A store the test can read directly, shared with the gateway through the documented endpoint.
    dynamo = await startEmbeddedDynamo(scratchDir("expiry-store"));
    client = localEmulatorClient(dynamo.endpoint);
    db = documentClient(client);
    gw = await startTestGateway({ POOLER_DYNAMODB_ENDPOINT: dynamo.endpoint }, { clock });
    seeded = await gw.seed({ pool: "sweep", accounts: 2 });
    for (let i = 0; i < 3; i++) await turn();
    await waitFor(async () => {
      const { body } = await gw.admin("GET", `/request-logs?key=${seeded.keyId}&limit=10`);
      return body.data.length === 3 || undefined;
    });
  }, 60_000);

  afterAll(async () => {
    await gw?.stop();
    client?.destroy();
    await dynamo?.close();
  });

  it("removes nothing that has not expired", async () => {
    const before = await items();
    expect(before.filter((i) => i.pk.startsWith("PIN#")).length).toBeGreaterThanOrEqual(3);
    expect(before.filter((i) => i.pk.startsWith("LOG#")).length).toBe(3);
    const run = await gw.local.housekeeping();
    expect(run.retention.deleted).toBe(0);
    expect(run.expired.deleted).toBe(0);
    expect(run.expired.scanned).toBe(before.length);
    expect(run.expired.completed).toBe(2);
    expect((await items()).length).toBe(before.length);
  });

  it("a day later: pins are gone, request logs, pools, accounts and keys stay, turns still work", async () => {
    const before = await items();
    offset = 2 * DAY_MS;
    const expired = before.filter((i) => i.expiresAt !== undefined && i.expiresAt * 1000 < clock.now());
    expect(expired.some((i) => i.pk.startsWith("PIN#"))).toBe(true);

    const run = await gw.local.housekeeping();
    expect(run.expired.deleted).toBe(expired.length);
    const after = await items();
    expect(after.filter((i) => i.pk.startsWith("PIN#"))).toEqual([]);
    expect(after.filter((i) => i.expiresAt !== undefined && i.expiresAt * 1000 < clock.now())).toEqual([]);
    // Everything without an expiry, and everything not yet expired, is still there.
    const kept = (i: Item) => `${i.pk}|${i.sk}`;
    expect(after.map(kept).sort()).toEqual(
      before
        .filter((i) => !expired.includes(i))
        .map(kept)
        .sort(),
    );
    expect(after.filter((i) => i.pk.startsWith("LOG#")).length).toBe(3);
    expect((await gw.admin("GET", "/pools")).body.data.map((p: { name: string }) => p.name)).toContain(
      "sweep",
    );
    expect((await gw.admin("GET", `/request-logs?key=${seeded.keyId}&limit=10`)).body.data.length).toBe(3);
    await turn();
    expect(gw.logLines.some((l) => l.includes('"m":"expired items removed"'))).toBe(true);
  });

  it("past the retention window: request-log rows leave the store, with a metadata-only log line", async () => {
    offset = 40 * DAY_MS;
    gw.logLines.length = 0;
    const run = await gw.local.housekeeping();
    // The day partitions go first (the retention job), the sweep takes whatever else expired.
    expect(run.retention.deleted).toBe(3);
    const after = await items();
    expect(after.filter((i) => i.pk.startsWith("LOG#"))).toEqual([]);
    expect((await gw.admin("GET", `/request-logs?key=${seeded.keyId}&limit=10`)).body.data).toEqual([]);
    const line = gw.logLines.find((l) => l.includes('"m":"expired items removed"'));
    expect(JSON.parse(line as string)).toMatchObject({ requestLogsPastRetention: 3 });
    expect(Object.keys(JSON.parse(line as string)).sort()).toEqual(
      ["m", "requestLogsPastRetention", "expiredItems", "scanned", "durationMs"].sort(),
    );
  });
});

describe("expiry sweeper against the emulator", () => {
  let dynamo: EmbeddedDynamo;
  let client: DynamoDBClient;
  let db: DynamoDBDocumentClient;
  const table = tableNames("sweep-").requestLogs;
  const now = Date.UTC(2026, 0, 10);
  const clock = { now: () => now };
  const nowS = now / 1000;

  beforeAll(async () => {
    dynamo = await startEmbeddedDynamo();
    client = localEmulatorClient(dynamo.endpoint);
    db = documentClient(client);
    // The gateway's own table layout, under another prefix.
    await ensureTables(client, tableNames("sweep-"));
  });

  afterAll(async () => {
    client?.destroy();
    await dynamo?.close();
  });

  const put = (pk: string, expiresAt?: number) =>
    db.send(new PutCommand({ TableName: table, Item: { pk, sk: "x", ...(expiresAt ? { expiresAt } : {}) } }));
  const keys = async () => (await scanAll(db, table)).map((i) => i.pk).sort();

  it("resumes a long scan where the last run stopped, and finishes the table over several runs", async () => {
    for (let i = 0; i < 9; i++) await put(`old-${i}`, nowS - 10);
    for (let i = 0; i < 3; i++) await put(`live-${i}`, nowS + 3600);
    await put("forever");
    // Expiry exactly now is not past: DynamoDB deletes only items whose time has passed.
    await put("edge", nowS);
    const sweep = expirySweeper(db, { tables: [table], clock, pageSize: 3, pagesPerRun: 2 });
    const runs = [];
    for (let i = 0; i < 3; i++) runs.push(await sweep());
    // 14 items, 6 examined per run: the table ends in the third run.
    expect(runs.map((r) => r.scanned)).toEqual([6, 6, 2]);
    expect(runs.map((r) => r.completed)).toEqual([0, 0, 1]);
    expect(runs.reduce((n, r) => n + r.deleted, 0)).toBe(9);
    expect(await keys()).toEqual(["edge", "forever", "live-0", "live-1", "live-2"]);
    // The next run starts over from the top.
    expect((await sweep()).scanned).toBe(5);
  });

  it("ends a run between pages once its signal aborts (a stopping host does not wait for a whole run)", async () => {
    for (let i = 0; i < 4; i++) await put(`gone-${i}`, nowS - 10);
    const stop = new AbortController();
    const sweep = expirySweeper(db, { tables: [table], clock, pageSize: 1, pagesPerRun: 100 });
    const stopping = Object.create(db) as DynamoDBDocumentClient;
    stopping.send = (async (command: unknown) => {
      const out = await db.send(command as ScanCommand);
      if (command instanceof ScanCommand) stop.abort();
      return out;
    }) as DynamoDBDocumentClient["send"];
    const first = await expirySweeper(stopping, { tables: [table], clock, pageSize: 1, pagesPerRun: 100 })(
      stop.signal,
    );
    expect(first.scanned).toBe(1);
    expect(first.completed).toBe(0);
    // A sweeper that is not stopped finishes the table in one run.
    const full = await sweep();
    expect(full.completed).toBe(1);
    expect((await keys()).filter((k) => k.startsWith("gone-"))).toEqual([]);
  });

  it("keeps an item rewritten with a later expiry between the scan and the delete", async () => {
    await put("pin-renewed", nowS - 5);
    await put("pin-stale", nowS - 5);
    // The store as the sweeper sees it: right after each scan, a request renews one pin.
    const racing = Object.create(db) as DynamoDBDocumentClient;
    racing.send = (async (command: unknown) => {
      const out = await db.send(command as ScanCommand);
      if (command instanceof ScanCommand) await put("pin-renewed", nowS + 86_400);
      return out;
    }) as DynamoDBDocumentClient["send"];
    const run = await expirySweeper(racing, { tables: [table], clock })();
    expect(run.deleted).toBe(1);
    expect(await keys()).toContain("pin-renewed");
    expect(await keys()).not.toContain("pin-stale");
  });
});

describe("POOLER_EXPIRY_SWEEP_MINUTES", () => {
  it("defaults to 15, accepts 0 (off) and refuses what is not a whole number of minutes up to a day", () => {
    expect(loadConfig({}).expirySweepMinutes).toBe(15);
    expect(loadConfig({ POOLER_EXPIRY_SWEEP_MINUTES: "0" }).expirySweepMinutes).toBe(0);
    for (const bad of ["-1", "1.5", "1441", "soon"]) {
      expect(() => loadConfig({ POOLER_EXPIRY_SWEEP_MINUTES: bad })).toThrow(ConfigError);
      expect(() => loadConfig({ POOLER_EXPIRY_SWEEP_MINUTES: bad })).toThrow(/POOLER_EXPIRY_SWEEP_MINUTES/);
    }
  });
});
