// The AWS-path section of docs/benchmarks.md (bench/aws-path.ts's figures) and the runtime function's
// memory size chosen from them.
import type { AwsPathResults } from "./aws-path.ts";
import type { LambdaInit } from "./lambda-init.ts";

const f = (n: number | undefined, digits = 1) =>
  n !== undefined && Number.isFinite(n) ? n.toFixed(digits) : "–";

/** Lambda gives a function one vCPU at 1,769 MB and a share proportional to its memory below that. */
export const FULL_VCPU_MB = 1769;
export const CANDIDATE_MB = [256, 384, 512, 768, 1024, 1536] as const;

/** What the runtime function must keep at its memory size (CPU projected at memory / 1,769 MB). */
export const SIZING_BUDGET = {
  /** CPU before the first byte of a small turn, projected: what the size adds to the TTFB. */
  smallTurnCpuMs: 25,
  /** The same for a 200 KB request body (decode, parse, relay). */
  largeBodyCpuMs: 80,
  /** Module initialisation of the bundle, projected. */
  initMs: 1_000,
  /** Peak resident memory as a share of the size (the rest is headroom for bigger bodies and GC). */
  memoryShare: 0.6,
};

export interface SizeCheck {
  mb: number;
  smallCpuMs: number;
  largeCpuMs: number;
  initMs: number;
  peakMb: number;
  fits: boolean;
}

/** Projects the measured figures onto each candidate size; the first that fits is the one to use. */
export function sizeChecks(aws: AwsPathResults, lambdas: LambdaInit[]): SizeCheck[] {
  const runtime = lambdas.find((l) => l.name === "runtime");
  const small = aws.sizing.find((s) => s.workload === "small turn");
  const large = aws.sizing.find((s) => s.requestKb >= 200);
  // The bundle's memory after init, plus what a turn adds on top of the bench process's idle memory.
  const rise = Math.max(0, ...aws.sizing.map((s) => s.peakRssMb - aws.idleRssMb));
  const peakMb = (runtime?.rssMb ?? aws.idleRssMb) + rise;
  // CPU time, not duration: on a busy machine the duration measures the machine's load.
  const init = runtime?.initCpuMs ?? runtime?.initMsMedian ?? aws.initMs;
  return CANDIDATE_MB.map((mb) => {
    const scale = Math.max(1, FULL_VCPU_MB / mb);
    const check = {
      mb,
      smallCpuMs: (small?.cpuBeforeFirstByteMs ?? 0) * scale,
      largeCpuMs: (large?.cpuBeforeFirstByteMs ?? 0) * scale,
      initMs: init * scale,
      peakMb,
    };
    return {
      ...check,
      fits:
        check.smallCpuMs <= SIZING_BUDGET.smallTurnCpuMs &&
        check.largeCpuMs <= SIZING_BUDGET.largeBodyCpuMs &&
        check.initMs <= SIZING_BUDGET.initMs &&
        peakMb <= mb * SIZING_BUDGET.memoryShare,
    };
  });
}

