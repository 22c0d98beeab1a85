import { BatchWriteCommand, DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { localEmulatorClient } from "../src/adapters/dynamodb/dynamo-store.ts";
import { ensureTables, tableNames } from "../src/adapters/dynamodb/tables.ts";
import { startEmbeddedDynamo } from "../src/server/embedded-dynamo.ts";
const dir = process.argv[2]; const n = Number(process.argv[3]);
const d = await startEmbeddedDynamo(`${dir}/dynamodb`);
const client = localEmulatorClient(d.endpoint); await ensureTables(client, tableNames("pooler-"));
const db = DynamoDBDocumentClient.from(client);
const day = new Date().toISOString().slice(0, 10);
const started = Date.now();
for (let i = 0; i < n; i += 25) {
  const items = Array.from({ length: 25 }, (_, j) => ({ PutRequest: { Item: { pk: `LOG#${day}`, sk: `${String(Date.now()).padStart(15, "0")}#req_${i + j}_${Math.random().toString(36).slice(2)}`, route: "/backend-api/codex/responses", method: "POST", status: 200, pool: "bench", poolId: "pool_abc", keyId: "key_abcdefgh", keyLabel: "bench", accountId: "acc_1234567", accountLabel: "a1", model: "gpt-5.4", durationMs: 3, ttfbMs: 1, inputTokens: 12, outputTokens: 40, retries: 0, expiresAt: Math.floor(Date.now() / 1000) + 30 * 86400, at: Date.now(), transport: "sse", upstreamRequestId: `up_${Math.random().toString(36).slice(2)}` } } }));
  await db.send(new BatchWriteCommand({ RequestItems: { "pooler-request-logs": items } }));
  if (i % 50000 === 0) console.log(i, Date.now() - started);
}
client.destroy(); await d.close();
