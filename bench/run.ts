// `npm run bench`: the gateway against a bare Node pipe proxy and the upstream itself, on this machine,
// in one run. Starts the fake upstream, the bare proxy and the real gateway as separate processes on
// 127.0.0.1, measures latency, throughput and memory, times each Lambda bundle's cold initialisation,
// writes docs/benchmarks.md and prints a summary. Not part of `npm test`: it is slow and noisy.
//
// Flags: --quick (shorter rounds, for trying changes), --profile (writes a CPU profile of the
// gateway to .bench-tmp/profiles), --no-doc (print only), --skip=<phase,…> (latency, rates, memory,
// streams, admission, lambda, aws), --report-only (re-render the document from the last run), --aws-only
// (only the AWS path and the bundles' init, written into that section of the existing document),
// --local (only the local host's targets, printed, not written: the interleaved rounds at 50
// connections for the toy and the realistic turn, added TTFB at 200 req/s for both, and 5,000 open
// streams; a few minutes), --rounds=N (rounds of the interleaved phase; 5, 3 with --quick).
import { randomBytes } from "node:crypto";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { chatToCodex } from "../src/core/openai/chat-request.ts";
import { ADMISSION_ENV, type AdmissionRow, admissionPhase } from "./admission.ts";
import { type AwsPathResults, measureAwsPath } from "./aws-path.ts";
import { renderAwsSection } from "./aws-report.ts";
import { type LambdaInit, measureLambdaInit } from "./lambda-init.ts";
import {
  closedLoop,
  holdStreams,
  longStream,
  median,
  newAgent,
  once,
  openLoop,
  type Summary,
  summarize,
  type Target,
} from "./load.ts";
import {
  adminClient,
  cpuTimes,
  type FakeProcess,
  freePort,
  REPO_ROOT,
  rssMb,
  rssParts,
  type ServerProcess,
  seedPool,
  startBareProxy,
  startFakeProcess,
  startGatewayProcess,
  UNLIMITED_ADMISSION,
} from "./processes.ts";
import { AWS_END, AWS_START, renderReport } from "./report.ts";
import {
  REALISTIC_CHAT_BODY,
  REALISTIC_CODEX_BODY,
  realisticEvents,
  TOY_CHAT_BODY,
  TOY_CODEX_BODY,
  type Workload,
} from "./workloads.ts";

const args = process.argv.slice(2);
const QUICK = args.includes("--quick");
const PROFILE = args.includes("--profile");
/** Only the local host's targets (see the header); printed, never written into the document. */
const LOCAL = args.includes("--local");
const WRITE_DOC = !args.includes("--no-doc") && !QUICK && !LOCAL;
const SKIP = new Set([
  ...(args
    .find((a) => a.startsWith("--skip="))
    ?.slice(7)
    .split(",") ?? []),
  ...(LOCAL ? ["latency", "memory", "admission", "lambda", "aws"] : []),
]);

const CONCURRENCY = [1, 5, 50, 100, 500];
/** The level the local targets are set at (issue 18): rounds of bare proxy and gateway in turn. */
const TARGET_CONCURRENCY = 50;
const TARGET_ROUNDS = Number(args.find((a) => a.startsWith("--rounds="))?.slice(9) ?? (QUICK ? 3 : 5));
const LEVEL_SECONDS = QUICK ? 1 : 2.5;
const RATE_ROUNDS = QUICK ? 3 : 5;
const RATE_SECONDS = QUICK ? 1 : 2;
const INTERLEAVED_RATE = 200;
const OTHER_RATES = LOCAL ? [] : [50, 100, 400];
const OPEN_STREAMS = LOCAL ? [5000] : QUICK ? [1000] : [1000, 5000];
const POOL = "bench";
const ACCOUNTS = 4;

export type TargetName = "direct" | "bare proxy" | "gateway";
export type EndpointName = "codex" | "chat";

export interface LatencyRow {
  /** Absent in older results: the toy turn. */
  workload?: Workload;
  endpoint: EndpointName;
  concurrency: number;
  target: TargetName;
  summary: Summary;
  cpu?: CpuPerStream;
}

