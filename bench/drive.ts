// Dev loop for performance work (not part of the bench's report): the fake upstream, the bare proxy
// and the gateway, then closed loops at the given concurrencies and a 200 req/s open loop, printing
// throughput, TTFB and each process's CPU per stream (by thread: the gateway's "node" threads are the
// embedded store's worker and V8's helpers). Usage: tsx bench/drive.ts [--chat] [--profile] [--hold=N] [c…]
// --hold=N holds N streams open and prints the gateway's RSS (DRIVE_HOLD_BARE=1 holds them on the
// bare proxy; DRIVE_SNAPSHOT=1 sends SIGUSR2 for a heap snapshot, with
// BENCH_GATEWAY_NODE_FLAGS=--heapsnapshot-signal=SIGUSR2); DRIVE_PROBE=1 sends SIGUSR2 at idle and
// with the streams held, for bench/memory-probe.mjs (BENCH_GATEWAY_NODE_FLAGS=--import=./bench/memory-probe.mjs,
// or BENCH_BARE_NODE_FLAGS for the bare proxy); DRIVE_STRACE=1 (or f, for all threads) counts system
// calls during each closed loop. DRIVE_BODY_KB=N pads the Codex request body to about N KB.
import { randomBytes } from "node:crypto";
import { mkdirSync, readdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { chatToCodex } from "../src/core/openai/chat-request.ts";
import { closedLoop, holdStreams, newAgent, once, openLoop, summarize, type Target } from "./load.ts";
import {
  adminClient,
  cpuTimes,
  freePort,
  REPO_ROOT,
  rssMb,
  rssParts,
  seedPool,
  startBareProxy,
  startFakeProcess,
  startGatewayProcess,
  statCpu,
  UNLIMITED_ADMISSION,
} from "./processes.ts";

const args = process.argv.slice(2);
const profile = args.includes("--profile");
const endpoint = args.includes("--chat") ? "chat" : "codex";
const levels = args.filter((a) => /^\d+$/.test(a)).map(Number);
const seconds = 2;

/** CPU ms per thread name of a process (main thread, libuv pool, V8 workers, worker_threads). */
const threads = (pid: number) => {
  const out = new Map<string, number>();
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      const { ms, name } = statCpu(`/proc/${pid}/task/${tid}/stat`);
      const key = tid === String(pid) ? "main" : process.env.DRIVE_TIDS ? `${name}#${tid}` : name;
      out.set(key, (out.get(key) ?? 0) + ms);
    } catch {}
  }
  return out;
};
const tmp = join(REPO_ROOT, ".bench-tmp");
const dataDir = join(tmp, `drive-${randomBytes(4).toString("hex")}`);
mkdirSync(dataDir, { recursive: true });
const adminToken = `drive-${randomBytes(8).toString("hex")}`;
const fake = await startFakeProcess();
const proxy = await startBareProxy(fake.url);
const gateway = await startGatewayProcess({
  upstreamBaseUrl: fake.upstreamBaseUrl,
  authBaseUrl: fake.url,
  dataDir,
  adminToken,
  port: await freePort(),
  profileDir: profile ? join(tmp, "profiles") : undefined,
  // As in `npm run bench`: held streams must be held, not refused by the default bulkheads.
  env: UNLIMITED_ADMISSION,
});
try {
  const {
    key,
    accounts: [account, second],
  } = await seedPool(adminClient(gateway.url, adminToken), fake, "drive", 2);
  if (!account || !second) throw new Error("no accounts seeded");
  const codexBody = JSON.stringify({
    model: "gpt-5.4",
    instructions: "bench",
    input: [
      {
        type: "message",
        role: "user",
        // DRIVE_BODY_KB=200: a long conversation's request body (what a held stream must not keep).
        content: [
          { type: "input_text", text: "x".repeat(Number(process.env.DRIVE_BODY_KB ?? 0) * 1024) || "hello" },
        ],
      },
    ],
    stream: true,
    store: false,
  });
  const chatBody = { model: "gpt-5.4", stream: true, messages: [{ role: "user", content: "hello" }] };
  const upstreamBody =
    endpoint === "chat" ? JSON.stringify(chatToCodex(structuredClone(chatBody)).upstream) : codexBody;
  const up = {
    authorization: `Bearer ${account.authJson.tokens.access_token}`,
    "chatgpt-account-id": account.accountId,
    "content-type": "application/json",
    accept: "text/event-stream",
  };
  const path = "/backend-api/codex/responses";
  const bare: Target = { name: "bare", url: `${proxy.url}${path}`, headers: up, body: upstreamBody };
  const gw: Target = {
    name: "gateway",
    url: endpoint === "chat" ? `${gateway.url}/v1/chat/completions` : `${gateway.url}${path}`,
    headers: {
      authorization: `Bearer ${key}`,
      "content-type": "application/json",
      accept: "text/event-stream",
    },
    body: endpoint === "chat" ? JSON.stringify(chatBody) : codexBody,
  };
  const agent = newAgent();
  for (const t of [bare, gw]) for (let i = 0; i < 1500; i++) await once(t, agent);
  const idle = rssParts(gateway.pid);
  console.log(
    `gateway idle after warm-up: RSS ${idle.rss.toFixed(0)} MB (anonymous ${idle.anon.toFixed(0)}, files ${idle.file.toFixed(0)})`,
  );
  if (process.env.DRIVE_PROBE) {
    process.kill(process.env.DRIVE_HOLD_BARE ? proxy.pid : gateway.pid, "SIGUSR2");
    await new Promise((r) => setTimeout(r, 3000));
  }
  const hold = Number(args.find((a) => a.startsWith("--hold="))?.slice(7) ?? 0);
  if (hold > 0) {
    // Held streams, then a heap snapshot of the gateway (start it with --heapsnapshot-signal=SIGUSR2).
    for (const id of [account.accountId, second.accountId])
      await fake.setDefaultBehavior(id, { kind: "text", pauseAfterEvent: 2 });
    const held = await holdStreams(process.env.DRIVE_HOLD_BARE ? bare : gw, hold);
    const rss = rssParts(process.env.DRIVE_HOLD_BARE ? proxy.pid : gateway.pid);
    console.log(
      `held ${held.opened} (failed ${held.failed}); ${process.env.DRIVE_HOLD_BARE ? "bare proxy" : "gateway"} RSS ${rss.rss.toFixed(0)} MB (anonymous ${rss.anon.toFixed(0)}, files ${rss.file.toFixed(0)})`,
    );
    if (process.env.DRIVE_PROBE) {
      process.kill(process.env.DRIVE_HOLD_BARE ? proxy.pid : gateway.pid, "SIGUSR2");
      await new Promise((r) => setTimeout(r, 3000));
    }
    if (process.env.DRIVE_SNAPSHOT) {
      process.kill(process.env.DRIVE_HOLD_BARE ? proxy.pid : gateway.pid, "SIGUSR2");
      await new Promise((r) => setTimeout(r, 15_000));
    }
    await fake.releasePaused();
    await held.finish(30_000);
    for (const id of [account.accountId, second.accountId])
      await fake.setDefaultBehavior(id, { kind: "text" });
  }
  for (const c of levels.length ? levels : [1, 50]) {
    for (const t of [bare, gw]) {
      const pid = t === gw ? gateway.pid : proxy.pid;
      const before = cpuTimes(pid).all;
      const beforeThreads = threads(pid);
      const tracer = process.env.DRIVE_STRACE
        ? (await import("node:child_process")).spawn(
            "strace",
            ["-c", ...(process.env.DRIVE_STRACE === "f" ? ["-f"] : []), "-p", String(pid)],
            {
              stdio: ["ignore", "inherit", "inherit"],
            },
          )
        : undefined;
      if (tracer) await new Promise((r) => setTimeout(r, 500));
      const run = await closedLoop(t, c, seconds, 0.3);
      if (tracer) {
        tracer.kill("SIGINT");
        await new Promise((r) => tracer.once("exit", r));
      }
      const used = cpuTimes(pid).all - before;
      const s = summarize(run);
      const perThread = [...threads(pid)]
        .map(([name, ms]) => [name, (ms - (beforeThreads.get(name) ?? 0)) / (run.completed ?? 1)] as const)
        .filter(([, ms]) => ms > 0.005)
        .map(([name, ms]) => `${name} ${ms.toFixed(3)}`)
        .join(", ");
      console.log(
        `c=${String(c).padEnd(4)} ${t.name.padEnd(8)} ${s.throughput.toFixed(0).padStart(5)} req/s  ttfb p50 ${s.ttfbP50.toFixed(2)} p90 ${s.ttfbP90.toFixed(2)} ms  cpu/stream ${(used / (run.completed ?? 1)).toFixed(3)} ms (${perThread})`,
      );
    }
  }
  for (let round = 0; round < 3; round++) {
    const line = [];
    for (const t of [bare, gw]) {
      const run = await openLoop(t, 200, 2);
      const s = summarize(run);
      line.push(`${t.name} p50 ${s.ttfbP50.toFixed(2)} p90 ${s.ttfbP90.toFixed(2)}`);
    }
    console.log(`200 req/s ttfb: ${line.join(" | ")}`);
  }
  console.log(`gateway RSS ${rssMb(gateway.pid).toFixed(0)} MB`);
} finally {
  await gateway.stop();
  await proxy.stop();
  await fake.close();
  rmSync(dataDir, { recursive: true, force: true });
}
