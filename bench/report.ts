// Turns one bench run into docs/benchmarks.md (tables, targets, a short reading) and a console summary.
// The profiling notes (what was changed, with before/after figures) are kept by hand in
// bench/notes.md and copied into the document as they are.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { renderAwsSection } from "./aws-report.ts";
import { median } from "./load.ts";
import { REPO_ROOT } from "./processes.ts";
import type { BenchResults, EndpointName, InterleavedRow, LatencyRow, RateRow } from "./run.ts";
import type { Workload } from "./workloads.ts";

const f = (n: number, digits = 2) => (Number.isFinite(n) ? n.toFixed(digits) : "–");
const ENDPOINT: Record<EndpointName, string> = {
  codex: "`POST /backend-api/codex/responses`",
  chat: "`POST /v1/chat/completions` (stream)",
};

/** The AWS-path section's bounds in the document (`npm run bench -- --aws-only` replaces just it). */
export const AWS_START = "<!-- aws-path:start -->";
export const AWS_END = "<!-- aws-path:end -->";

export const TARGETS = {
  /** Issue 18: ahead of the Node AI gateways measured on this box (0.01–0.15×). */
  throughputRatio: 0.3,
  /** CPU per request across the gateway's threads, at the targets' level. */
  cpuPerRequestMs: 1.5,
  /** /v1/chat/completions against the Codex route, CPU per request. */
  chatVsCodexCpu: 1.3,
  addedTtfbP50Ms: 0.3,
  addedTtfbP90Ms: 1,
  openStreamsMb: 300,
  streamRiseMb: 8,
  bundleKb: 500,
  initMs: 200,
};

interface Check {
  name: string;
  value: string;
  target: string;
  met: boolean;
}

const WORKLOAD: Record<Workload, string> = { toy: "toy turn", realistic: "realistic turn" };

/** Medians over the interleaved rounds of one workload and route. */
export function interleavedMedians(rows: InterleavedRow[], workload: Workload, endpoint: EndpointName) {
  const mine = rows.filter((x) => x.workload === workload && x.endpoint === endpoint);
  if (mine.length === 0) return undefined;
  const cpu = (x: InterleavedRow) => x.gatewayCpu.server ?? Number.NaN;
  return {
    rounds: mine.length,
    concurrency: mine[0]?.concurrency ?? 0,
    ratio: median(mine.map((x) => x.gateway.throughput / x.bare.throughput)),
    ratios: mine.map((x) => x.gateway.throughput / x.bare.throughput),
    cpu: median(mine.map(cpu)),
    cpus: mine.map(cpu),
    main: median(mine.map((x) => x.gatewayCpu.serverMain ?? Number.NaN)),
    bareCpu: median(mine.map((x) => x.bareCpu.server ?? Number.NaN)),
    gatewayRps: median(mine.map((x) => x.gateway.throughput)),
    bareRps: median(mine.map((x) => x.bare.throughput)),
    errors: mine.reduce((n, x) => n + x.gateway.errors, 0),
  };
}

/** The chat route's CPU per request over the Codex route's, round by round (same round, same load). */
function chatOverCodex(rows: InterleavedRow[], workload: Workload): number[] {
  const out: number[] = [];
  for (const chat of rows.filter((x) => x.workload === workload && x.endpoint === "chat")) {
    const codex = rows.find(
      (x) => x.workload === workload && x.endpoint === "codex" && x.round === chat.round,
    );
    if (codex?.gatewayCpu.server && chat.gatewayCpu.server)
      out.push(chat.gatewayCpu.server / codex.gatewayCpu.server);
  }
  return out;
}

const range = (values: number[], digits = 2) =>
  values.length > 1 ? ` (${f(Math.min(...values), digits)}–${f(Math.max(...values), digits)})` : "";