export function renderAwsSection(aws: AwsPathResults, lambdas: LambdaInit[]): string[] {
  const checks = sizeChecks(aws, lambdas);
  const chosen = checks.find((c) => c.fits);
  const md: string[] = [];
  md.push(
    "## AWS path",
    "",
    "`bench/aws-path.ts`: the runtime and admin functions each run in their own process (one execution",
    "environment each, built as `lambdas/*.ts` build them), against the embedded DynamoDB emulator and a",
    `Secrets Manager stand-in, both behind ${aws.latencyMs} ms per call to mimic an in-region round trip`,
    "(`BENCH_AWS_LATENCY_MS`). A Codex turn as the CLI sends it over HTTP (session header, prompt cache",
    "key) against two accounts; a new process per cold turn, its second turn is warm and its third",
    `comes after 6 s of idle (the short caches expired; the process's clock is moved). Medians of ${aws.runs}`,
    "runs. _Round trips_ are those the turn waited for before its upstream request, from the calls'",
    "timestamps (a call that starts after another has answered opens a round; a round still in flight",
    "when the upstream is called, such as a background re-read, held nothing up);",
    "`test/aws-round-trips.test.ts` holds the same counts exactly, without timing. _Added_ is what the",
    "latency added (the same turns at 0 ms subtracted); _billed_ is the invocation's duration, the",
    "stream included.",
    "",
    "| Turn | AWS calls before / after the first byte | Writes before / after | Round trips before the upstream request | Added before the upstream request | Added TTFB | Billed (at 0 ms) |",
    "|---|---|---|---|---|---|---|",
    ...aws.turns.map(
      (t) =>
        `| ${t.turn} | ${t.callsBefore} / ${t.callsAfter} | ${t.writesBefore} / ${t.writesAfter} | ${t.roundTrips} | ${f(t.addedBeforeUpstreamMs)} ms | ${f(t.addedTtfbMs)} ms | ${f(t.billedMs)} ms (${f(t.billedMsNoLatency)} ms) |`,
    ),
    "",
    "The calls of one turn, by action (before / after the first byte):",
    "",
    ...aws.turns.map((t) => `- ${t.turn}: ${t.actions}`),
    "",
    "### Sizing the runtime function",
    "",
    "Lambda bills memory × duration, and a turn spends most of its duration waiting on the model, so",
    "the runtime function should be as small as its CPU and memory allow. Lambda gives a function one",
    `vCPU at ${FULL_VCPU_MB} MB and a proportional share below that, so CPU work measured here on a full core`,
    `takes ${FULL_VCPU_MB} / _size_ times as long there. Measured in one warm process per workload (0 ms`,
    "latency; CPU and peak RSS of the process, median of the runs):",
    "",
    "| Workload | Request | CPU before the first byte | CPU per turn | Peak RSS (bench process) |",
    "|---|---|---|---|---|",
    ...aws.sizing.map(
      (s) =>
        `| ${s.workload} | ${s.requestKb > 0 ? `${s.requestKb} KB` : "small"} | ${f(s.cpuBeforeFirstByteMs)} ms | ${f(s.cpuMs)} ms | ${f(s.peakRssMb, 0)} MB |`,
    ),
    "",
    `The bench process runs the TypeScript sources through \`tsx\` (${f(aws.idleRssMb, 0)} MB idle); the`,
    "bundle the stack deploys starts smaller (its RSS after init is in the Lambda bundles table), so the",
    "peak below is the bundle's RSS after init plus the most a turn added here.",
    "",
    `Budget: CPU before the first byte at most ${SIZING_BUDGET.smallTurnCpuMs} ms for a small turn and ${SIZING_BUDGET.largeBodyCpuMs} ms for a`,
    `200 KB body, init at most ${SIZING_BUDGET.initMs} ms, peak memory at most ${SIZING_BUDGET.memoryShare * 100} % of the size. All are`,
    "projected from CPU time (user + system), which the load of the machine running the bench barely",
    "changes, where durations would measure that load too. The Lambda runtime's own start (before the",
    "handler's module is imported) is not included.",
    "",
    "| Size | CPU before first byte, small | CPU before first byte, 200 KB | Init | Peak memory | Within budget |",
    "|---|---|---|---|---|---|",
    ...checks.map(
      (c) =>
        `| ${c.mb} MB | ${f(c.smallCpuMs)} ms | ${f(c.largeCpuMs)} ms | ${f(c.initMs, 0)} ms | ${f(c.peakMb, 0)} MB (${f((c.peakMb / c.mb) * 100, 0)} %) | ${c.fits ? "yes" : "no"} |`,
    ),
    "",
    chosen
      ? `Smallest size within budget on this run: **${chosen.mb} MB** (the stack's \`RuntimeMemoryMB\` parameter).`
      : "No candidate size is within budget on this run.",
    "",
  );
  return md;
}
