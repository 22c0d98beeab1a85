// The local host's WebSocket side: the Node server's 'upgrade' event (which runs before Hono) for
// the Responses WebSocket routes, accepted with `ws` (permessage-deflate), and the upstream sockets
// dialed with `ws` too. The relay logic lives in core (relay/websocket/: session.ts and its parts); this file only adapts
// `ws` sockets to it, answers rejected upgrades as plain HTTP, pings both sides, and hands any other
// upgrade request to the HTTP app as if it had no Upgrade header.
import { type IncomingHttpHeaders, type IncomingMessage, type Server, STATUS_CODES } from "node:http";
import type { Duplex } from "node:stream";
import WebSocket, { type RawData, WebSocketServer } from "ws";
import { isFirewallOpenPath } from "../core/access/firewall.ts";
import type { Logger } from "../core/context.ts";
import { GatewayError } from "../core/errors.ts";
import type { Gateway } from "../core/gateway.ts";
import { requestId } from "../core/ids.ts";
import { authenticatePoolKey } from "../core/keys/key-auth.ts";
import { WebSocketRegistry } from "../core/relay/websocket/registry.ts";
import { openWebSocketSession } from "../core/relay/websocket/session.ts";
import type {
  DialResult,
  FrameHandlers,
  FrameSocket,
  SocketFailure,
  WebSocketLimits,
} from "../core/relay/websocket/sockets.ts";
import { firewallRefusal } from "../http/middleware/firewall.ts";

/** Codex's `{base_url}/responses` for both base URLs, and the narrow SDK-facing `/v1/responses`. */
export const WEBSOCKET_ROUTES = new Set([
  "/backend-api/codex/responses",
  "/backend-api/codex/v1/responses",
  "/v1/responses",
]);

export interface WebSocketHostOptions {
  /**
   * Answers upgrade requests for other routes, as the HTTP app would without the Upgrade header;
   * `incoming` carries the peer's socket (the firewall and the failed-auth throttle need it).
   */
  fallback(request: Request, incoming: IncomingMessage): Response | Promise<Response>;
  isDraining(): boolean;
  idleTimeoutMs: number;
  /** Default 55 minutes: the pair closes between turns before the upstream's 60-minute cut. */
  upstreamMaxAgeMs?: number;
  /** Ping interval for both sides; a socket that missed the previous pong is cut. Default 30 s. */
  pingIntervalMs?: number;
}

export interface WebSocketHost {
  registry: WebSocketRegistry;
  /** Shutdown begins: idle connections close with 1001 now, the others once their turn in flight ends. */
  drain(): void;
  /**
   * The shutdown grace is over: turns still in flight get an error event, every connection closes
   * with 1001 (cut after a short grace); resolves once they are closed.
   */
  close(): Promise<void>;
}

const HIGH_WATER_BYTES = 1024 * 1024;
const ERROR_BODY_LIMIT = 64 * 1024;
const CLOSE_GRACE_MS = 2_000;
const WS_KEY = /^[+/0-9A-Za-z]{22}==$/;

