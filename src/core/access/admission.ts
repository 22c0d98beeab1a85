// Admission control (bulkheads): per route class, at most `concurrency` requests run at once and at
// most `queue` more wait, each for at most `timeoutMs`; anything beyond is refused at once with 503
// `server_is_overloaded` and Retry-After. Per process and in memory: the local host has one process;
// on AWS each Lambda instance serves one request, and reserved concurrency plays this role
// (docs/configuration.md, docs/deploy-aws.md).

import { GatewayError } from "../errors.ts";
import type { Metrics } from "../ports.ts";

export const ROUTE_CLASSES = [
  "proxy_http",
  "proxy_stream",
  "proxy_websocket",
  "proxy_compact",
  "proxy_control",
  "file_upload",
  "audio",
  "console",
  "mcp",
] as const;
export type RouteClass = (typeof ROUTE_CLASSES)[number];

export interface BulkheadLimits {
  /** Requests running at once. */
  concurrency: number;
  /** Requests waiting for a slot; 0 refuses at once when all slots are taken. */
  queue: number;
  /** How long one request may wait in the queue (ms). */
  timeoutMs: number;
}

export type AdmissionLimits = Record<RouteClass, BulkheadLimits>;

/** The original product's table (features reference §4.8). */
export const DEFAULT_ADMISSION_LIMITS: AdmissionLimits = {
  proxy_http: { concurrency: 32, queue: 128, timeoutMs: 10_000 },
  proxy_stream: { concurrency: 24, queue: 96, timeoutMs: 10_000 },
  proxy_websocket: { concurrency: 24, queue: 96, timeoutMs: 10_000 },
  proxy_compact: { concurrency: 8, queue: 32, timeoutMs: 10_000 },
  proxy_control: { concurrency: 8, queue: 16, timeoutMs: 5_000 },
  file_upload: { concurrency: 4, queue: 8, timeoutMs: 5_000 },
  audio: { concurrency: 4, queue: 8, timeoutMs: 5_000 },
  console: { concurrency: 8, queue: 16, timeoutMs: 5_000 },
  mcp: { concurrency: 4, queue: 8, timeoutMs: 5_000 },
};

/** Seconds a refused client is told to wait. */
const RETRY_AFTER_SECONDS = 1;

export type OverloadReason = "queue_full" | "queue_timeout";

/** The refusal; `reason` is for metrics, the client sees one answer. */
export class OverloadedError extends GatewayError {
  constructor(
    readonly routeClass: RouteClass,
    readonly reason: OverloadReason,
  ) {
    super(
      503,
      "server_is_overloaded",
      `the gateway is at its limit for ${routeClass} requests; retry after ${RETRY_AFTER_SECONDS} s`,
      { headers: { "retry-after": String(RETRY_AFTER_SECONDS) } },
    );
  }
}

/** A held slot; `release` may be called any number of times, the slot is freed once. */
export interface Lease {
  release(): void;
}

interface Waiter {
  grant(): void;
  timer: ReturnType<typeof setTimeout>;
}

class Bulkhead {
  running = 0;
  readonly waiting: Waiter[] = [];
  rejected = 0;

  constructor(
    readonly routeClass: RouteClass,
    readonly limits: BulkheadLimits,
  ) {}

  acquire(signal: AbortSignal | undefined, metrics: Metrics, now: () => number): Promise<Lease> {
    if (this.running < this.limits.concurrency) {
      this.running++;
      return Promise.resolve(this.#lease());
    }
    if (this.waiting.length >= this.limits.queue) return Promise.reject(this.#refuse("queue_full", metrics));
    const queuedAt = now();
    return new Promise<Lease>((resolve, reject) => {
      const leave = () => {
        clearTimeout(waiter.timer);
        signal?.removeEventListener("abort", abandoned);
        const at = this.waiting.indexOf(waiter);
        if (at >= 0) this.waiting.splice(at, 1);
      };
      const abandoned = () => {
        leave();
        reject(new GatewayError(499, "client_closed", "the client left while waiting for a slot"));
      };
      const waiter: Waiter = {
        grant: () => {
          leave();
          metrics.timing("admission_wait", now() - queuedAt, { routeClass: this.routeClass });
          resolve(this.#lease());
        },
        timer: setTimeout(() => {
          leave();
          reject(this.#refuse("queue_timeout", metrics));
        }, this.limits.timeoutMs),
      };
      this.waiting.push(waiter);
      signal?.addEventListener("abort", abandoned, { once: true });
    });
  }

  #refuse(reason: OverloadReason, metrics: Metrics): OverloadedError {
    this.rejected++;
    metrics.count("admission_rejected", 1, { routeClass: this.routeClass, reason });
    return new OverloadedError(this.routeClass, reason);
  }

  #lease(): Lease {
    let held = true;
    return {
      release: () => {
        if (!held) return;
        held = false;
        // The slot passes straight to the oldest waiter, if any; else it is freed.
        const next = this.waiting[0];
        if (next) next.grant();
        else this.running--;
      },
    };
  }
}

export interface AdmissionClassState extends BulkheadLimits {
  routeClass: RouteClass;
  running: number;
  queued: number;
  /** Refusals since the process started. */
  rejected: number;
}

/** One process's bulkheads, one per route class. */
export class Admission {
  readonly #bulkheads: Map<RouteClass, Bulkhead>;

  constructor(
    limits: AdmissionLimits,
    private readonly metrics: Metrics,
    private readonly now: () => number = Date.now,
  ) {
    this.#bulkheads = new Map(ROUTE_CLASSES.map((c) => [c, new Bulkhead(c, limits[c])]));
  }

  /**
   * A slot in `routeClass`, at once or after queueing; rejects with OverloadedError when the queue is
   * full or the wait runs out, or with a 499 when `signal` aborts while waiting.
   */
  acquire(routeClass: RouteClass, signal?: AbortSignal): Promise<Lease> {
    if (signal?.aborted) {
      return Promise.reject(new GatewayError(499, "client_closed", "the client left before admission"));
    }
    return (this.#bulkheads.get(routeClass) as Bulkhead).acquire(signal, this.metrics, this.now);
  }

  state(): AdmissionClassState[] {
    return [...this.#bulkheads.values()].map((b) => ({
      routeClass: b.routeClass,
      ...b.limits,
      running: b.running,
      queued: b.waiting.length,
      rejected: b.rejected,
    }));
  }
}

/** `<concurrency>,<queue>,<timeout ms>` (POOLER_ADMISSION_<CLASS>); undefined when it does not parse. */
export function parseBulkheadLimits(text: string): BulkheadLimits | undefined {
  const parts = text.split(",").map((p) => p.trim());
  if (parts.length !== 3 || parts.some((p) => !/^\d{1,7}$/.test(p))) return undefined;
  const [concurrency, queue, timeoutMs] = parts.map(Number) as [number, number, number];
  if (concurrency < 1 || concurrency > 100_000 || queue > 1_000_000) return undefined;
  if (timeoutMs < 1 || timeoutMs > 600_000) return undefined;
  return { concurrency, queue, timeoutMs };
}
