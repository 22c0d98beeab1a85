// The admission phase of `npm run bench`: the gateway with a small stream bulkhead (8 running, 16
// queued, 1 s wait) under a burst of held streams far past it. Checks that the limits hold (never more
// than 8 running or 16 waiting), that everyone past them gets 503 server_is_overloaded with
// Retry-After (at once when the queue is full, after the wait when it ran out), how fast a refusal
// is, and that slots come back when streams end and when clients leave mid-stream.
import { performance } from "node:perf_hooks";
import { median, type Target } from "./load.ts";
import type { FakeProcess, ServerProcess } from "./processes.ts";

export const ADMISSION_LIMITS = { concurrency: 8, queue: 16, timeoutMs: 1000 };
export const ADMISSION_ENV = {
  POOLER_ADMISSION_PROXY_STREAM: `${ADMISSION_LIMITS.concurrency},${ADMISSION_LIMITS.queue},${ADMISSION_LIMITS.timeoutMs}`,
};
const BURST = 200;

export interface AdmissionRow {
  sent: number;
  concurrency: number;
  queue: number;
  timeoutMs: number;
  /** Streams that ran and completed. */
  completed: number;
  /** 503 server_is_overloaded with Retry-After, by when they came. */
  refusedAtOnce: number;
  refusedAfterWait: number;
  /** Any other answer (there should be none). */
  other: number;
  maxRunning: number;
  maxQueued: number;
  /** Time to the 503 for the ones refused at once (ms). */
  refusalP50Ms: number;
  refusalMaxMs: number;
  /** Running after every stream ended, and after clients left mid-stream (both should be 0). */
  runningAfterEnd: number;
  runningAfterAbort: number;
}

interface Answer {
  status: number;
  code?: string;
  retryAfter: string | null;
  ms: number;
}

async function send(target: Target, signal?: AbortSignal): Promise<{ answer: Answer; body: Response }> {
  const started = performance.now();
  const response = await fetch(target.url, {
    method: "POST",
    headers: target.headers,
    body: target.body,
    signal,
  });
  const ms = performance.now() - started;
  if (response.status !== 503)
    return { answer: { status: response.status, retryAfter: null, ms }, body: response };
  const json = (await response.json()) as { error?: { code?: string } };
  return {
    answer: { status: 503, code: json.error?.code, retryAfter: response.headers.get("retry-after"), ms },
    body: response,
  };
}

export async function admissionPhase(options: {
  fake: FakeProcess;
  accountIds: string[];
  gateway: ServerProcess;
  target: Target;
  adminToken: string;
  log: (line: string) => void;
}): Promise<AdmissionRow> {
  const { fake, accountIds, gateway, target, log } = options;
  const state = async () => {
    const response = await fetch(`${gateway.url}/admin/v1/admission`, {
      headers: { authorization: `Bearer ${options.adminToken}` },
    });
    const { data } = (await response.json()) as {
      data: { routeClass: string; running: number; queued: number }[];
    };
    return data.find((c) => c.routeClass === "proxy_stream") ?? { running: -1, queued: -1 };
  };
  const hold = async (on: boolean) => {
    for (const id of accountIds) {
      await fake.setDefaultBehavior(id, on ? { kind: "text", pauseAfterEvent: 2 } : { kind: "text" });
    }
  };

  log(
    `\nAdmission: ${BURST} streams at once against ${ADMISSION_LIMITS.concurrency} running, ${ADMISSION_LIMITS.queue} queued, ${ADMISSION_LIMITS.timeoutMs} ms wait`,
  );
  await hold(true);
  let maxRunning = 0;
  let maxQueued = 0;
  let watching = true;
  const watcher = (async () => {
    while (watching) {
      const s = await state();
      maxRunning = Math.max(maxRunning, s.running);
      maxQueued = Math.max(maxQueued, s.queued);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  })();
  const sent = Array.from({ length: BURST }, () => send(target));
  // Past the queue's wait the held streams are let go.
  await new Promise((resolve) => setTimeout(resolve, ADMISSION_LIMITS.timeoutMs + 500));
  await fake.releasePaused();
  await hold(false);
  const results = await Promise.all(sent);
  let completed = 0;
  for (const r of results)
    if (r.answer.status === 200 && (await r.body.text()).includes("response.completed")) completed++;
  watching = false;
  await watcher;

  const overloaded = results
    .map((r) => r.answer)
    .filter((a) => a.status === 503 && a.code === "server_is_overloaded" && a.retryAfter === "1");
  const atOnce = overloaded.filter((a) => a.ms < ADMISSION_LIMITS.timeoutMs);
  const afterWait = overloaded.filter((a) => a.ms >= ADMISSION_LIMITS.timeoutMs);
  const runningAfterEnd = (await state()).running;

  // Clients that leave mid-stream give their slots back.
  await hold(true);
  const controllers = Array.from({ length: ADMISSION_LIMITS.concurrency }, () => new AbortController());
  const open = await Promise.all(controllers.map((c) => send(target, c.signal).catch(() => undefined)));
  for (const c of controllers) c.abort();
  for (const o of open) await o?.body.body?.cancel().catch(() => undefined);
  let runningAfterAbort = -1;
  for (let i = 0; i < 100; i++) {
    runningAfterAbort = (await state()).running;
    if (runningAfterAbort === 0) break;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  await fake.releasePaused();
  await hold(false);

  const row: AdmissionRow = {
    sent: BURST,
    ...ADMISSION_LIMITS,
    completed,
    refusedAtOnce: atOnce.length,
    refusedAfterWait: afterWait.length,
    other: BURST - completed - atOnce.length - afterWait.length,
    maxRunning,
    maxQueued,
    refusalP50Ms: median(atOnce.map((a) => a.ms)),
    refusalMaxMs: Math.max(0, ...atOnce.map((a) => a.ms)),
    runningAfterEnd,
    runningAfterAbort,
  };
  log(
    `  completed ${row.completed}, refused at once ${row.refusedAtOnce} (p50 ${row.refusalP50Ms.toFixed(1)} ms, max ${row.refusalMaxMs.toFixed(1)} ms), ` +
      `refused after the wait ${row.refusedAfterWait}, other ${row.other}; most running ${row.maxRunning}, most queued ${row.maxQueued}; ` +
      `running after the end ${row.runningAfterEnd}, after ${ADMISSION_LIMITS.concurrency} clients left ${row.runningAfterAbort}`,
  );
  return row;
}
