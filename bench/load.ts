// The load generator: streamed POSTs over keep-alive connections, timed to the first body byte (TTFB)
// and to the end of the stream. Closed loops (N streams back to back), open loops (a fixed rate) and
// held-open streams. Every loop is bounded by a duration or a count and stops by itself.
import { Agent, type ClientRequest, type IncomingMessage, request } from "node:http";
import { performance } from "node:perf_hooks";

export interface Target {
  name: string;
  url: string;
  headers: Record<string, string>;
  body: string;
}

/** One streamed POST of the target's body over `agent`; the caller writes the body and ends it. */
function post(target: Target, agent: Agent, onResponse: (res: IncomingMessage) => void): ClientRequest {
  const url = new URL(target.url);
  return request(
    {
      host: url.hostname,
      port: url.port,
      path: url.pathname,
      method: "POST",
      agent,
      headers: { ...target.headers, "content-length": Buffer.byteLength(target.body) },
    },
    onResponse,
  );
}

export interface Sample {
  ok: boolean;
  ttfbMs: number;
  totalMs: number;
  bytes: number;
}

export const newAgent = () => new Agent({ keepAlive: true, maxSockets: Number.POSITIVE_INFINITY });

/** The end of a complete answer: Codex SSE or OpenAI chat chunks. */
const COMPLETE = /event: response\.completed|data: \[DONE\]/;

/** Watches a body for the terminal marker across chunk boundaries. */
class CompletionWatch {
  #carry = "";
  seen = false;
  feed(chunk: Buffer): void {
    if (this.seen) return;
    const text = this.#carry + chunk.toString("latin1");
    this.seen = COMPLETE.test(text);
    this.#carry = text.slice(-32);
  }
}

/** One streamed request; never rejects. Complete means a 200 whose stream ended with a terminal event. */
export function once(target: Target, agent: Agent, timeoutMs = 30_000): Promise<Sample> {
  return new Promise((resolve) => {
    const started = performance.now();
    let ttfb = -1;
    let bytes = 0;
    const watch = new CompletionWatch();
    let settled = false;
    const finish = (ok: boolean) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      const now = performance.now();
      resolve({ ok, ttfbMs: ttfb < 0 ? now - started : ttfb, totalMs: now - started, bytes });
    };
    const req = post(target, agent, (res) => {
      res.on("data", (chunk: Buffer) => {
        if (ttfb < 0) ttfb = performance.now() - started;
        bytes += chunk.length;
        watch.feed(chunk);
      });
      res.on("end", () => finish(res.statusCode === 200 && watch.seen));
      res.on("error", () => finish(false));
      res.on("aborted", () => finish(false));
    });
    const timer = setTimeout(() => {
      req.destroy();
      finish(false);
    }, timeoutMs);
    req.on("error", () => finish(false));
    req.end(target.body);
  });
}

export interface RunResult {
  samples: Sample[];
  seconds: number;
  /** Complete streams over `seconds` (closed loops count the warm-up too). */
  completed?: number;
}

/**
 * `concurrency` streams back to back; no stream starts after `seconds` (plus a short warm-up). Latency
 * comes from streams that finished after the warm-up; throughput is every complete stream over the
 * time until the last one finished, so an overloaded target's slow first wave still counts.
 */