export function checks(r: BenchResults): Check[] {
  const out: Check[] = [];
  const interleaved = r.interleaved ?? [];
  for (const workload of ["toy", "realistic"] as const) {
    const label = (endpoint: EndpointName) => `${endpoint}, ${WORKLOAD[workload]}`;
    for (const endpoint of ["codex", "chat"] as const) {
      const m = interleavedMedians(interleaved, workload, endpoint);
      if (m) {
        out.push({
          name: `throughput vs bare proxy at ${m.concurrency} connections, ${label(endpoint)}`,
          value: `${f(m.ratio)}×${range(m.ratios)}`,
          target: `≥ ${TARGETS.throughputRatio}×`,
          met: m.ratio >= TARGETS.throughputRatio && m.errors === 0,
        });
        out.push({
          name: `gateway CPU per request at ${m.concurrency} connections, ${label(endpoint)}`,
          value: `${f(m.cpu, 3)} ms${range(m.cpus, 3)}`,
          target: `≤ ${TARGETS.cpuPerRequestMs} ms`,
          met: m.cpu <= TARGETS.cpuPerRequestMs,
        });
      }
    }
    const chatRatios = chatOverCodex(interleaved, workload);
    if (chatRatios.length > 0) {
      out.push({
        name: `chat CPU per request vs codex, ${WORKLOAD[workload]}`,
        value: `${f(median(chatRatios))}×${range(chatRatios)}`,
        target: `≤ ${TARGETS.chatVsCodexCpu}×`,
        met: median(chatRatios) <= TARGETS.chatVsCodexCpu,
      });
    }
    for (const endpoint of ["codex", "chat"] as const) {
      const added = addedTtfb(r.rates, endpoint, 200, workload);
      if (!added) continue;
      out.push({
        name: `added TTFB at 200 req/s, ${label(endpoint)}, p50`,
        value: `${f(added.p50)} ms`,
        target: `≤ ${TARGETS.addedTtfbP50Ms} ms`,
        met: added.p50 <= TARGETS.addedTtfbP50Ms,
      });
      out.push({
        name: `added TTFB at 200 req/s, ${label(endpoint)}, p90`,
        value: `${f(added.p90)} ms`,
        target: `≤ ${TARGETS.addedTtfbP90Ms} ms`,
        met: added.p90 <= TARGETS.addedTtfbP90Ms,
      });
    }
  }
  const biggest = r.openStreams
    .filter((row) => row.target === "gateway" && !row.bodyKb)
    .sort((a, b) => b.streams - a.streams)[0];
  if (biggest) {
    out.push({
      name: `gateway RSS with ${biggest.streams} open streams`,
      value: `${f(biggest.rssMb, 0)} MB (${biggest.opened} open)`,
      target: `< ${TARGETS.openStreamsMb} MB`,
      met: biggest.rssMb < TARGETS.openStreamsMb && biggest.opened === biggest.streams,
    });
  }
  // Flat: the rise does not grow with the bytes streamed. A fast reader lets uncollected
  // young-generation garbage show up in RSS whatever the stream's size (V8 collects it in bulk), so
  // the 50 MB stream is compared with the 10 MB one; buffering would add 40 MB.
  const rise = (m: { peakMb: number; baselineMb: number }) => m.peakMb - m.baselineMb;
  const row = (label: string) => r.streamMemory.find((m) => m.label === label);
  for (const route of ["", ", /v1/chat"]) {
    const ten = row(`gateway, 10 MB${route}`);
    const fifty = row(`gateway, 50 MB${route}`);
    if (!ten || !fifty) continue;
    out.push({
      name: `RSS rise over one stream, 50 MB vs 10 MB (fast reader${route})`,
      value: `+${f(rise(fifty), 1)} vs +${f(rise(ten), 1)} MB${ten.ok && fifty.ok ? "" : " (a stream failed)"}`,
      target: `grows < ${TARGETS.streamRiseMb} MB with 5× the bytes (flat)`,
      met: ten.ok && fifty.ok && rise(fifty) - rise(ten) < TARGETS.streamRiseMb,
    });
  }
  for (const label of ["gateway, 10 MB, slow reader"]) {
    const m = row(label);
    if (!m) continue;
    out.push({
      name: `RSS rise over one stream: ${label}`,
      value: `+${f(rise(m), 1)} MB${m.ok ? "" : " (stream failed)"}`,
      target: `< ${TARGETS.streamRiseMb} MB (flat)`,
      met: m.ok && rise(m) < TARGETS.streamRiseMb,
    });
  }
  for (const l of r.lambdas) {
    out.push({
      name: `Lambda ${l.name}: size / cold init p50`,
      value: `${f(l.kb, 0)} KB / ${f(l.initMsMedian, 0)} ms`,
      target: `≤ ${TARGETS.bundleKb} KB / ≤ ${TARGETS.initMs} ms`,
      met: l.kb <= TARGETS.bundleKb && l.initMsMedian <= TARGETS.initMs,
    });
  }
  return out;
}