/** CPU time per complete stream of a closed loop (ms), by process, and how busy the machine was. */
export interface CpuPerStream {
  /** The proxy under test (bare proxy or gateway), all its threads; none for direct. */
  server?: number;
  /** Of `server`, its main thread (the event loop); the rest are worker and helper threads. */
  serverMain?: number;
  /** The fake upstream. */
  upstream: number;
  /** The load generator (this process). */
  load: number;
  /** Cores in use on average over the loop, all three processes together. */
  cores: number;
}

export interface RateRow {
  /** Absent in older results: the toy turn. */
  workload?: Workload;
  endpoint: EndpointName;
  rate: number;
  target: TargetName;
  rounds: number;
  /** Medians over the rounds. */
  ttfbP50: number;
  ttfbP90: number;
  ttfbP99: number;
  totalP50: number;
  errors: number;
  requests: number;
}

/** One round at the targets' level: the bare proxy and the gateway one after the other. */
export interface InterleavedRow {
  workload: Workload;
  endpoint: EndpointName;
  round: number;
  concurrency: number;
  bare: Summary;
  bareCpu: CpuPerStream;
  gateway: Summary;
  gatewayCpu: CpuPerStream;
}

export interface StreamMemoryRow {
  label: string;
  megabytes: number;
  ok: boolean;
  ms: number;
  baselineMb: number;
  peakMb: number;
  endMb: number;
}

export interface OpenStreamsRow {
  streams: number;
  target: TargetName;
  /** Request body size; 0 for the usual small turn. */
  bodyKb?: number;
  opened: number;
  completed: number;
  idleMb: number;
  rssMb: number;
  /** Of rssMb: anonymous memory and file-backed pages (older results have neither). */
  anonMb?: number;
  fileMb?: number;
}

export interface BenchResults {
  startedAt: string;
  node: string;
  cpus: number;
  quick: boolean;
  latency: LatencyRow[];
  /** Rounds at the targets' level (absent in older results). */
  interleaved?: InterleavedRow[];
  rates: RateRow[];
  streamMemory: StreamMemoryRow[];
  openStreams: OpenStreamsRow[];
  lambdas: LambdaInit[];
  /** The AWS path (bench/aws-path.ts); absent in older results. */
  aws?: AwsPathResults;
  idleRssMb: { gateway: number; bareProxy: number };
  /** Older results have none. */
  admission?: AdmissionRow;
  /** The machine's 1-minute load average while the run went, lowest and highest sample. */
  loadAverage?: [number, number];
}

const CODEX_BODY = TOY_CODEX_BODY;

const log = (line: string) => process.stdout.write(`${line}\n`);
const fmt = (n: number, digits = 2) => (Number.isFinite(n) ? n.toFixed(digits) : "–");

/** Writes the document and lets Biome lay out its tables (the repository's lint checks Markdown too). */
async function writeDoc(markdown: string): Promise<void> {
  const { spawnSync } = await import("node:child_process");
  const file = join(REPO_ROOT, "docs/benchmarks.md");
  writeFileSync(file, markdown);
  const biome = join(REPO_ROOT, "node_modules/@biomejs/biome/bin/biome");
  spawnSync(process.execPath, [biome, "format", "--write", file], { cwd: REPO_ROOT, stdio: "ignore" });
}

/** `--report-only`: re-render docs/benchmarks.md from the last run's results (after editing notes.md). */
async function reportOnly(): Promise<void> {
  const { readFileSync } = await import("node:fs");
  const results = JSON.parse(
    readFileSync(join(REPO_ROOT, ".bench-tmp/results.json"), "utf8"),
  ) as BenchResults;
  const report = renderReport(results);
  await writeDoc(report.markdown);
  log(`${report.summary}\nwrote docs/benchmarks.md`);
}

/**
 * `--aws-only`: the AWS-path phase and the Lambda bundles' init, written into the AWS-path section of
 * the existing docs/benchmarks.md (the local figures stay as they are).
 */
