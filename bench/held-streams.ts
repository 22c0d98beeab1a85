// In-process: what held Codex streams keep (gateway, fake upstream and client in one process, so
// the figures are an upper bound for the gateway alone). `node --expose-gc --import tsx
// bench/held-streams.ts [N]`; SNAP=1 writes heap snapshots with 0 and N held streams to .bench-tmp/
// (compare them by constructor in DevTools' "Comparison" view).
import http from "node:http";
import { writeHeapSnapshot } from "node:v8";
import { startTestGateway, TEXT_TURN_BODY } from "../test/helpers/gateway.ts";

const N = Number(process.argv[2] ?? 500);
// Admission would refuse most of N concurrent streams (503) with its default limits.
const gw = await startTestGateway({
  POOLER_ADMISSION_PROXY_STREAM: "100000,0,10000",
  POOLER_ADMISSION_PROXY_HTTP: "100000,0,10000",
});
const seeded = await gw.seed({ accounts: 2 });
for (const a of seeded.accounts)
  gw.fake.setDefaultBehavior(a.accountId, { kind: "text", pauseAfterEvent: 2 });
const url = new URL(`${gw.url}/backend-api/codex/responses`);
const body = JSON.stringify(TEXT_TURN_BODY);
const open = () =>
  new Promise<http.IncomingMessage>((resolve, reject) => {
    const req = http.request(
      url,
      {
        method: "POST",
        agent: false,
        headers: { authorization: `Bearer ${seeded.key}`, "content-type": "application/json" },
      },
      (res) => {
        res.once("data", () => resolve(res));
      },
    );
    req.on("error", reject);
    req.end(body);
  });
// Warm-up: a few streams held and released, so the baseline has every module and cache loaded.
const warm = await Promise.all(Array.from({ length: 20 }, open));
gw.fake.releasePaused();
for (const r of warm) r.resume();
await new Promise((r) => setTimeout(r, 500));
const gc = (globalThis as { gc?: () => void }).gc as () => void;
const measure = async (label: string) => {
  for (let i = 0; i < 3; i++) {
    gc();
    await new Promise((r) => setTimeout(r, 50));
  }
  const m = process.memoryUsage();
  console.log(
    label,
    `heapUsed ${(m.heapUsed / 1e6).toFixed(2)} MB, external ${(m.external / 1e6).toFixed(2)} MB, arrayBuffers ${(m.arrayBuffers / 1e6).toFixed(2)} MB, rss ${(m.rss / 1e6).toFixed(1)} MB`,
  );
  return m;
};
const before = await measure("0 held");
if (process.env.SNAP) writeHeapSnapshot(".bench-tmp/held-0.heapsnapshot");
const held: http.IncomingMessage[] = [];
for (let i = 0; i < N; i += 100)
  held.push(...(await Promise.all(Array.from({ length: Math.min(100, N - i) }, open))));
const codes: Record<number, number> = {};
for (const r of held) codes[r.statusCode ?? 0] = (codes[r.statusCode ?? 0] ?? 0) + 1;
console.log("statuses", codes);
const after = await measure(`${N} held`);
console.log(
  `per stream (gateway + fake + client in one process): heap ${((after.heapUsed - before.heapUsed) / N).toFixed(0)} B, external ${((after.external - before.external) / N).toFixed(0)} B`,
);
if (process.env.SNAP) writeHeapSnapshot(`.bench-tmp/held-${N}.heapsnapshot`);
gw.fake.releasePaused();
for (const r of held) r.resume();
await new Promise((r) => setTimeout(r, 500));
await gw.stop();
process.exit(0);