export async function closedLoop(
  target: Target,
  concurrency: number,
  seconds: number,
  warmupSeconds = 0.5,
): Promise<RunResult> {
  const agent = newAgent();
  const samples: Sample[] = [];
  const started = performance.now();
  const warmEnd = started + warmupSeconds * 1000;
  const end = warmEnd + seconds * 1000;
  let completed = 0;
  let lastDone = started;
  const worker = async () => {
    while (performance.now() < end) {
      const sample = await once(target, agent);
      lastDone = performance.now();
      if (sample.ok) completed++;
      if (lastDone >= warmEnd) samples.push(sample);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  agent.destroy();
  return { samples, seconds: (lastDone - started) / 1000, completed };
}

/** Starts `rate` requests per second for `seconds` whatever the answers do (open loop). */
export async function openLoop(target: Target, rate: number, seconds: number, agent = newAgent()) {
  const samples: Promise<Sample>[] = [];
  const total = Math.round(rate * seconds);
  const started = performance.now();
  const interval = 1000 / rate;
  while (samples.length < total) {
    const due = started + samples.length * interval;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((resolve) => setTimeout(resolve, wait - 0.5));
    else if (wait > 0) await new Promise((resolve) => setImmediate(resolve));
    // Catch up after a late timer: start every request that is due by now.
    while (samples.length < total && started + samples.length * interval <= performance.now()) {
      samples.push(once(target, agent));
    }
  }
  return { samples: await Promise.all(samples), seconds };
}

export interface HeldStreams {
  opened: number;
  failed: number;
  /** Reads every stream to its end (call after the upstream lets them go). */
  finish(timeoutMs: number): Promise<{ completed: number }>;
}

/**
 * Opens `count` streams, `batch` at a time, each held open by the upstream after its first events;
 * resolves once every stream has delivered its first body byte (or failed).
 */
export async function holdStreams(target: Target, count: number, batch = 250): Promise<HeldStreams> {
  const agent = newAgent();
  const ends: Promise<boolean>[] = [];
  let opened = 0;
  let failed = 0;
  for (let start = 0; start < count; start += batch) {
    const firsts: Promise<void>[] = [];
    for (let i = start; i < Math.min(count, start + batch); i++) {
      let first!: () => void;
      firsts.push(new Promise<void>((resolve) => (first = resolve)));
      ends.push(
        new Promise<boolean>((resolve) => {
          const watch = new CompletionWatch();
          let seen = false;
          const req = post(target, agent, (res) => {
            res.on("data", (chunk: Buffer) => {
              if (!seen) {
                seen = true;
                opened++;
                first();
              }
              watch.feed(chunk);
            });
            res.on("end", () => resolve(res.statusCode === 200 && watch.seen));
            res.on("error", () => resolve(false));
          });
          req.on("error", () => {
            if (!seen) {
              failed++;
              first();
            }
            resolve(false);
          });
          req.end(target.body);
        }),
      );
    }
    await withTimeout(Promise.all(firsts), 30_000);
  }
  return {
    opened,
    failed,
    async finish(timeoutMs) {
      const results = await withTimeout(Promise.all(ends), timeoutMs);
      agent.destroy();
      return { completed: (results ?? []).filter(Boolean).length };
    },
  };
}

/** Reads one long stream, optionally slowly, sampling `probe` as it goes. */
export function longStream(
  target: Target,
  options: { readDelayMs?: number; onChunk?: () => void; timeoutMs?: number },
): Promise<{ ok: boolean; bytes: number; ms: number }> {
  return new Promise((resolve) => {
    const agent = newAgent();
    const started = performance.now();
    let bytes = 0;
    const watch = new CompletionWatch();
    const timer = setTimeout(() => req.destroy(), options.timeoutMs ?? 60_000);
    const done = (ok: boolean) => {
      clearTimeout(timer);
      agent.destroy();
      resolve({ ok, bytes, ms: performance.now() - started });
    };
    const req = post(target, agent, (res) => {
      res.on("data", (chunk: Buffer) => {
        bytes += chunk.length;
        watch.feed(chunk);
        options.onChunk?.();
        if (options.readDelayMs) {
          // A slow reader: stop taking data for a while, so backpressure has to reach the upstream.
          res.pause();
          setTimeout(() => res.resume(), options.readDelayMs);
        }
      });
      res.on("end", () => done(res.statusCode === 200 && watch.seen));
      res.on("error", () => done(false));
    });
    req.on("error", () => done(false));
    req.end(target.body);
  });
}

export async function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

export function percentile(values: number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index] as number;
}

export const median = (values: number[]) => percentile(values, 50);

export interface Summary {
  requests: number;
  errors: number;
  throughput: number;
  ttfbP50: number;
  ttfbP90: number;
  ttfbP99: number;
  totalP50: number;
  totalP99: number;
}

export function summarize(run: RunResult): Summary {
  const ok = run.samples.filter((s) => s.ok);
  const ttfb = ok.map((s) => s.ttfbMs);
  const total = ok.map((s) => s.totalMs);
  return {
    requests: run.samples.length,
    errors: run.samples.length - ok.length,
    throughput: (run.completed ?? ok.length) / run.seconds,
    ttfbP50: percentile(ttfb, 50),
    ttfbP90: percentile(ttfb, 90),
    ttfbP99: percentile(ttfb, 99),
    totalP50: percentile(total, 50),
    totalP99: percentile(total, 99),
  };
}