async function awsOnly(): Promise<void> {
  const { readFileSync } = await import("node:fs");
  const fake = await startFakeProcess();
  let aws: AwsPathResults;
  let lambdas: LambdaInit[];
  try {
    const latencyMs = Number(process.env.BENCH_AWS_LATENCY_MS ?? 8);
    log(`AWS path: each function in its own process, ${latencyMs} ms per DynamoDB / Secrets Manager call`);
    aws = await measureAwsPath(fake, { latencyMs, runs: QUICK ? 3 : 5, log });
    lambdas = await measureLambdaInit(QUICK ? 3 : 5);
  } finally {
    await fake.close().catch(() => undefined);
  }
  const tmp = join(REPO_ROOT, ".bench-tmp");
  mkdirSync(tmp, { recursive: true });
  writeFileSync(join(tmp, "results-aws.json"), `${JSON.stringify({ aws, lambdas }, null, 2)}\n`);
  const section = [AWS_START, ...renderAwsSection(aws, lambdas), AWS_END].join("\n");
  if (!WRITE_DOC) {
    log(section);
    return;
  }
  const doc = readFileSync(join(REPO_ROOT, "docs/benchmarks.md"), "utf8");
  const start = doc.indexOf(AWS_START);
  const end = doc.indexOf(AWS_END);
  await writeDoc(
    start >= 0 && end > start
      ? `${doc.slice(0, start)}${section}${doc.slice(end + AWS_END.length)}`
      : `${doc.trimEnd()}\n\n${section}\n`,
  );
  log("wrote the AWS-path section of docs/benchmarks.md");
}

async function main(): Promise<void> {
  const { cpus, loadavg } = await import("node:os");
  const tmp = join(REPO_ROOT, ".bench-tmp");
  const dataDir = join(tmp, `gateway-${randomBytes(4).toString("hex")}`);
  const profileDir = join(tmp, "profiles");
  mkdirSync(dataDir, { recursive: true });
  if (PROFILE) mkdirSync(profileDir, { recursive: true });
  const adminToken = `bench-admin-${randomBytes(16).toString("hex")}`;

  const started: { stop(): Promise<void> }[] = [];
  let fake: FakeProcess | undefined;
  const results: BenchResults = {
    startedAt: new Date().toISOString(),
    node: process.version,
    cpus: cpus().length,
    quick: QUICK,
    latency: [],
    rates: [],
    streamMemory: [],
    openStreams: [],
    lambdas: [],
    idleRssMb: { gateway: 0, bareProxy: 0 },
  };
  // Other work on the machine moves every figure: the report says how busy it was.
  const loads: number[] = [loadavg()[0] ?? 0];
  const sampler = setInterval(() => loads.push(loadavg()[0] ?? 0), 10_000);
  try {
    fake = await startFakeProcess();
    const proxy = await startBareProxy(fake.url);
    started.push(proxy);
    const port = await freePort();
    const fakeUrls = fake;
    const launch = (env: Record<string, string> = UNLIMITED_ADMISSION) =>
      startGatewayProcess({
        upstreamBaseUrl: fakeUrls.upstreamBaseUrl,
        authBaseUrl: fakeUrls.url,
        dataDir,
        adminToken,
        port,
        profileDir: PROFILE ? profileDir : undefined,
        env,
      });
    let gateway = await launch();
    started.push({ stop: () => gateway.stop() });
    /** A fresh gateway process on the same data and port: memory phases start from a clean heap. */
    const restart = async (env?: Record<string, string>) => {
      await gateway.stop();
      gateway = await launch(env);
      await warmUp(targets);
      return gateway;
    };
    log(`fake upstream ${fake.url}, bare proxy ${proxy.url}, gateway ${gateway.url}`);

    const { workloads, accountIds } = await seed(fake, proxy, gateway, adminToken);
    const targets = workloads.toy;
    await warmUp(targets);
    results.idleRssMb = { gateway: rssMb(gateway.pid), bareProxy: rssMb(proxy.pid) };
    log(
      `idle RSS: gateway ${fmt(results.idleRssMb.gateway, 0)} MB, bare proxy ${fmt(results.idleRssMb.bareProxy, 0)} MB`,
    );

    if (!SKIP.has("latency")) {
      results.latency = await latencyPhase(targets, {
        upstream: fake.pid,
        server: { "bare proxy": proxy.pid, gateway: gateway.pid },
      });
    }
    const pids: CpuSources = {
      upstream: fake.pid,
      server: { "bare proxy": proxy.pid, gateway: gateway.pid },
    };
    if (!SKIP.has("interleaved")) {
      results.interleaved = await interleavedPhase(workloads, pids, (w) =>
        useWorkload(fake as FakeProcess, accountIds, w),
      );
    }
    if (!SKIP.has("rates")) {
      results.rates = await ratePhase(workloads, (w) => useWorkload(fake as FakeProcess, accountIds, w));
    }
    if (!SKIP.has("memory"))
      results.streamMemory = await streamMemoryPhase(fake, accountIds, targets, await restart(), proxy);
    if (!SKIP.has("streams"))
      results.openStreams = await openStreamsPhase(fake, accountIds, targets, () => restart(), proxy);
    if (!SKIP.has("admission")) {
      results.admission = await admissionPhase({
        fake,
        accountIds,
        gateway: await restart(ADMISSION_ENV),
        target: targets.codex.gateway,
        adminToken,
        log,
      });
    }
    if (!SKIP.has("lambda")) {
      log("\nLambda bundles: cold module initialisation");
      results.lambdas = await measureLambdaInit(QUICK ? 3 : 7);
      for (const l of results.lambdas)
        log(
          `  ${l.name.padEnd(10)} ${fmt(l.kb, 1).padStart(7)} KB  init p50 ${fmt(l.initMsMedian, 0)} ms (max ${fmt(l.initMsMax, 0)})`,
        );
    }
    if (!SKIP.has("aws")) {
      const latencyMs = Number(process.env.BENCH_AWS_LATENCY_MS ?? 8);
      log(
        `\nAWS path: each function in its own process, ${latencyMs} ms per DynamoDB / Secrets Manager call`,
      );
      results.aws = await measureAwsPath(fake, { latencyMs, runs: QUICK ? 3 : 5, log });
    }
  } finally {
    clearInterval(sampler);
    results.loadAverage = [Math.min(...loads), Math.max(...loads)];
    for (const server of started.reverse()) await server.stop().catch(() => undefined);
    await fake?.close().catch(() => undefined);
    rmSync(dataDir, { recursive: true, force: true });
  }

  // A --local run leaves the last full run's results (which --report-only renders) alone.
  writeFileSync(
    join(tmp, LOCAL ? "results-local.json" : "results.json"),
    `${JSON.stringify(results, null, 2)}\n`,
  );
  const report = renderReport(results);
  log(`\n${report.summary}`);
  log(`load average ${fmt(results.loadAverage[0], 1)}–${fmt(results.loadAverage[1], 1)} while it ran`);
  if (WRITE_DOC) {
    await writeDoc(report.markdown);
    log("wrote docs/benchmarks.md");
  }
  if (PROFILE) log(`CPU profile of the gateway in ${profileDir}`);
}