/** A few sentences computed from the run, so the reading never contradicts the tables. */
function reading(r: BenchResults): string[] {
  const lines: string[] = [];
  const peak = (target: string) =>
    Math.max(0, ...r.latency.filter((x) => x.target === target).map((x) => x.summary.throughput));
  const gw = peak("gateway");
  const bare = peak("bare proxy");
  if (gw > 0 && bare > 0) {
    lines.push(
      `- **Capacity.** The gateway peaks at about ${f(gw, 0)} streams/s on this box, the bare proxy at ` +
        `${f(bare, 0)}: every gateway stream authenticates, routes, parses its body, relays through ` +
        "pull-driven chunk readers (the upstream socket in, the Node response out, no web streams on " +
        "the local host), parses the SSE events for accounting and logs " +
        "(request-log rows, pins and counters reach the store in batches every 100 ms), with the load " +
        "generator and the upstream on the same two cores. Above that rate requests queue, which is " +
        "what the 400 req/s and 500-stream rows show.",
    );
  }
  const added = (rate: number) => addedTtfb(r.rates, "codex", rate);
  const below = [50, 100].map((rate) => [rate, added(rate)] as const).filter(([, a]) => a);
  if (below.length > 0) {
    lines.push(
      `- **Added latency below capacity.** ${below
        .map(
          ([rate, a], i) =>
            `${i === 0 ? "At" : "at"} ${rate} req/s: +${f(a?.p50 ?? Number.NaN)} ms p50, +${f(a?.p90 ?? Number.NaN)} ms p90`,
        )
        .join("; ")} on the Codex route, time to first byte against the bare proxy.`,
    );
  }
  const big = r.openStreams
    .filter((o) => o.target === "gateway" && !o.bodyKb)
    .sort((a, b) => b.streams - a.streams)[0];
  const bareBig = r.openStreams.find(
    (o) => o.target === "bare proxy" && !o.bodyKb && o.streams === big?.streams,
  );
  const flat = checks(r)
    .filter((c) => c.name.startsWith("RSS rise"))
    .every((c) => c.met);
  if (big && bareBig) {
    const per = (o: { rssMb: number; idleMb: number; streams: number }) =>
      ((o.rssMb - o.idleMb) * 1024) / o.streams;
    lines.push(
      `- **Memory.** About ${f(per(big), 0)} KB per open stream (bare proxy ${f(per(bareBig), 0)} KB) on ` +
        `top of ${f(big.idleMb, 0)} MB idle` +
        (big.fileMb === undefined
          ? ". "
          : `; ${f(big.fileMb, 0)} MB of the ${f(big.rssMb, 0)} MB are mapped files (the node binary and the embedded store's LevelDB tables, which LevelDB reads through memory maps). `) +
        (flat
          ? "A long answer does not grow memory with its length, and a slow reader holds the upstream back instead of buffering it."
          : "**A long answer's memory check failed: see the table below.**"),
    );
  }
  return lines;
}

/**
 * CPU per stream by process at the worst throughput level, and what a 0.9× throughput would leave the
 * gateway to spend, when CPU is what bounds the bare proxy's run there.
 */
