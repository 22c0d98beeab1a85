// Where a process's memory is, on SIGUSR2: preload it into the gateway
// (BENCH_GATEWAY_NODE_FLAGS=--import=./bench/memory-probe.mjs, with DRIVE_PROBE=1 for bench/drive.ts)
// and it appends to PROBE_OUT (default /tmp/probe.txt) the main isolate's heap by space, the heap of
// every eval'd worker (the embedded store's), and the RSS of each mapping (node binary, malloc heap,
// anonymous, LevelDB tables). PROBE_GC=1 collects first (needs --expose-gc); PROBE_SNAP=<prefix>
// writes a heap snapshot as well. A measuring aid only: it wraps worker_threads.Worker.

import { readFileSync, writeFileSync } from "node:fs";
import { syncBuiltinESMExports } from "node:module";
import v8 from "node:v8";
import wt from "node:worker_threads";

const workers = [];
const Original = wt.Worker;
const ANSWER = `;require("node:worker_threads").parentPort.on("message", (m) => { if (m === "memory-probe") {
  const v8 = require("node:v8");
  require("node:worker_threads").parentPort.postMessage({ probe: { heap: v8.getHeapStatistics(), spaces: v8.getHeapSpaceStatistics() } });
} });`;
wt.Worker = class extends Original {
  constructor(source, options) {
    super(options?.eval ? `${source}\n${ANSWER}` : source, options);
    if (options?.eval) workers.push(this);
  }
};
syncBuiltinESMExports();

const mb = (n) => (n / 1048576).toFixed(1);
const heapLine = (heap, spaces) =>
  `heap used ${mb(heap.used_heap_size)} / total ${mb(heap.total_heap_size)} MB, malloced ${mb(heap.malloced_memory)}, external ${mb(heap.external_memory)}\n    ` +
  spaces
    .map((s) => `${s.space_name.replace("_space", "")} ${mb(s.space_used_size)}/${mb(s.physical_space_size)}`)
    .join(", ");
const workerHeap = (worker) =>
  new Promise((resolve) => {
    const timer = setTimeout(() => resolve(undefined), 3000);
    const listen = (message) => {
      if (!message?.probe) return;
      worker.off("message", listen);
      clearTimeout(timer);
      resolve(message.probe);
    };
    worker.on("message", listen);
    worker.postMessage("memory-probe");
  });
/** RSS (MB) by mapping name, largest first. */
function mappings() {
  const rss = new Map();
  let name = "";
  for (const line of readFileSync("/proc/self/smaps", "utf8").split("\n")) {
    const head = /^[0-9a-f]+-[0-9a-f]+ \S+ \S+ \S+ \S+\s*(.*)$/.exec(line);
    if (head)
      name = head[1]
        ? head[1]
            .split("/")
            .slice(-2)
            .join("/")
            .replace(/\/\d+\.ldb$/, "/*.ldb")
        : "[anon]";
    const kb = /^Rss:\s+(\d+)/.exec(line);
    if (kb) rss.set(name, (rss.get(name) ?? 0) + Number(kb[1]) / 1024);
  }
  return [...rss].sort((a, b) => b[1] - a[1]).slice(0, 10);
}
let snapshots = 0;
process.on("SIGUSR2", async () => {
  if (process.env.PROBE_GC) globalThis.gc?.();
  if (process.env.PROBE_SNAP) v8.writeHeapSnapshot(`${process.env.PROBE_SNAP}-${snapshots++}.heapsnapshot`);
  const m = process.memoryUsage();
  let out = `rss ${mb(m.rss)} MB\n  main: ${heapLine(v8.getHeapStatistics(), v8.getHeapSpaceStatistics())}\n`;
  for (const worker of workers) {
    const answer = await workerHeap(worker);
    if (answer) out += `  worker: ${heapLine(answer.heap, answer.spaces)}\n`;
  }
  out += `  mappings (MB): ${mappings()
    .map(([n, v]) => `${n} ${v.toFixed(1)}`)
    .join("; ")}\n`;
  writeFileSync(process.env.PROBE_OUT ?? "/tmp/probe.txt", out, { flag: "a" });
});
