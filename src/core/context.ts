// The composition root's product: everything the core's use cases need, injected by a host.
import type { AlertSenders } from "./alerts/sender.ts";
import { instanceId } from "./ids.ts";
import type { Clock, Metrics, SecretStore, Store, UpstreamFetch } from "./ports.ts";

export interface Logger {
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

export interface CoreConfig {
  /** e.g. https://chatgpt.com/backend-api */
  upstreamBaseUrl: string;
  /** e.g. https://auth.openai.com */
  authBaseUrl: string;
  /** Identifies this process in refresh leases. */
  instanceId: string;
  requestLogRetentionDays: number;
  maxCompressedBodyBytes: number;
  maxBodyBytes: number;
  /** Refresh an access token this long before its `exp`. */
  refreshSkewMs: number;
  /** Time allowed for the upstream to send response headers. */
  upstreamHeadersTimeoutMs: number;
  /** How long pre-content events may be held back waiting for the first decisive event (failover window). */
  firstEventTimeoutMs: number;
  /**
   * The most the gateway buffers of an upstream SSE stream that has not finished an event: one event
   * or unterminated line, and the opening events held back before the first decisive one.
   */
  maxUpstreamEventBytes: number;
  /** SSE keep-alive event interval during upstream silence (0 disables). */
  sseKeepAliveMs: number;
  /** Upstream silence mid-stream after which the relay ends the stream with a failure (0: never). */
  streamIdleTimeoutMs?: number;
  /** Codex identity used when the client does not send one, and for catalog calls. */
  clientVersion: string;
  /** Seconds a models catalog stays cached per Pool. */
  modelsCacheSeconds: number;
  /** Local development only: alert webhooks may use http:// and loopback or private addresses. */
  alertWebhookAllowInsecure?: boolean;
  /** At most this many HTTP turns per Pool at once across instances (AWS; 0 or unset: no cap). */
  poolConcurrencyCap?: number;
}

export interface CoreContext {
  store: Store;
  secrets: SecretStore;
  clock: Clock;
  fetch: UpstreamFetch;
  metrics: Metrics;
  logger: Logger;
  config: CoreConfig;
  /** How each alert channel kind sends (`webhook`, on AWS `sns`); a kind without one is refused. */
  alertSenders?: AlertSenders;
  /** Hands off work that must finish after the response (request logs); hosts await it on shutdown. */
  background(task: Promise<unknown>): void;
  /**
   * Fires when the host stops for good (its shutdown grace is over): streams still open end with a
   * well-formed terminal error event rather than a cut connection.
   */
  stopping: StopSignal;
}

/** One listener per open stream, so a set rather than an AbortSignal (which warns past 10). */
export interface StopSignal {
  readonly stopped: boolean;
  /** Calls `listener` once when the host stops (at once if it has); returns how to stop listening. */
  onStop(listener: () => void): () => void;
}

export const defaultCoreConfig: Omit<CoreConfig, "instanceId"> = {
  upstreamBaseUrl: "https://chatgpt.com/backend-api",
  authBaseUrl: "https://auth.openai.com",
  requestLogRetentionDays: 30,
  maxCompressedBodyBytes: 32 * 1024 * 1024,
  maxBodyBytes: 64 * 1024 * 1024,
  refreshSkewMs: 5 * 60_000,
  upstreamHeadersTimeoutMs: 60_000,
  firstEventTimeoutMs: 15_000,
  // Room for a response.completed that repeats a long answer or a generated image.
  maxUpstreamEventBytes: 8 * 1024 * 1024,
  sseKeepAliveMs: 10_000,
  // Codex's own stream idle timeout: the relay never cuts a stream Codex would have waited for.
  streamIdleTimeoutMs: 300_000,
  clientVersion: "0.169.0",
  modelsCacheSeconds: 300,
};

/** What a host supplies: its adapters, a name for its instances and the settings it reads. */
export interface HostParts extends Omit<CoreContext, "config" | "background" | "stopping"> {
  /** Prefix of the instance id in refresh leases (`local`, `lambda`). */
  instance: string;
  settings: Partial<Omit<CoreConfig, "instanceId">>;
}

/**
 * The context every host builds the same way: default settings under its own, a random instance id,
 * background work tracked in `pending` so the host can wait for it (shutdown, a Lambda freeze), and
 * `stop()` to end the streams still open when the host stops. A background task that fails is
 * logged (metadata only) and goes no further: it never becomes an unhandled rejection.
 */
export function buildCoreContext(parts: HostParts): {
  ctx: CoreContext;
  pending: Set<Promise<unknown>>;
  stop(): void;
} {
  const { instance, settings, ...adapters } = parts;
  const pending = new Set<Promise<unknown>>();
  const listeners = new Set<() => void>();
  const stopping = {
    stopped: false,
    onStop(listener: () => void) {
      if (stopping.stopped) listener();
      else listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
  const ctx: CoreContext = {
    ...adapters,
    fetch: usualAnswersOnly(adapters.fetch),
    config: { ...defaultCoreConfig, ...settings, instanceId: instanceId(instance) },
    background(task) {
      pending.add(task);
      void task
        .catch((error: unknown) =>
          adapters.logger.warn("background task failed", { error: (error as Error)?.name ?? typeof error }),
        )
        .finally(() => pending.delete(task));
    },
    stopping,
  };
  const stop = () => {
    stopping.stopped = true;
    for (const listener of [...listeners]) listener();
    listeners.clear();
  };
  return { ctx, pending, stop };
}

/**
 * The upstream fetch every use case gets: redirects are not followed (nothing upstream redirects;
 * one would send the call elsewhere), and an answer that is neither 2xx, 4xx nor 5xx (a 3xx, or a
 * status a transport let through, such as 600 or 999) rejects like a broken connection, so each
 * caller fails over or fails the way it does for an unreachable upstream.
 */
export function usualAnswersOnly(fetch: UpstreamFetch): UpstreamFetch {
  return async (url, init) => {
    const response = await fetch(url, { ...init, redirect: "manual" });
    const kind = Math.floor(response.status / 100);
    if (kind === 2 || kind === 4 || kind === 5) return response;
    response.body?.cancel().catch(() => undefined);
    throw new TypeError("fetch failed", {
      cause: new Error(`upstream answered with status ${response.status}`),
    });
  };
}