function cpuSection(r: BenchResults): string[] {
  const out: string[] = [];
  for (const endpoint of ["codex", "chat"] as const) {
    const rows = r.latency.filter((x) => x.endpoint === endpoint && x.cpu);
    const worst = throughputRatios(rows, endpoint).sort((a, b) => a.ratio - b.ratio)[0];
    if (!worst) continue;
    const at = (target: string) =>
      rows.find((x) => x.concurrency === worst.concurrency && x.target === target);
    const bare = at("bare proxy");
    const gw = at("gateway");
    if (!bare?.cpu?.server || !gw?.cpu?.server) continue;
    if (out.length === 0) {
      out.push(
        "## Where the CPU goes",
        "",
        "CPU time per complete stream (ms) at each route's worst throughput level, by process (Linux",
        "`/proc`); the proxy's own split into its event loop (main thread) and its other threads (on the",
        "gateway: the embedded store's worker, LevelDB's threads and V8's garbage-collector threads).",
        "",
      );
    }
    out.push(`### ${ENDPOINT[endpoint]}, ${worst.concurrency} streams`, "");
    out.push(
      "| Target | req/s | Proxy, all threads | Main thread | Other threads | Upstream | Load generator | Cores busy |",
      "|---|---|---|---|---|---|---|---|",
    );
    for (const row of [at("direct"), bare, gw]) {
      const c = row?.cpu;
      if (!row || !c) continue;
      // Direct has no proxy: its three proxy cells stay empty.
      const main = c.serverMain ?? Number.NaN;
      const proxy =
        c.server === undefined ? ["", "", ""] : [c.server, main, c.server - main].map((x) => f(x, 3));
      out.push(
        `| ${row.target} | ${f(row.summary.throughput, 0)} | ${proxy.join(" | ")} | ${f(c.upstream, 3)} | ${f(c.load, 3)} | ${f(c.cores, 2)} of ${r.cpus} |`,
      );
    }
    out.push("");
    if (bare.cpu.cores >= 0.9 * r.cpus) {
      const others = gw.cpu.upstream + gw.cpu.load;
      const budget = (r.cpus * 1000) / (TARGETS.throughputRatio * bare.summary.throughput) - others;
      const main = gw.cpu.serverMain ?? Number.NaN;
      out.push(
        `The bare proxy's run kept ${f(bare.cpu.cores, 2)} of ${r.cpus} cores busy, so CPU is what bounds ` +
          `throughput here. With the load generator and the upstream costing what they cost per stream in ` +
          `the gateway's run (${f(others, 3)} ms), ${TARGETS.throughputRatio}× the bare proxy's ` +
          `${f(bare.summary.throughput, 0)} req/s leaves the gateway **${f(budget, 3)} ms of CPU per ` +
          `stream in all its threads**. It used ${f(gw.cpu.server, 3)} ms: ${f(main, 3)} on its event loop ` +
          `and ${f(gw.cpu.server - main, 3)} on other threads. The bare proxy's whole stream costs ` +
          `${f(bare.cpu.server, 3)} ms.`,
        "",
      );
    } else {
      out.push(
        `The bare proxy's run kept only ${f(bare.cpu.cores, 2)} of ${r.cpus} cores busy: something other than CPU bounded it, so no CPU budget follows from it.`,
        "",
      );
    }
  }
  return out;
}

