// Composition root for the local Node host: embedded store, encrypted file secrets, the Hono app on
// @hono/node-server, graceful drain on stop.
import { chmod, mkdir } from "node:fs/promises";
import { type Server, type ServerOptions, STATUS_CODES } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import type { Duplex } from "node:stream";
import { type HttpBindings, serve } from "@hono/node-server";
import { postWebhook } from "../adapters/alerts/webhook-post.ts";
import { coalescingStore } from "../adapters/coalescing-store.ts";
import { createDynamoStore, documentClient, localEmulatorClient } from "../adapters/dynamodb/dynamo-store.ts";
import { type ExpirySweepResult, expirySweeper } from "../adapters/dynamodb/expiry-sweep.ts";
import { purgeExpiredRequestLogs } from "../adapters/dynamodb/request-log-retention.ts";
import { ensureTables, tableNames } from "../adapters/dynamodb/tables.ts";
import { nodeHttpFetch } from "../adapters/http/node-http-fetch.ts";
import { jsonLogger } from "../adapters/observability/json-logger.ts";
import { MemoryMetrics } from "../adapters/observability/memory-metrics.ts";
import { LocalFileSecretStore } from "../adapters/secrets/local-file-secret-store.ts";
import { Admission } from "../core/access/admission.ts";
import { refreshDueAccounts } from "../core/accounts/refresh-sweep.ts";
import { pollAccountUsage } from "../core/accounts/usage-poller.ts";
import { webhookSender } from "../core/alerts/delivery.ts";
import { evaluateAlerts } from "../core/alerts/evaluate.ts";
import type { AlertSenders } from "../core/alerts/sender.ts";
import { buildCoreContext, type Logger } from "../core/context.ts";
import { GatewayError } from "../core/errors.ts";
import { createGateway, type Gateway } from "../core/gateway.ts";
import type { Clock, Store } from "../core/ports.ts";
import { createApp } from "../http/app.ts";
import { bearerAdminAuthenticator } from "../http/middleware/admin-auth.ts";
import type { LocalConfig } from "./config.ts";
import { coreSettings } from "./core-settings.ts";
import { startEmbeddedDynamo } from "./embedded-dynamo.ts";
import { withDirectRelayBodies } from "./node-relay-writer.ts";
import { nodeHostBindings } from "./node-request-io.ts";
import { VERSION } from "./version.ts";
import { attachWebSocketRelay } from "./websocket-upgrade.ts";

/** How long counter writes are summed, and rows and pins gathered, before they are written. */
const COUNTER_FLUSH_MS = 100;
/** After the shutdown grace: time for the streams' terminal error events to be written out. */
const FINAL_WRITE_MS = 2_000;

const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms).unref());

// The local host supports Node 20; the SDK's Node-22 notice is noise for a local gateway.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";

export interface LocalGateway {
  url: string;
  gateway: Gateway;
  /** Set only when this start minted the first admin token (shown once). */
  bootstrapAdminToken?: string;
  /** One run of the store's clean-up (also on a timer, POOLER_EXPIRY_SWEEP_MINUTES). */
  housekeeping(): Promise<Housekeeping>;
  stop(): Promise<void>;
}

export interface Housekeeping {
  /** Request-log rows of days past the retention window (what the scheduled function does on AWS). */
  retention: { deleted: number; days: number };
  /** Items past their `expiresAt` (what DynamoDB TTL does on AWS; the emulator has none). */
  expired: ExpirySweepResult;
}