export function attachWebSocketRelay(
  server: Server,
  gw: Gateway,
  options: WebSocketHostOptions,
): WebSocketHost {
  const { ctx } = gw;
  const registry = new WebSocketRegistry(gw.credentials);
  const wss = new WebSocketServer({
    noServer: true,
    perMessageDeflate: true,
    maxPayload: ctx.config.maxBodyBytes,
  });
  const handshakeHeaders = new WeakMap<IncomingMessage, Headers>();
  const limits: WebSocketLimits = {
    idleTimeoutMs: options.idleTimeoutMs,
    upstreamMaxAgeMs: options.upstreamMaxAgeMs ?? 55 * 60_000,
    highWaterBytes: HIGH_WATER_BYTES,
  };
  const heartbeat = new Heartbeat(options.pingIntervalMs ?? 30_000);

  wss.on("headers", (lines, req) => {
    handshakeHeaders.get(req)?.forEach((value, name) => {
      if (!/[\r\n]/.test(value)) lines.push(`${name}: ${value}`);
    });
  });

  const dial = (url: string, headers: Headers, signal: AbortSignal): Promise<DialResult> =>
    new Promise((resolve) => {
      let settled = false;
      const ws = new WebSocket(url, {
        headers: Object.fromEntries(headers),
        perMessageDeflate: true,
        handshakeTimeout: ctx.config.upstreamHeadersTimeoutMs,
        maxPayload: ctx.config.maxBodyBytes,
      });
      const done = (result: DialResult) => {
        if (settled) return;
        settled = true;
        signal.removeEventListener("abort", onAbort);
        resolve(result);
      };
      const onAbort = () => {
        ws.terminate();
        done({ kind: "failed" });
      };
      signal.addEventListener("abort", onAbort, { once: true });
      let upgradeHeaders = new Headers();
      ws.on("error", () => done({ kind: "failed" }));
      ws.once("upgrade", (res) => {
        upgradeHeaders = toHeaders(res.headers);
      });
      ws.once("open", () => {
        ws.pause(); // frames wait until the session listens
        heartbeat.track(ws);
        done({ kind: "open", socket: frameSocket(ws, "upstream", ctx.logger), headers: upgradeHeaders });
      });
      ws.once("unexpected-response", (request, res) => {
        readBounded(res, ERROR_BODY_LIMIT).then(
          (body) => {
            done({ kind: "rejected", status: res.statusCode ?? 502, headers: toHeaders(res.headers), body });
            request.destroy();
          },
          () => {
            done({ kind: "failed" });
            request.destroy();
          },
        );
      });
    });

  async function upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    const url = requestUrl(req);
    // The HTTP app refuses the same Host (or path) with the same 400.
    if (!url) {
      return writeResponse(
        socket,
        new GatewayError(400, "invalid_request", "invalid Host header or request target").toResponse(),
      );
    }
    const clientHeaders = toHeaders(req.headers);
    const websocketRoute = WEBSOCKET_ROUTES.has(url.pathname);
    if (!websocketRoute && (req.method === "GET" || req.method === "HEAD")) {
      // The app's answer as if there were no Upgrade header, with this peer (firewall, auth throttle).
      const request = new Request(url, {
        method: req.method,
        headers: clientHeaders,
      });
      return writeResponse(socket, await options.fallback(request, req));
    }
    // The runtime firewall first, as in the app: a refused client learns nothing about routes or keys.
    let client: string | undefined;
    if (!isFirewallOpenPath(url.pathname)) {
      try {
        client = await gw.settings.admit(req.socket.remoteAddress, clientHeaders, "backend-api");
      } catch (error) {
        if (!(error instanceof GatewayError)) throw error;
        return writeResponse(
          socket,
          error.status === 403 ? firewallRefusal(url.pathname) : error.toResponse(),
        );
      }
    }
    if (!websocketRoute) {
      // An upgrade request carries no body, so only bodiless methods can be answered as plain HTTP.
      return writeResponse(
        socket,
        new GatewayError(400, "invalid_request", "protocol upgrades are only accepted on GET").toResponse(),
      );
    }
    if (options.isDraining()) {
      return writeResponse(
        socket,
        new GatewayError(503, "draining", "the gateway is shutting down; reconnect shortly").toResponse(),
      );
    }
    if (req.method !== "GET" || req.headers.upgrade?.toLowerCase() !== "websocket") {
      return writeResponse(
        socket,
        new GatewayError(
          400,
          "websocket_upgrade_required",
          "this route takes a GET with Upgrade: websocket; use POST for SSE",
        ).toResponse(),
      );
    }
    let auth: Awaited<ReturnType<typeof authenticatePoolKey>>;
    try {
      auth = await authenticatePoolKey(gw, req.headers.authorization, client);
      // A connection holds its admission slot for its whole life (src/core/access/admission.ts).
      const lease = await gw.admission?.acquire("proxy_websocket");
      if (lease) {
        socket.once("close", () => lease.release());
        if (socket.destroyed) lease.release();
      }
    } catch (error) {
      if (error instanceof GatewayError) return writeResponse(socket, error.toResponse());
      throw error;
    }
    const version = req.headers["sec-websocket-version"];
    if (!WS_KEY.test(req.headers["sec-websocket-key"] ?? "") || (version !== "13" && version !== "8")) {
      return writeResponse(
        socket,
        new GatewayError(400, "invalid_request", "invalid WebSocket handshake (key or version)").toResponse(),
      );
    }
    // The client may give up while the upstream is being dialed.
    const gone = new AbortController();
    const onGone = () => gone.abort();
    socket.once("close", onGone);
    const opened = await openWebSocketSession(gw, {
      auth,
      route: url.pathname,
      clientHeaders,
      clientAddress: req.socket.remoteAddress,
      dial,
      limits,
      requestId: requestId(),
      signal: gone.signal,
      onClosed: (session) => registry.delete(session),
    });
    if (opened.kind === "rejected") {
      ctx.metrics.count("websocket_connections", 1, { outcome: "rejected" });
      return writeResponse(socket, opened.response);
    }
    const { session } = opened;
    if (gone.signal.aborted || socket.destroyed) {
      session.abort();
      return;
    }
    registry.add(session);
    handshakeHeaders.set(req, opened.headers);
    socket.off("close", onGone);
    // ws answers a handshake it rejects itself and never calls back: release the upstream then.
    let attached = false;
    socket.once("close", () => {
      if (!attached) session.abort();
    });
    wss.handleUpgrade(req, socket, head, (ws) => {
      attached = true;
      ctx.metrics.count("websocket_connections", 1, { outcome: "accepted" });
      heartbeat.track(ws);
      session.attach(frameSocket(ws, "client", ctx.logger));
      // Accepted while the host began to stop: served like the other open connections.
      if (options.isDraining()) session.drain();
    });
  }

  server.on("upgrade", (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on("error", () => undefined); // resets are routine; the close path cleans up
    upgrade(req, socket, head).catch((error: unknown) => {
      ctx.logger.error("websocket upgrade failed", { error: (error as Error).name });
      void writeResponse(
        socket,
        new GatewayError(500, "internal_error", "internal error; see the gateway log").toResponse(),
      );
    });
  });

  return {
    registry,
    drain: () => registry.drainAll(),
    async close() {
      registry.stopAll();
      const closed = heartbeat.stop(CLOSE_GRACE_MS);
      wss.close();
      registry.dispose();
      await closed;
    },
  };
}

