// Single-flight token refresh across processes: two gateway processes share one store (as many
// Lambda instances share DynamoDB); 50 concurrent requests on an expired token must cause exactly one
// call to the auth server, and every request must succeed.
import { rmSync } from "node:fs";
import { afterAll, beforeAll, expect, it } from "vitest";
import { type EmbeddedDynamo, startEmbeddedDynamo } from "../src/server/embedded-dynamo.ts";
import { type FakeUpstream, startFakeUpstream } from "./fake-upstream/index.ts";
import { readSse, scratchDir, TEXT_TURN_BODY, waitFor } from "./helpers/gateway.ts";
import { type PoolerProcess, poolerEnv, spawnPooler } from "./helpers/process.ts";

const ADMIN = "test-admin-token-two-processes";
let fake: FakeUpstream;
let dynamo: EmbeddedDynamo;
let dataDir: string;
const processes: PoolerProcess[] = [];
const urls: string[] = [];

beforeAll(async () => {
  fake = await startFakeUpstream();
  dynamo = await startEmbeddedDynamo();
  dataDir = scratchDir("two-proc");
  const env = poolerEnv(fake, dataDir, {
    POOLER_DYNAMODB_ENDPOINT: dynamo.endpoint,
    POOLER_ADMIN_TOKEN: ADMIN,
    POOLER_USAGE_POLL_SECONDS: "0",
  });
  // One after the other: the first creates the tables and the master key the second then reads.
  for (let i = 0; i < 2; i++) {
    const proc = spawnPooler(env);
    processes.push(proc);
    urls.push(await proc.listening());
  }
});

afterAll(async () => {
  for (const proc of processes) {
    proc.child.kill("SIGTERM");
    await proc.waitForExit().catch(() => proc.kill());
  }
  await dynamo?.close();
  await fake?.close();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

const admin = async (url: string, method: string, path: string, body?: unknown) => {
  const response = await fetch(`${url}/admin/v1${path}`, {
    method,
    headers: { authorization: `Bearer ${ADMIN}`, "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return (await response.json()) as any;
};

it("refreshes an expired token exactly once for 50 concurrent requests spread over two processes", async () => {
  const [first, second] = urls as [string, string];
  const account = fake.createAccount({ initialAccessTokenTtlSeconds: 0 });
  await admin(first, "POST", "/pools", { name: "shared" });
  await admin(first, "POST", "/accounts/import", {
    pool: "shared",
    authJson: account.authJson,
    label: "only",
  });
  const { secret: key } = await admin(first, "POST", "/keys", { pool: "shared" });
  // The second process sees what the first wrote: one store.
  expect((await admin(second, "GET", "/accounts")).data.map((a: { label: string }) => a.label)).toEqual([
    "only",
  ]);

  const responses = await Promise.all(
    Array.from({ length: 50 }, (_, i) =>
      fetch(`${i % 2 ? first : second}/backend-api/codex/responses`, {
        method: "POST",
        headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
        body: JSON.stringify(TEXT_TURN_BODY),
      }),
    ),
  );
  const outcomes = await Promise.all(
    responses.map(async (r) =>
      r.status === 200 ? (await readSse(r)).at(-1)?.type : `${r.status} ${await r.text()}`,
    ),
  );
  expect(outcomes.filter((o) => o !== "response.completed")).toEqual([]);
  expect(fake.refreshCount(account.accountId)).toBe(1);
  // No request reached the upstream with the expired token.
  const tokens = new Set(fake.responsesFor(account.accountId).map((r) => r.headers.authorization));
  expect(tokens.size).toBe(1);
  expect(tokens.has(`Bearer ${account.authJson.tokens.access_token}`)).toBe(false);
  // Both processes served.
  // Rows are written after each stream ends, in the background: wait for all of them.
  const logs = await waitFor(async () => {
    const rows = (await admin(first, "GET", "/request-logs?limit=100")).data;
    return rows.length >= 50 ? rows : undefined;
  }, 15_000);
  expect(logs).toHaveLength(50);
});
