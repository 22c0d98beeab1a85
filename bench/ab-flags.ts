// Two gateways side by side, with different node flags (a V8 or Node option to try) or from two
// checkouts (`<dir>::<flags>` runs the gateway of another worktree, e.g. one at the commit before a
// change), against one fake upstream: closed loops at 50 connections and an open loop at 200 req/s, the two
// gateways in turn, round after round, so both see the same machine. Prints CPU per request (all
// threads, and the main thread) and TTFB, medians over the rounds.
// Usage: tsx bench/ab-flags.ts "<flags A>" "<flags B>" [rounds]   (e.g. "" "--single-threaded-gc",
// or "/work/wt/base::" "" to compare the code of two checkouts)
import { randomBytes } from "node:crypto";
import { mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { closedLoop, median, newAgent, once, openLoop, summarize, type Target } from "./load.ts";
import {
  adminClient,
  cpuTimes,
  freePort,
  REPO_ROOT,
  rssMb,
  type ServerProcess,
  seedPool,
  startFakeProcess,
  startGatewayProcess,
  UNLIMITED_ADMISSION,
} from "./processes.ts";
import { TOY_CODEX_BODY } from "./workloads.ts";

const [flagsA = "", flagsB = "", roundsArg] = process.argv.slice(2);
const rounds = Number(roundsArg ?? 5);
const tmp = join(REPO_ROOT, ".bench-tmp");
const fake = await startFakeProcess();
const started: { flags: string; gateway: ServerProcess; dataDir: string; target?: Target }[] = [];
try {
  for (const spec of [flagsA, flagsB]) {
    const [root, flags] = spec.includes("::") ? (spec.split("::") as [string, string]) : [undefined, spec];
    const dataDir = join(tmp, `ab-${randomBytes(4).toString("hex")}`);
    mkdirSync(dataDir, { recursive: true });
    const adminToken = `ab-${randomBytes(8).toString("hex")}`;
    const gateway = await startGatewayProcess({
      upstreamBaseUrl: fake.upstreamBaseUrl,
      authBaseUrl: fake.url,
      dataDir,
      adminToken,
      port: await freePort(),
      env: UNLIMITED_ADMISSION,
      root,
      nodeFlags: flags,
    });
    started.push({ flags: spec, gateway, dataDir });
    const { key } = await seedPool(adminClient(gateway.url, adminToken), fake, "ab", 2);
    (started.at(-1) as (typeof started)[number]).target = {
      name: flags || "(none)",
      url: `${gateway.url}/backend-api/codex/responses`,
      headers: {
        authorization: `Bearer ${key}`,
        "content-type": "application/json",
        accept: "text/event-stream",
      },
      body: JSON.stringify(TOY_CODEX_BODY),
    };
  }
  const agent = newAgent();
  for (const s of started) for (let i = 0; i < 1500; i++) await once(s.target as Target, agent);
  const rows = started.map(() => ({
    cpu: [] as number[],
    main: [] as number[],
    rps: [] as number[],
    p50: [] as number[],
    p90: [] as number[],
  }));
  for (let round = 0; round < rounds; round++) {
    const order = round % 2 === 0 ? [0, 1] : [1, 0];
    for (const i of order) {
      const s = started[i] as (typeof started)[number];
      const before = cpuTimes(s.gateway.pid);
      const run = await closedLoop(s.target as Target, 50, 2, 0.3);
      const after = cpuTimes(s.gateway.pid);
      const n = run.completed ?? 1;
      const row = rows[i] as (typeof rows)[number];
      row.cpu.push((after.all - before.all) / n);
      row.main.push((after.main - before.main) / n);
      row.rps.push(summarize(run).throughput);
      const open = summarize(await openLoop(s.target as Target, 200, 2));
      row.p50.push(open.ttfbP50);
      row.p90.push(open.ttfbP90);
    }
  }
  for (const [i, s] of started.entries()) {
    const r = rows[i] as (typeof rows)[number];
    console.log(
      `${(s.flags || "(no flags)").padEnd(40)} c=50: ${median(r.rps).toFixed(0)} req/s, CPU/request ${median(r.cpu).toFixed(3)} ms (main ${median(r.main).toFixed(3)}) [${r.cpu.map((x) => x.toFixed(2)).join(" ")}]; 200 req/s TTFB p50 ${median(r.p50).toFixed(2)} p90 ${median(r.p90).toFixed(2)} ms; RSS ${rssMb(s.gateway.pid).toFixed(0)} MB`,
    );
  }
} finally {
  for (const s of started) {
    await s.gateway.stop();
    rmSync(s.dataDir, { recursive: true, force: true });
  }
  await fake.close();
}