/**
 * Adapts a `ws` socket to the session's FrameSocket. Every socket gets an 'error' listener: `ws`
 * emits one for a frame that breaks the protocol (invalid UTF-8, an unmasked client frame, a reserved
 * opcode or RSV bit, a bad close code, a message over maxPayload) after it has already closed with
 * the matching code (1002, 1007, 1009); without a listener that event would end the process.
 */
function frameSocket(ws: WebSocket, side: "client" | "upstream", logger: Logger): FrameSocket {
  let waiters: (() => void)[] = [];
  let failure: SocketFailure | undefined;
  let handlers: FrameHandlers | undefined;
  let reported = false;
  const closed = (code: number, reason: string) => {
    if (reported || !handlers) return;
    reported = true;
    handlers.closed(code, reason, failure);
  };
  ws.on("error", (error: Error & { code?: string }) => {
    logger.warn("websocket error", { side, error: error.code ?? error.name });
    if (failure) return;
    failure = socketFailure(error);
    // The peer broke the protocol: `ws` sent its close frame and reads nothing more. The relay learns
    // it now, and a peer that never closes its end is cut after the usual grace (not ws's 30 s).
    closed(1006, "");
    setTimeout(() => ws.terminate(), CLOSE_GRACE_MS).unref();
  });
  const wake = () => {
    if (waiters.length === 0 || ws.bufferedAmount > 0) return;
    const ready = waiters;
    waiters = [];
    for (const callback of ready) callback();
  };
  return {
    listen(listener) {
      handlers = listener;
      ws.on("message", (data, isBinary) => listener.frame(isBinary ? "" : rawText(data), isBinary));
      ws.once("close", (code, reason) => closed(code, reason.toString("utf8")));
      // It failed or closed before anyone listened.
      if (failure) closed(1006, "");
      else if (ws.readyState === WebSocket.CLOSED) closed(1006, "");
      else if (ws.isPaused) ws.resume();
    },
    send(text) {
      ws.send(text, wake);
    },
    close(code, reason) {
      if (ws.readyState === WebSocket.CLOSED || ws.readyState === WebSocket.CLOSING) return;
      // Close reasons are limited to 123 bytes.
      ws.close(code, Buffer.from(reason).subarray(0, 123).toString("utf8"));
      setTimeout(() => ws.terminate(), CLOSE_GRACE_MS).unref();
    },
    get bufferedAmount() {
      return ws.bufferedAmount;
    },
    pause: () => ws.pause(),
    resume: () => ws.resume(),
    onceDrained(callback) {
      waiters.push(callback);
      wake();
    },
  };
}