/** The rounds at the targets' level, and their medians. */
function interleavedSection(r: BenchResults): string[] {
  const rows = r.interleaved ?? [];
  if (rows.length === 0) return [];
  const out = [
    `## At ${rows[0]?.concurrency} connections, interleaved`,
    "",
    "Closed loop, in rounds: each round runs the bare proxy and the gateway one after the other (the",
    "order alternating), each route in turn, so a ratio compares legs that ran seconds apart. CPU is per",
    "complete stream, all of the process's threads (Linux `/proc`); the gateway's main thread apart.",
    "Medians over the rounds, the spread in brackets.",
    "",
    "| Turn | Endpoint | Rounds | Bare proxy req/s | Gateway req/s | vs bare | Gateway CPU / request | of it main thread | Bare proxy CPU / request | Chat / Codex CPU |",
    "|---|---|---|---|---|---|---|---|---|---|",
  ];
  for (const workload of ["toy", "realistic"] as const) {
    for (const endpoint of ["codex", "chat"] as const) {
      const m = interleavedMedians(rows, workload, endpoint);
      if (!m) continue;
      const chat = endpoint === "chat" ? chatOverCodex(rows, workload) : [];
      out.push(
        `| ${workload} | ${endpoint} | ${m.rounds} | ${f(m.bareRps, 0)} | ${f(m.gatewayRps, 0)} | ${f(m.ratio)}×${range(m.ratios)} | ${f(m.cpu, 3)} ms${range(m.cpus, 3)} | ${f(m.main, 3)} ms | ${f(m.bareCpu, 3)} ms | ${chat.length ? `${f(median(chat))}×${range(chat)}` : ""} |`,
      );
    }
  }
  out.push("");
  return out;
}

function throughputRatios(rows: LatencyRow[], endpoint: EndpointName) {
  const levels = [...new Set(rows.filter((r) => r.endpoint === endpoint).map((r) => r.concurrency))];
  return levels.flatMap((concurrency) => {
    const at = (target: string) =>
      rows.find((r) => r.endpoint === endpoint && r.concurrency === concurrency && r.target === target);
    const gw = at("gateway");
    const bare = at("bare proxy");
    return gw && bare ? [{ concurrency, ratio: gw.summary.throughput / bare.summary.throughput }] : [];
  });
}

function addedTtfb(rows: RateRow[], endpoint: EndpointName, rate: number, workload: Workload = "toy") {
  const at = (target: string) =>
    rows.find(
      (r) =>
        (r.workload ?? "toy") === workload &&
        r.endpoint === endpoint &&
        r.rate === rate &&
        r.target === target,
    );
  const gw = at("gateway");
  const bare = at("bare proxy");
  return gw && bare ? { p50: gw.ttfbP50 - bare.ttfbP50, p90: gw.ttfbP90 - bare.ttfbP90 } : undefined;
}