type Targets = Record<EndpointName, Record<TargetName, Target>>;

/** What the fake answers every account with: the 9-event text turn, or the 200-event one. */
async function useWorkload(fake: FakeProcess, accountIds: string[], workload: Workload): Promise<void> {
  const behavior =
    workload === "toy" ? { kind: "text" as const } : { kind: "scripted" as const, events: realisticEvents() };
  for (const id of accountIds) await fake.setDefaultBehavior(id, behavior);
}

/** A Pool with accounts and a key through the admin API; direct and proxy targets use one account's token. */
async function seed(
  fake: FakeProcess,
  proxy: ServerProcess,
  gateway: ServerProcess,
  adminToken: string,
): Promise<{ workloads: Record<Workload, Targets>; accountIds: string[] }> {
  const { key, accounts } = await seedPool(adminClient(gateway.url, adminToken), fake, POOL, ACCOUNTS);
  const first = accounts[0];
  if (!first) throw new Error("no account seeded");
  const upstreamHeaders = {
    authorization: `Bearer ${first.authJson.tokens.access_token}`,
    "chatgpt-account-id": first.accountId,
    "content-type": "application/json",
    accept: "text/event-stream",
    originator: "codex_cli_rs",
  };
  const gatewayHeaders = {
    authorization: `Bearer ${key}`,
    "content-type": "application/json",
    accept: "text/event-stream",
  };
  const upstreamPath = "/backend-api/codex/responses";
  const targetsFor = (codexBody: unknown, chatBody: Record<string, unknown>): Targets => {
    const codex = JSON.stringify(codexBody);
    // What the gateway sends upstream for the chat request: the fair direct/proxy equivalent.
    const chatUpstream = JSON.stringify(chatToCodex(structuredClone(chatBody)).upstream);
    const leg = (name: TargetName, url: string, headers: Record<string, string>, body: string) => ({
      name,
      url,
      headers,
      body,
    });
    return {
      codex: {
        direct: leg("direct", `${fake.url}${upstreamPath}`, upstreamHeaders, codex),
        "bare proxy": leg("bare proxy", `${proxy.url}${upstreamPath}`, upstreamHeaders, codex),
        gateway: leg("gateway", `${gateway.url}${upstreamPath}`, gatewayHeaders, codex),
      },
      chat: {
        direct: leg("direct", `${fake.url}${upstreamPath}`, upstreamHeaders, chatUpstream),
        "bare proxy": leg("bare proxy", `${proxy.url}${upstreamPath}`, upstreamHeaders, chatUpstream),
        gateway: leg(
          "gateway",
          `${gateway.url}/v1/chat/completions`,
          gatewayHeaders,
          JSON.stringify(chatBody),
        ),
      },
    };
  };
  const workloads = {
    toy: targetsFor(TOY_CODEX_BODY, TOY_CHAT_BODY),
    realistic: targetsFor(REALISTIC_CODEX_BODY, REALISTIC_CHAT_BODY),
  };
  return { workloads, accountIds: accounts.map((a) => a.accountId) };
}