/**
 * What a socket's error says about the peer. `ws` emits 'error' on an open socket only for what the
 * peer sent (a frame breaking the protocol, a compressed message that does not inflate, one over the
 * limit); a reset just closes it.
 */
function socketFailure(error: Error & { code?: string }): SocketFailure {
  if (error.code === "WS_ERR_UNSUPPORTED_MESSAGE_LENGTH") {
    return { status: 413, errorCode: "websocket_message_too_large" };
  }
  return { status: 400, errorCode: "websocket_protocol_error" };
}

/** Pings every socket; one that did not answer the previous ping is cut (a dead peer or path). */
class Heartbeat {
  readonly #alive = new Map<WebSocket, boolean>();
  readonly #timer: NodeJS.Timeout;

  constructor(intervalMs: number) {
    this.#timer = setInterval(() => this.#beat(), intervalMs);
    this.#timer.unref();
  }

  track(ws: WebSocket): void {
    this.#alive.set(ws, true);
    ws.on("pong", () => this.#alive.set(ws, true));
    ws.once("close", () => this.#alive.delete(ws));
  }

  /** Stops pinging; sockets still open after `graceMs` are cut. Resolves once all are closed. */
  stop(graceMs: number): Promise<void> {
    clearInterval(this.#timer);
    const open = [...this.#alive.keys()];
    const timer = setTimeout(() => {
      for (const ws of open) ws.terminate();
    }, graceMs);
    timer.unref();
    const closed = open.map((ws) =>
      ws.readyState === WebSocket.CLOSED ? undefined : new Promise((resolve) => ws.once("close", resolve)),
    );
    return Promise.all(closed).then(() => clearTimeout(timer));
  }

  #beat(): void {
    for (const [ws, alive] of this.#alive) {
      if (ws.isPaused) continue; // a paused socket reads no pongs (backpressure), so it is not judged
      try {
        if (!alive) {
          ws.terminate();
          continue;
        }
        this.#alive.set(ws, false);
        ws.ping();
      } catch {
        // A socket that cannot be pinged is going away; its close event cleans up. Others still beat.
        this.#alive.delete(ws);
      }
    }
  }
}

function rawText(data: RawData): string {
  if (Buffer.isBuffer(data)) return data.toString("utf8");
  if (Array.isArray(data)) return Buffer.concat(data).toString("utf8");
  return Buffer.from(data).toString("utf8");
}

/** The request's URL from its Host and target; undefined when they do not make one (`Host: a b`). */
function requestUrl(req: IncomingMessage): URL | undefined {
  const host = req.headers.host || "localhost";
  if (!req.url?.startsWith("/")) return undefined;
  try {
    const url = new URL(`http://${host}${req.url}`);
    // As @hono/node-server checks it: the parsed host must be the whole Host header.
    if (url.host !== host.toLowerCase() && url.hostname !== host.replace(/:\d+$/, "").toLowerCase()) {
      return undefined;
    }
    return url;
  } catch {
    return undefined;
  }
}

function toHeaders(raw: IncomingHttpHeaders): Headers {
  const headers = new Headers();
  for (const [name, value] of Object.entries(raw)) {
    if (value === undefined) continue;
    try {
      headers.set(name, Array.isArray(value) ? value.join(", ") : value);
    } catch {
      // a header the fetch Headers cannot hold: nothing the relay forwards
    }
  }
  return headers;
}

async function readBounded(stream: IncomingMessage, limit: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream) {
    chunks.push(chunk as Buffer);
    size += (chunk as Buffer).length;
    if (size >= limit) break;
  }
  return Buffer.concat(chunks).subarray(0, limit).toString("utf8");
}

/** A plain HTTP answer on the upgrade socket (no `sec-websocket-accept`), then the socket is closed. */
async function writeResponse(socket: Duplex, response: Response): Promise<void> {
  const body = Buffer.from(await response.arrayBuffer());
  if (socket.destroyed) return;
  const lines = [`HTTP/1.1 ${response.status} ${STATUS_CODES[response.status] ?? ""}`];
  response.headers.forEach((value, name) => {
    if (!["content-length", "connection", "transfer-encoding"].includes(name))
      lines.push(`${name}: ${value}`);
  });
  lines.push(`content-length: ${body.length}`, "connection: close");
  socket.end(Buffer.concat([Buffer.from(`${lines.join("\r\n")}\r\n\r\n`), body]));
}
