// The composition root's product: everything the core's use cases need, injected by a host.
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
  /** Hands off work that must finish after the response (request logs); hosts await it on shutdown. */
  background(task: Promise<unknown>): void;
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
  sseKeepAliveMs: 10_000,
  // Codex's own stream idle timeout: the relay never cuts a stream Codex would have waited for.
  streamIdleTimeoutMs: 300_000,
  clientVersion: "0.169.0",
  modelsCacheSeconds: 300,
};

/** What a host supplies: its adapters, a name for its instances and the settings it reads. */
export interface HostParts extends Omit<CoreContext, "config" | "background"> {
  /** Prefix of the instance id in refresh leases (`local`, `lambda`). */
  instance: string;
  settings: Partial<Omit<CoreConfig, "instanceId">>;
}

/**
 * The context every host builds the same way: default settings under its own, a random instance id,
 * and background work tracked in `pending` so the host can wait for it (shutdown, a Lambda freeze).
 */
export function buildCoreContext(parts: HostParts): { ctx: CoreContext; pending: Set<Promise<unknown>> } {
  const { instance, settings, ...adapters } = parts;
  const pending = new Set<Promise<unknown>>();
  const ctx: CoreContext = {
    ...adapters,
    config: { ...defaultCoreConfig, ...settings, instanceId: instanceId(instance) },
    background(task) {
      pending.add(task);
      void task.finally(() => pending.delete(task)).catch(() => undefined);
    },
  };
  return { ctx, pending };
}