async function warmUp(targets: Targets, requests = 300): Promise<void> {
  const agent = newAgent();
  for (const endpoint of Object.values(targets)) {
    for (const target of Object.values(endpoint)) {
      for (let i = 0; i < requests; i += 20) {
        const batch = await Promise.all(Array.from({ length: 20 }, () => once(target, agent)));
        if (i === 0 && !batch.every((s) => s.ok)) throw new Error(`warm-up failed for ${target.url}`);
      }
    }
  }
  agent.destroy();
}

/** Process ids whose CPU the closed loops measure. */
interface CpuSources {
  upstream: number;
  server: Record<Exclude<TargetName, "direct">, number>;
}

/** A closed loop, with the CPU each process spent per complete stream. */
async function measuredLoop(
  target: Target,
  concurrency: number,
  server: number | undefined,
  upstream: number,
) {
  const before = { server: server ? cpuTimes(server) : undefined, upstream: cpuTimes(upstream).all };
  const load = process.cpuUsage();
  const started = performance.now();
  const run = await closedLoop(target, concurrency, LEVEL_SECONDS);
  const wallMs = performance.now() - started;
  const loadUsage = process.cpuUsage(load);
  const loadMs = (loadUsage.user + loadUsage.system) / 1000;
  const after = server ? cpuTimes(server) : undefined;
  const upstreamMs = cpuTimes(upstream).all - before.upstream;
  const serverMs = after && before.server ? after.all - before.server.all : 0;
  const streams = Math.max(1, run.completed ?? 0);
  const cpu: CpuPerStream = {
    server: after ? serverMs / streams : undefined,
    serverMain: after && before.server ? (after.main - before.server.main) / streams : undefined,
    upstream: upstreamMs / streams,
    load: loadMs / streams,
    cores: (serverMs + upstreamMs + loadMs) / wallMs,
  };
  return { summary: summarize(run), cpu };
}