export function renderReport(r: BenchResults): { markdown: string; summary: string } {
  const list = checks(r);
  const summary = [
    `Bench ${r.startedAt} (node ${r.node}, ${r.cpus} CPUs${r.quick ? ", quick" : ""})`,
    ...list.map((c) => `  ${c.met ? "met   " : "MISSED"} ${c.name}: ${c.value} (target ${c.target})`),
  ].join("\n");

  const md: string[] = [];
  md.push("# Benchmarks", "");
  md.push(
    "Generated by `npm run bench` (bench/run.ts); the profiling notes at the end are kept by hand in",
    "`bench/notes.md`. Every figure comes from one run on one machine, where the load generator, the fake",
    "upstream, the bare proxy and the gateway share the cores, so the figures to read are the **ratios",
    "against the bare proxy** measured in the same run, not the absolute numbers.",
    "",
    `Run: ${r.startedAt}, Node ${r.node}, ${r.cpus} CPUs.`,
    "",
    "## Setup",
    "",
    "- **direct**: the load generator talks to the fake upstream (`test/fake-upstream`) itself, with one",
    "  account's access token.",
    "- **bare proxy**: `bench/bare-proxy.ts`, a Node `http` server piping each request to the upstream",
    "  over a keep-alive agent: no auth, no routing, no logging, no body parsing. The floor.",
    "- **gateway**: the real local host as `npm start` runs it (`src/server/main.ts` bundled by",
    "  `scripts/start.mjs`; embedded store, encrypted secrets) with a",
    "  Pool of 4 accounts and one Pool API key; every request is authenticated, routed, relayed, logged",
    "  (request-log row, metrics) and settled (routing state, continuity pins) as in production.",
    "- Each is its own process on 127.0.0.1. The **toy turn** is one short message and the fake's text",
    "  answer: 9 SSE events, ~2.6 KB. The **realistic turn** (`bench/workloads.ts`) is a Codex session",
    "  some turns in: a ~100 KB request (instructions, tools, 18 turns of history with tool calls and",
    "  their output) and a 200-event answer (~48 KB: a reasoning summary in 20 deltas, the text in 169).",
    "- For `/v1/chat/completions`, direct and bare proxy send the Codex request the gateway translates",
    "  the chat request into, so the difference includes translation both ways.",
    "- TTFB is the time to the first byte of the response body (the gateway holds the opening events",
    "  back until the first decisive one, which is part of what is measured).",
    "- The memory phases each start a fresh gateway process on the same data, so one phase's heap does",
    "  not colour the next. Other work on the machine moves single figures by tens of percent.",
    "",
    "## Targets",
    "",
    "| Check | Value | Target | |",
    "|---|---|---|---|",
    ...list.map((c) => `| ${c.name} | ${c.value} | ${c.target} | ${c.met ? "met" : "**missed**"} |`),
    "",
  );

  md.push("## Reading", "", ...reading(r), "");

  md.push(...interleavedSection(r));

  md.push("## Fixed rate: added time to first byte", "");
  md.push(
    `Open loop (requests start on schedule whatever the answers do). At 200 req/s the three targets take`,
    `turns, round after round (${r.rates.find((x) => x.rate === 200)?.rounds ?? 0} rounds); each figure is the median over the rounds of that round's percentile.`,
    "",
    "| Turn | Endpoint | Rate | Target | TTFB p50 | p90 | p99 | Total p50 | Added TTFB p50 / p90 vs bare |",
    "|---|---|---|---|---|---|---|---|---|",
  );
  for (const row of r.rates) {
    const bare = r.rates.find(
      (x) =>
        x.workload === row.workload &&
        x.endpoint === row.endpoint &&
        x.rate === row.rate &&
        x.target === "bare proxy",
    );
    const added =
      row.target === "gateway" && bare
        ? `${f(row.ttfbP50 - bare.ttfbP50)} / ${f(row.ttfbP90 - bare.ttfbP90)} ms`
        : "";
    md.push(
      `| ${row.workload ?? "toy"} | ${row.endpoint} | ${row.rate}/s | ${row.target} | ${f(row.ttfbP50)} | ${f(row.ttfbP90)} | ${f(row.ttfbP99)} | ${f(row.totalP50)} | ${added}${row.errors ? ` (${row.errors} errors)` : ""} |`,
    );
  }
  md.push("");

  md.push("## Concurrent streams: throughput and latency", "");
  md.push("Closed loop: N streams back to back; times in ms.", "");
  for (const endpoint of ["codex", "chat"] as const) {
    const rows = r.latency.filter((x) => x.endpoint === endpoint);
    if (rows.length === 0) continue;
    md.push(`### ${ENDPOINT[endpoint]}`, "");
    md.push(
      "| Streams | Target | req/s | vs bare | TTFB p50 | TTFB p99 | Total p50 | Total p99 | Errors |",
      "|---|---|---|---|---|---|---|---|---|",
    );
    for (const row of rows) {
      const bare = rows.find((x) => x.concurrency === row.concurrency && x.target === "bare proxy");
      const s = row.summary;
      md.push(
        `| ${row.concurrency} | ${row.target} | ${f(s.throughput, 0)} | ${bare ? `${f(s.throughput / bare.summary.throughput)}×` : ""} | ${f(s.ttfbP50)} | ${f(s.ttfbP99)} | ${f(s.totalP50)} | ${f(s.totalP99)} | ${s.errors} |`,
      );
    }
    md.push("");
  }

  md.push(...cpuSection(r));

  md.push("## Memory", "");
  md.push(
    `Idle RSS after warm-up: gateway ${f(r.idleRssMb.gateway, 0)} MB, bare proxy ${f(r.idleRssMb.bareProxy, 0)} MB`,
    "(the gateway runs as `npm start` does, bundled by scripts/start.mjs; the bare proxy under `tsx`).",
    "",
    "Open streams (the upstream holds each stream after its first events; RSS once all are open):",
    "",
    "| Streams | Request body | Process | Opened | Completed after release | RSS idle before | RSS with streams open | of which files | Per stream |",
    "|---|---|---|---|---|---|---|---|---|",
    ...r.openStreams.map(
      (o) =>
        `| ${o.streams} | ${o.bodyKb ? `${o.bodyKb} KB` : "small"} | ${o.target} | ${o.opened} | ${o.completed} | ${f(o.idleMb, 0)} MB | ${f(o.rssMb, 0)} MB | ${o.fileMb === undefined ? "" : `${f(o.fileMb, 0)} MB`} | ${f(((o.rssMb - o.idleMb) * 1024) / o.streams, 0)} KB |`,
    ),
    "",
    "One long answer (2 KB deltas), RSS sampled every 20 ms while it streams. A fast reader lets",
    "uncollected young-generation garbage show up in RSS (the bare proxy shows it too); what must not",
    "happen is a rise that grows with the stream, which buffering would cause:",
    "",
    "| Stream | Complete | Time | RSS before | Peak | Rise |",
    "|---|---|---|---|---|---|",
    ...r.streamMemory.map(
      (m) =>
        `| ${m.label} | ${m.ok ? "yes" : "**no**"} | ${f(m.ms, 0)} ms | ${f(m.baselineMb, 0)} MB | ${f(m.peakMb, 0)} MB | +${f(m.peakMb - m.baselineMb, 1)} MB |`,
    ),
    "",
  );

  const a = r.admission;
  if (a) {
    md.push("## Admission control", "");
    md.push(
      `The gateway restarted with \`POOLER_ADMISSION_PROXY_STREAM=${a.concurrency},${a.queue},${a.timeoutMs}\`, then`,
      `${a.sent} streams sent at once while the upstream held every stream open; the held streams were let`,
      "go after the wait ran out. The other phases run with bulkheads far above their load (they measure the",
      "relay); the default stream class admits 24 at once ([configuration.md](configuration.md#admission-control)).",
      "",
      "| Sent | Completed | 503 at once | 503 after the wait | Other | Most running | Most queued | 503 p50 / max | Running after the end | Running after clients left |",
      "|---|---|---|---|---|---|---|---|---|---|",
      `| ${a.sent} | ${a.completed} | ${a.refusedAtOnce} | ${a.refusedAfterWait} | ${a.other} | ${a.maxRunning} (limit ${a.concurrency}) | ${a.maxQueued} (limit ${a.queue}) | ${f(a.refusalP50Ms, 1)} / ${f(a.refusalMaxMs, 1)} ms | ${a.runningAfterEnd} | ${a.runningAfterAbort} |`,
      "",
    );
  }

  md.push("## Lambda bundles", "");
  md.push(
    "Bundled as the stack bundles them (`scripts/build-lambdas.ts`, AWS SDK external), then imported in a",
    "fresh `node` process per run; init is the time the `import()` takes (module evaluation, client",
    "construction; no network). Median of the runs.",
    "",
    "| Function | Size | Init p50 | Init max | RSS after init |",
    "|---|---|---|---|---|",
    ...r.lambdas.map(
      (l) =>
        `| ${l.name} | ${f(l.kb, 0)} KB | ${f(l.initMsMedian, 0)} ms | ${f(l.initMsMax, 0)} ms | ${l.rssMb === undefined ? "–" : `${f(l.rssMb, 0)} MB`} |`,
    ),
    "",
  );
  if (r.aws) md.push(AWS_START, ...renderAwsSection(r.aws, r.lambdas), AWS_END, "");

  const notes = join(REPO_ROOT, "bench/notes.md");
  if (existsSync(notes)) md.push(readFileSync(notes, "utf8").trim(), "");
  return { markdown: `${md.join("\n")}\n`, summary };
}