export async function startLocalGateway(
  config: LocalConfig,
  options: {
    logger?: Logger;
    fetch?: typeof fetch;
    clock?: Clock;
    /** Wraps the store (tests inject faults or count calls through it). */
    wrapStore?: (store: Store) => Store;
    /** Alert channel kinds beyond the built-in webhook (tests add `sns` with a mocked client). */
    alertSenders?: AlertSenders;
  } = {},
): Promise<LocalGateway> {
  // Private before anything writes there: the store holds key hashes and account metadata.
  await mkdir(join(config.dataDir, "dynamodb"), { recursive: true, mode: 0o700 });
  await chmod(config.dataDir, 0o700).catch(() => undefined);
  // An external endpoint lets several local processes share one store (as Lambda instances do).
  const dynamo = config.dynamoEndpoint
    ? { endpoint: config.dynamoEndpoint, close: async () => undefined }
    : await startEmbeddedDynamo(join(config.dataDir, "dynamodb"));
  const client = localEmulatorClient(dynamo.endpoint);
  const tables = tableNames("pooler-");
  await ensureTables(client, tables);
  const clock = options.clock ?? { now: () => Date.now() };
  // The embedded store runs on this machine: counter writes are summed over a short window, and
  // request-log rows and pins are written in batches (nothing on the request path reads them back).
  const dynamoStore = createDynamoStore({
    client,
    tables,
    clock,
    requestLogRetentionDays: config.requestLogRetentionDays,
    batchPutsMs: COUNTER_FLUSH_MS,
  });
  const counters = coalescingStore(dynamoStore, { flushMs: COUNTER_FLUSH_MS });
  const {
    ctx,
    pending,
    stop: endStreams,
  } = buildCoreContext({
    store: (options.wrapStore ?? ((store: Store) => store))(counters),
    secrets: await LocalFileSecretStore.open(config.dataDir),
    clock,
    fetch: options.fetch ?? nodeHttpFetch,
    metrics: new MemoryMetrics(),
    logger: options.logger ?? jsonLogger(),
    alertSenders: { webhook: webhookSender(postWebhook), ...options.alertSenders },
    instance: "local",
    settings: coreSettings(config),
  });
  const gateway = createGateway(ctx, {
    // Bulkheads per route class (POOLER_ADMISSION_<CLASS>; src/core/access/admission.ts).
    admission: new Admission(config.admission, ctx.metrics, () => clock.now()),
  });

  let bootstrapAdminToken: string | undefined;
  if (!config.adminToken && !(await ctx.store.credentials.any("admin_token"))) {
    const minted = await gateway.credentials.create("admin_token", { label: "bootstrap" }, "system");
    bootstrapAdminToken = minted.secret;
  }

  let draining = false;
  // The usage poll, on a timer here (a schedule on AWS); a run never overlaps the previous one.
  let polling: Promise<unknown> | undefined;
  const poller =
    config.usagePollSeconds > 0
      ? setInterval(() => {
          polling ??= refreshDueAccounts(gateway)
            .then(() => pollAccountUsage(gateway))
            // Rules are evaluated when due (POOLER_ALERT_EVALUATE_SECONDS); pending deliveries every tick.
            .then(() => evaluateAlerts(gateway.ctx, { intervalMs: config.alertEvaluateSeconds * 1000 }))
            .catch((error) => ctx.logger.warn("usage poll failed", { error: (error as Error).name }))
            .finally(() => {
              polling = undefined;
            });
        }, config.usagePollSeconds * 1000).unref()
      : undefined;
  // The emulator has no TTL and no scheduler: without this the data directory keeps every pin,
  // request-log row and rate window ever written. Runs never overlap; a failure waits for the next.
  const documents = documentClient(client);
  const sweepExpired = expirySweeper(documents, { tables: [tables.state, tables.requestLogs], clock });
  let housekeeping: Promise<Housekeeping> | undefined;
  const stopping = new AbortController();
  const runHousekeeping = () =>
    (housekeeping ??= (async () => {
      const started = clock.now();
      const retention = await purgeExpiredRequestLogs(documents, {
        table: tables.requestLogs,
        retentionDays: config.requestLogRetentionDays,
        clock,
        signal: stopping.signal,
      });
      const expired = await sweepExpired(stopping.signal);
      if (retention.deleted + expired.deleted > 0) {
        ctx.logger.info("expired items removed", {
          requestLogsPastRetention: retention.deleted,
          expiredItems: expired.deleted,
          scanned: expired.scanned,
          durationMs: clock.now() - started,
        });
      }
      return { retention, expired };
    })().finally(() => {
      housekeeping = undefined;
    }));
  const sweepNow = () =>
    void runHousekeeping().catch((error) =>
      ctx.logger.warn("store clean-up failed", { error: (error as Error).name }),
    );
  // The first run a minute after start (a gateway started for short sessions still gets cleaned).
  const sweepTimers =
    config.expirySweepMinutes > 0
      ? [
          setTimeout(sweepNow, 60_000).unref(),
          setInterval(sweepNow, config.expirySweepMinutes * 60_000).unref(),
        ]
      : [];
  const app = createApp(gateway, {
    adminAuthenticator: bearerAdminAuthenticator(gateway, config.adminToken),
    version: VERSION,
    isDraining: () => draining,
    publicBaseUrl: config.publicBaseUrl,
  });
  const server = await new Promise<Server>((resolve, reject) => {
    // The local host serves HTTP/1.1 only.
    const fetch = withDirectRelayBodies((request, env) =>
      app.fetch(request, nodeHostBindings(request, env as HttpBindings)),
    );
    const s = serve(
      { fetch, port: config.port, hostname: config.host, serverOptions: requestTimeouts(config) },
      () => resolve(s as Server),
    );
    s.once("error", reject);
  });
  // A request Node refuses before the app sees it (too slow, malformed) gets an OpenAI-shaped answer.
  server.on("clientError", answerClientError);
  // Responses WebSocket upgrades; other upgrade requests get the app's ordinary answer.
  const websockets = attachWebSocketRelay(server, gateway, {
    fallback: (request, incoming) => app.fetch(request, { peerAddress: incoming.socket?.remoteAddress }),
    isDraining: () => draining,
    idleTimeoutMs: config.websocketIdleTimeoutMs,
  });
  const { port } = server.address() as AddressInfo;
  const host = config.host.includes(":") ? `[${config.host}]` : config.host;

  return {
    url: `http://${host}:${port}`,
    gateway,
    bootstrapAdminToken,
    housekeeping: runHousekeeping,
    async stop() {
      draining = true;
      clearInterval(poller);
      for (const timer of sweepTimers) clearTimeout(timer);
      stopping.abort();
      // Idle WebSockets close with 1001 now; the others when their turn ends.
      websockets.drain();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      // Keep-alive connections go idle as their streams finish; close them then, not at Node's timeout.
      const reaper = setInterval(() => server.closeIdleConnections(), 100);
      server.closeIdleConnections();
      // Open streams get a bounded grace period...
      await Promise.race([closed, delay(config.shutdownGraceMs)]);
      // ...then each ends with a well-formed terminal error (SSE: response.failed, or the /v1
      // translation's error; WebSocket: an error event and 1001), written before connections close.
      endStreams();
      await Promise.race([Promise.all([closed, websockets.close()]), delay(FINAL_WRITE_MS)]);
      clearInterval(reaper);
      server.closeAllConnections();
      await counters.flush().catch(() => undefined);
      await Promise.allSettled([...pending, polling, housekeeping]);
      await counters.flush().catch(() => undefined);
      await dynamoStore.flushPuts().catch(() => undefined);
      client.destroy();
      await dynamo.close();
    },
  };
}