async function latencyPhase(targets: Targets, pids: CpuSources): Promise<LatencyRow[]> {
  const rows: LatencyRow[] = [];
  for (const endpoint of ["codex", "chat"] as const) {
    log(
      `\n${endpoint === "codex" ? "/backend-api/codex/responses" : "/v1/chat/completions"}: closed loop, ${LEVEL_SECONDS} s per level`,
    );
    for (const concurrency of CONCURRENCY) {
      for (const target of ["direct", "bare proxy", "gateway"] as const) {
        const server = target === "direct" ? undefined : pids.server[target];
        const { summary, cpu } = await measuredLoop(
          targets[endpoint][target],
          concurrency,
          server,
          pids.upstream,
        );
        rows.push({ endpoint, concurrency, target, summary, cpu });
        log(
          `  c=${String(concurrency).padEnd(4)} ${target.padEnd(10)} ${fmt(summary.throughput, 0).padStart(6)} req/s  ` +
            `ttfb p50 ${fmt(summary.ttfbP50)} p99 ${fmt(summary.ttfbP99)} ms  total p50 ${fmt(summary.totalP50)} p99 ${fmt(summary.totalP99)} ms  ` +
            `cpu/stream ${cpu.server === undefined ? "" : `${target} ${fmt(cpu.server, 3)} (main ${fmt(cpu.serverMain ?? Number.NaN, 3)}), `}upstream ${fmt(cpu.upstream, 3)}, load ${fmt(cpu.load, 3)} ms; ${fmt(cpu.cores, 2)} cores` +
            (summary.errors ? `  errors ${summary.errors}` : ""),
        );
      }
    }
  }
  return rows;
}

/**
 * The local targets' level (50 connections), in rounds: each round runs the bare proxy and the
 * gateway one after the other (the order alternating) for each route, so each ratio and each CPU
 * figure compares legs that ran seconds apart on the same machine; the medians over the rounds count.
 */
async function interleavedPhase(
  workloads: Record<Workload, Targets>,
  pids: CpuSources,
  use: (workload: Workload) => Promise<void>,
): Promise<InterleavedRow[]> {
  const rows: InterleavedRow[] = [];
  for (const workload of ["toy", "realistic"] as const) {
    await use(workload);
    await warmUp(workloads[workload], 100);
    log(
      `\nInterleaved at ${TARGET_CONCURRENCY} connections, ${workload} turn: ${TARGET_ROUNDS} rounds of ${LEVEL_SECONDS} s per leg`,
    );
    for (let round = 0; round < TARGET_ROUNDS; round++) {
      for (const endpoint of ["codex", "chat"] as const) {
        const order =
          round % 2 === 0 ? (["bare proxy", "gateway"] as const) : (["gateway", "bare proxy"] as const);
        const legs: Partial<Record<"bare proxy" | "gateway", Awaited<ReturnType<typeof measuredLoop>>>> = {};
        for (const target of order) {
          legs[target] = await measuredLoop(
            workloads[workload][endpoint][target],
            TARGET_CONCURRENCY,
            pids.server[target],
            pids.upstream,
          );
        }
        const bare = legs["bare proxy"] as Awaited<ReturnType<typeof measuredLoop>>;
        const gw = legs.gateway as Awaited<ReturnType<typeof measuredLoop>>;
        rows.push({
          workload,
          endpoint,
          round,
          concurrency: TARGET_CONCURRENCY,
          bare: bare.summary,
          bareCpu: bare.cpu,
          gateway: gw.summary,
          gatewayCpu: gw.cpu,
        });
        log(
          `  round ${round + 1} ${endpoint.padEnd(5)} bare ${fmt(bare.summary.throughput, 0).padStart(5)} req/s (cpu ${fmt(bare.cpu.server ?? Number.NaN, 3)} ms)  ` +
            `gateway ${fmt(gw.summary.throughput, 0).padStart(5)} req/s = ${fmt(gw.summary.throughput / bare.summary.throughput)}× (cpu ${fmt(gw.cpu.server ?? Number.NaN, 3)} ms, main ${fmt(gw.cpu.serverMain ?? Number.NaN, 3)}); ${fmt(gw.cpu.cores, 2)} cores` +
            (gw.summary.errors + bare.summary.errors
              ? `  errors ${gw.summary.errors + bare.summary.errors}`
              : ""),
        );
      }
    }
  }
  await use("toy");
  return rows;
}

/** Fixed rates; at 200 req/s the targets take turns, round after round, and the medians count. */
async function ratePhase(
  workloads: Record<Workload, Targets>,
  use: (workload: Workload) => Promise<void>,
): Promise<RateRow[]> {
  const rows: RateRow[] = [];
  let targets = workloads.toy;
  let workload: Workload = "toy";
  const run = async (endpoint: EndpointName, rate: number, rounds: number) => {
    const per: Record<TargetName, Summary[]> = { direct: [], "bare proxy": [], gateway: [] };
    for (let round = 0; round < rounds; round++) {
      // Rotate the order so no target always runs first in a round.
      const order: TargetName[] = ["bare proxy", "gateway", "direct"];
      for (let i = 0; i < round % 3; i++) order.push(order.shift() as TargetName);
      for (const target of order) {
        per[target].push(summarize(await openLoop(targets[endpoint][target], rate, RATE_SECONDS)));
      }
    }
    for (const target of ["direct", "bare proxy", "gateway"] as const) {
      const s = per[target];
      const row: RateRow = {
        workload,
        endpoint,
        rate,
        target,
        rounds,
        ttfbP50: median(s.map((x) => x.ttfbP50)),
        ttfbP90: median(s.map((x) => x.ttfbP90)),
        ttfbP99: median(s.map((x) => x.ttfbP99)),
        totalP50: median(s.map((x) => x.totalP50)),
        errors: s.reduce((n, x) => n + x.errors, 0),
        requests: s.reduce((n, x) => n + x.requests, 0),
      };
      rows.push(row);
      log(
        `  ${String(rate).padStart(4)} req/s ${workload === "toy" ? "" : `${workload} `}${endpoint.padEnd(5)} ${target.padEnd(10)} ttfb p50 ${fmt(row.ttfbP50)} p90 ${fmt(row.ttfbP90)} p99 ${fmt(row.ttfbP99)} ms` +
          (row.errors ? `  errors ${row.errors}` : ""),
      );
    }
  };
  log(
    `\nFixed rates (${RATE_SECONDS} s per round; ${INTERLEAVED_RATE} req/s: ${RATE_ROUNDS} interleaved rounds, medians)`,
  );
  for (const endpoint of ["codex", "chat"] as const) await run(endpoint, INTERLEAVED_RATE, RATE_ROUNDS);
  for (const rate of OTHER_RATES) await run("codex", rate, QUICK ? 1 : 2);
  // The realistic turn at the same rate: a 100 KB request each, answered with 200 events.
  await use("realistic");
  targets = workloads.realistic;
  workload = "realistic";
  await warmUp(targets, 100);
  for (const endpoint of ["codex", "chat"] as const) await run(endpoint, INTERLEAVED_RATE, RATE_ROUNDS);
  await use("toy");
  return rows;
}

/** RSS of the gateway (and the bare proxy, for scale) while one long answer streams through. */
async function streamMemoryPhase(
  fake: FakeProcess,
  accountIds: string[],
  targets: Targets,
  gateway: ServerProcess,
  proxy: ServerProcess,
): Promise<StreamMemoryRow[]> {
  const rows: StreamMemoryRow[] = [];
  const cases = [
    { label: "gateway, 1 MB", mb: 1, target: targets.codex.gateway, pid: gateway.pid, readDelayMs: 0 },
    { label: "gateway, 10 MB", mb: 10, target: targets.codex.gateway, pid: gateway.pid, readDelayMs: 0 },
    { label: "gateway, 50 MB", mb: 50, target: targets.codex.gateway, pid: gateway.pid, readDelayMs: 0 },
    {
      label: "gateway, 10 MB, slow reader",
      mb: 10,
      target: targets.codex.gateway,
      pid: gateway.pid,
      readDelayMs: 3,
    },
    {
      label: "gateway, 10 MB, /v1/chat",
      mb: 10,
      target: targets.chat.gateway,
      pid: gateway.pid,
      readDelayMs: 0,
    },
    {
      label: "gateway, 50 MB, /v1/chat",
      mb: 50,
      target: targets.chat.gateway,
      pid: gateway.pid,
      readDelayMs: 0,
    },
    {
      label: "bare proxy, 10 MB",
      mb: 10,
      target: targets.codex["bare proxy"],
      pid: proxy.pid,
      readDelayMs: 0,
    },
    {
      label: "bare proxy, 50 MB",
      mb: 50,
      target: targets.codex["bare proxy"],
      pid: proxy.pid,
      readDelayMs: 0,
    },
  ];
  log("\nMemory across one long stream (RSS of the process in the middle)");
  for (const c of cases) {
    for (const id of accountIds) {
      await fake.setDefaultBehavior(id, { kind: "large_text", bytes: c.mb * 1024 * 1024, chunkBytes: 2048 });
    }
    const target = c.target;
    await new Promise((resolve) => setTimeout(resolve, 300));
    const baseline = rssMb(c.pid);
    let peak = baseline;
    let last = performance.now();
    const result = await longStream(target, {
      readDelayMs: c.readDelayMs,
      timeoutMs: 120_000,
      onChunk() {
        if (performance.now() - last < 20) return;
        last = performance.now();
        peak = Math.max(peak, rssMb(c.pid));
      },
    });
    peak = Math.max(peak, rssMb(c.pid));
    const row = {
      label: c.label,
      megabytes: c.mb,
      ok: result.ok,
      ms: result.ms,
      baselineMb: baseline,
      peakMb: peak,
      endMb: rssMb(c.pid),
    };
    rows.push(row);
    log(
      `  ${c.label.padEnd(28)} ${row.ok ? "ok  " : "FAIL"} ${fmt(result.bytes / 1048576, 1)} MB in ${fmt(result.ms, 0)} ms  ` +
        `RSS ${fmt(baseline, 0)} → peak ${fmt(peak, 0)} MB (+${fmt(peak - baseline, 1)})`,
    );
  }
  for (const id of accountIds) await fake.setDefaultBehavior(id, { kind: "text" });
  return rows;
}