/**
 * Node's own limits on how long a request may take to arrive: its headers, and the whole request with
 * its body (slow senders get 408 and their connection is freed). They stop applying once the request
 * has arrived, so a long SSE answer is never cut by them. Checked a few times per headers timeout.
 */
function requestTimeouts(config: LocalConfig): ServerOptions {
  const shortest = Math.min(config.headersTimeoutMs, config.requestTimeoutMs);
  return {
    requestTimeout: config.requestTimeoutMs,
    headersTimeout: config.headersTimeoutMs,
    connectionsCheckingInterval: Math.max(100, Math.min(5_000, Math.floor(shortest / 4))),
  };
}

const CLIENT_ERRORS: Record<string, [status: number, code: string, message: string]> = {
  ERR_HTTP_REQUEST_TIMEOUT: [
    408,
    "request_timeout",
    "the request did not arrive in time (POOLER_REQUEST_TIMEOUT_MS / POOLER_HEADERS_TIMEOUT_MS); send it again",
  ],
  HPE_HEADER_OVERFLOW: [431, "request_header_fields_too_large", "the request headers are too large"],
};

/** Node's 'clientError': answer when nothing of a response went out yet, then free the connection. */
function answerClientError(error: NodeJS.ErrnoException, socket: Duplex): void {
  const inFlight = (socket as { _httpMessage?: { headersSent?: boolean } })._httpMessage;
  if (socket.writable && !inFlight?.headersSent && error.code !== "ECONNRESET") {
    const [status, code, message] = CLIENT_ERRORS[error.code ?? ""] ?? [
      400,
      "invalid_request",
      "malformed HTTP request",
    ];
    const body = JSON.stringify(new GatewayError(status, code, message).toJSON());
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\ncache-control: no-store\r\nconnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy();
}