/** Streams held open by the upstream after their first event; RSS once they are all open. */
async function openStreamsPhase(
  fake: FakeProcess,
  accountIds: string[],
  targets: Targets,
  restart: () => Promise<ServerProcess>,
  proxy: ServerProcess,
): Promise<OpenStreamsRow[]> {
  const rows: OpenStreamsRow[] = [];
  log("\nOpen streams held by the upstream (RSS)");
  const hold = async (on: boolean) => {
    for (const id of accountIds) {
      await fake.setDefaultBehavior(id, on ? { kind: "text", pauseAfterEvent: 2 } : { kind: "text" });
    }
  };
  // A long Codex conversation sends its whole history each turn: 200 KB bodies, as well as tiny ones.
  const bigBody = JSON.stringify({
    ...CODEX_BODY,
    input: [{ type: "message", role: "user", content: [{ type: "input_text", text: "x".repeat(200_000) }] }],
  });
  const runs = [
    ...OPEN_STREAMS.map((count) => ({ count, bodyKb: 0 })),
    ...(LOCAL ? [] : [{ count: 1000, bodyKb: Math.round(bigBody.length / 1024) }]),
  ];
  for (const { count, bodyKb } of runs) {
    // Each gateway run starts from a fresh process, so one run's heap does not colour the next.
    await hold(false);
    const gateway = await restart();
    await hold(true);
    for (const [name, server] of [
      ["gateway", gateway],
      ["bare proxy", proxy],
    ] as const) {
      const idle = rssMb(server.pid);
      const target = bodyKb ? { ...targets.codex[name], body: bigBody } : targets.codex[name];
      const held = await holdStreams(target, count);
      await new Promise((resolve) => setTimeout(resolve, 1000));
      const { rss, anon, file } = rssParts(server.pid);
      await fake.releasePaused();
      const { completed } = await held.finish(60_000);
      rows.push({
        streams: count,
        target: name,
        bodyKb,
        opened: held.opened,
        completed,
        idleMb: idle,
        rssMb: rss,
        anonMb: anon,
        fileMb: file,
      });
      log(
        `  ${String(count).padStart(5)} streams ${name.padEnd(10)}${bodyKb ? ` (${bodyKb} KB bodies)` : ""} open ${held.opened}, completed ${completed}: ` +
          `RSS ${fmt(rss, 0)} MB (anonymous ${fmt(anon, 0)}, files ${fmt(file, 0)}; idle before ${fmt(idle, 0)} MB)`,
      );
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
  }
  await hold(false);
  return rows;
}

await (args.includes("--report-only") ? reportOnly() : args.includes("--aws-only") ? awsOnly() : main());
