// A local stand-in for an API Gateway WebSocket API stage, for tests: a `ws` server on 127.0.0.1
// whose $connect, $default and $disconnect routes invoke a Lambda handler with API Gateway v2
// WebSocket events, plus the stage's management endpoint (`@connections`, which the handler's
// ApiGatewayManagementApiClient is pointed at) and a Lambda Invoke endpoint that runs functions
// invoked asynchronously (`X-Amz-Invocation-Type: Event`) in this process.
//
// The documented limits are enforced (each can be shrunk for a test): a client frame over 32 KB or a
// message over 128 KB closes the connection with 1009; a route integration may take 29 s, after
// which the client gets API Gateway's timeout message while the function runs on; idle connections
// close after 10 minutes and every connection after 2 hours. `$connect`'s status code is the
// client's upgrade answer (101 for 2xx). A posted message of up to 128 KB reaches the client as one
// message split into frames of at most 32 KB; a bigger one is refused with 413.
// Assumptions where AWS documents no detail: the $connect answer carries no body, the idle and
// duration limits close with 1001, DeleteConnection closes with 1000, a path other than the stage is
// answered 403, and any data frame either way counts as activity (pings do not). No
// permessage-deflate.
import { randomBytes, randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type Server, STATUS_CODES } from "node:http";
import type { AddressInfo } from "node:net";
import type { Duplex } from "node:stream";
import WebSocket, { WebSocketServer } from "ws";
import type { LambdaContext } from "../../src/adapters/lambda/lambda-runtime.ts";
import { lambdaContext } from "./lambda.ts";
import { parseFrameHeader } from "./raw-websocket.ts";

export interface EmulatorLimits {
  frameBytes: number;
  messageBytes: number;
  integrationTimeoutMs: number;
  idleTimeoutMs: number;
  maxConnectionMs: number;
}

export const API_GATEWAY_DEFAULTS: EmulatorLimits = {
  frameBytes: 32 * 1024,
  messageBytes: 128 * 1024,
  integrationTimeoutMs: 29_000,
  idleTimeoutMs: 10 * 60_000,
  maxConnectionMs: 2 * 60 * 60_000,
};

export interface IntegrationResult {
  statusCode: number;
  headers?: Record<string, string>;
  body?: string;
}

export type RouteHandler = (event: any) => Promise<IntegrationResult | undefined>;
export type AsyncFunction = (event: any, context: LambdaContext) => Promise<unknown>;

export interface EmulatorOptions {
  handler: RouteHandler;
  stage?: string;
  limits?: Partial<EmulatorLimits>;
  /** Functions the Lambda Invoke endpoint runs, by name (asynchronous invocations only). */
  asyncFunctions?: Record<string, AsyncFunction>;
}

export interface UpgradeRecord {
  at: number;
  path: string;
  status: number;
  headers: Record<string, string>;
}

export interface ConnectionRecord {
  connectionId: string;
  openedAt: number;
  /** Payload sizes of the client's data frames, in order. */
  inboundFrames: number[];
  /** Payload sizes of the frames sent to the client, in order. */
  outboundFrames: number[];
  /** Sizes of the messages posted through the management endpoint. */
  postedMessages: number[];
  /** The close code as the front saw it (1006: the client dropped without a close frame). */
  closed?: { code: number; reason: string; at: number };
  /** The code the front closed the connection with, when it did (a limit, DeleteConnection). */
  closeSent?: number;
  /** Resolves once the connection is closed and its $disconnect has run. */
  done: Promise<{ code: number; reason: string }>;
}

export interface ApiGatewayEmulator {
  /** The stage URL clients connect to (`ws://127.0.0.1:<port>/<stage>`). */
  url: string;
  /** For `POOLER_WEBSOCKET_MANAGEMENT_ENDPOINT` (the management API's endpoint config). */
  managementEndpoint: string;
  /** For `AWS_ENDPOINT_URL_LAMBDA`. */
  lambdaEndpoint: string;
  limits: EmulatorLimits;
  upgrades: UpgradeRecord[];
  connections: Map<string, ConnectionRecord>;
  integrationTimeouts: number;
  /** Asynchronous invocations whose function rejected (Lambda would log them as errors). */
  asyncFailures: number;
  /**
   * Fault injection: the management API answers the next `times` PostToConnection calls whose
   * message matches with 500 InternalServerErrorException (the SDK retries one once).
   */
  failPosts(match: (text: string) => boolean, times: number): void;
  /** Serves an upgrade another local server received (a front routing upgrades here); treated as the stage. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void;
  /** Waits for every integration and asynchronous invocation in flight (and any they start). */
  settled(): Promise<void>;
  close(): Promise<void>;
}

interface Live {
  record: ConnectionRecord;
  ws: WebSocket;
  connectedAt: number;
  sourceIp: string;
  userAgent: string;
  idleTimer?: NodeJS.Timeout;
  ageTimer?: NodeJS.Timeout;
  /** A limit was broken: later frames are not delivered. */
  broken: boolean;
}

export async function startApiGatewayEmulator(options: EmulatorOptions): Promise<ApiGatewayEmulator> {
  const stage = options.stage ?? "v1";
  const limits = { ...API_GATEWAY_DEFAULTS, ...options.limits };
  const apiId = `local${randomBytes(3).toString("hex")}`;
  const domainName = `${apiId}.execute-api.us-east-1.amazonaws.com`;
  const live = new Map<string, Live>();
  const postFaults: { match: (text: string) => boolean; left: number }[] = [];
  const pending = new Set<Promise<unknown>>();
  const track = <T>(task: Promise<T>): Promise<T> => {
    pending.add(task);
    void task.finally(() => pending.delete(task)).catch(() => undefined);
    return task;
  };
  const wss = new WebSocketServer({
    noServer: true,
    perMessageDeflate: false,
    maxPayload: limits.messageBytes,
  });

  const emulator: ApiGatewayEmulator = {
    url: "",
    managementEndpoint: "",
    lambdaEndpoint: "",
    limits,
    upgrades: [],
    connections: new Map(),
    integrationTimeouts: 0,
    asyncFailures: 0,
    failPosts(match, times) {
      postFaults.push({ match, left: times });
    },
    handleUpgrade: (req, socket, head) => void upgrade(req, socket, head, true),
    async settled() {
      while (pending.size > 0) await Promise.allSettled([...pending]);
    },
    async close() {
      for (const { ws } of live.values()) ws.terminate();
      await emulator.settled();
      wss.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };

  const requestContext = (
    connectionId: string,
    routeKey: string,
    eventType: string,
    conn: { connectedAt: number; sourceIp: string; userAgent: string },
  ) => {
    const now = Date.now();
    return {
      routeKey,
      eventType,
      extendedRequestId: randomBytes(8).toString("base64url"),
      requestTime: new Date(now).toUTCString(),
      messageDirection: "IN",
      stage,
      connectedAt: conn.connectedAt,
      requestTimeEpoch: now,
      identity: { sourceIp: conn.sourceIp, userAgent: conn.userAgent },
      requestId: randomBytes(8).toString("base64url"),
      domainName,
      connectionId,
      apiId,
    };
  };

  /** Invokes a route's integration; undefined when it did not answer within the integration timeout. */
  const integrate = async (event: unknown): Promise<IntegrationResult | "timeout" | "error"> => {
    const invocation = track(
      options.handler(event).then(
        (result) => result ?? { statusCode: 200 },
        () => "error" as const,
      ),
    );
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<"timeout">((resolve) => {
      timer = setTimeout(() => resolve("timeout"), limits.integrationTimeoutMs);
    });
    const result = await Promise.race([invocation, timeout]);
    clearTimeout(timer);
    if (result === "timeout") emulator.integrationTimeouts++;
    return result;
  };

  async function upgrade(req: IncomingMessage, socket: Duplex, head: Buffer, viaFront: boolean) {
    socket.on("error", () => undefined);
    const path = new URL(req.url ?? "/", "http://x").pathname;
    const headers = originalCaseHeaders(req);
    const record = (status: number) =>
      emulator.upgrades.push({ at: Date.now(), path, status, headers: lowerCase(headers) });
    if (!viaFront && path !== `/${stage}` && path !== `/${stage}/`) {
      record(403);
      return writeStatus(socket, 403);
    }
    const connectionId = `${randomBytes(12).toString("base64").slice(0, 15)}=`;
    const conn = {
      connectedAt: Date.now(),
      sourceIp: req.socket.remoteAddress?.replace(/^::ffff:/, "") ?? "127.0.0.1",
      userAgent: req.headers["user-agent"] ?? "",
    };
    const event = {
      headers: {
        ...headers,
        Host: domainName,
        "X-Amzn-Trace-Id": `Root=1-${Math.floor(Date.now() / 1000).toString(16)}-${randomBytes(12).toString("hex")}`,
        "X-Forwarded-For": conn.sourceIp,
        "X-Forwarded-Port": "443",
        "X-Forwarded-Proto": "https",
      },
      multiValueHeaders: Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, [v]])),
      requestContext: requestContext(connectionId, "$connect", "CONNECT", conn),
      isBase64Encoded: false,
    };
    const result = await integrate(event);
    const status = result === "timeout" ? 504 : result === "error" ? 500 : normalizeStatus(result.statusCode);
    record(status >= 200 && status < 300 ? 101 : status);
    if (status < 200 || status >= 300 || socket.destroyed) {
      if (status >= 200 && status < 300) return; // the client left during $connect
      return writeStatus(socket, status);
    }
    // Subprotocol negotiation (a Sec-WebSocket-Protocol answer header) is not emulated.
    wss.handleUpgrade(req, socket, head, (ws) => open(ws, socket, connectionId, conn));
  }

  function open(
    ws: WebSocket,
    socket: Duplex,
    connectionId: string,
    conn: { connectedAt: number; sourceIp: string; userAgent: string },
  ) {
    let resolveDone!: (value: { code: number; reason: string }) => void;
    const record: ConnectionRecord = {
      connectionId,
      openedAt: Date.now(),
      inboundFrames: [],
      outboundFrames: [],
      postedMessages: [],
      done: new Promise((resolve) => {
        resolveDone = resolve;
      }),
    };
    const entry: Live = { record, ws, ...conn, broken: false };
    live.set(connectionId, entry);
    emulator.connections.set(connectionId, record);

    // Frame sizes are only visible on the wire: read the client's frame headers before `ws` does.
    const scanner = new FrameScanner((opcode, length) => {
      if (opcode > 0x2) return; // control frames
      record.inboundFrames.push(length);
      if (length > limits.frameBytes && !entry.broken) {
        entry.broken = true;
        closeWith(entry, 1009, "Message too big");
      }
    });
    socket.prependListener("data", (chunk: Buffer) => scanner.feed(chunk));

    const activity = () => {
      clearTimeout(entry.idleTimer);
      entry.idleTimer = setTimeout(() => closeWith(entry, 1001, "Going away"), limits.idleTimeoutMs);
    };
    activity();
    entry.ageTimer = setTimeout(() => closeWith(entry, 1001, "Going away"), limits.maxConnectionMs);

    ws.on("message", (data, isBinary) => {
      if (entry.broken) return;
      activity();
      const raw = Buffer.isBuffer(data) ? data : Buffer.concat(data as Buffer[]);
      const event = {
        requestContext: {
          ...requestContext(connectionId, "$default", "MESSAGE", conn),
          messageId: randomBytes(8).toString("base64url"),
        },
        body: isBinary ? raw.toString("base64") : raw.toString("utf8"),
        isBase64Encoded: isBinary,
      };
      void integrate(event).then((result) => {
        if (typeof result === "object" || ws.readyState !== WebSocket.OPEN) return;
        // With no route response configured, API Gateway tells the client only about failures.
        const meta = { connectionId, requestId: event.requestContext.requestId };
        if (result === "timeout")
          send(entry, JSON.stringify({ message: "Endpoint request timed out", ...meta }));
        if (result === "error") send(entry, JSON.stringify({ message: "Internal server error", ...meta }));
      });
    });
    ws.on("error", (error: Error & { code?: string }) => {
      // `ws` enforces the message limit itself (maxPayload) and closes with 1009.
      if (error.code === "WS_ERR_UNSUPPORTED_MESSAGE_LENGTH") record.closeSent ??= 1009;
    });
    ws.once("close", (code, reason) => {
      clearTimeout(entry.idleTimer);
      clearTimeout(entry.ageTimer);
      live.delete(connectionId);
      record.closed = { code, reason: reason.toString("utf8"), at: Date.now() };
      const event = {
        headers: { Host: domainName, "X-Forwarded-For": conn.sourceIp, "x-api-key": "", "x-restapi": "" },
        multiValueHeaders: {},
        requestContext: {
          ...requestContext(connectionId, "$disconnect", "DISCONNECT", conn),
          disconnectStatusCode: code,
          disconnectReason: reason.toString("utf8"),
        },
        isBase64Encoded: false,
      };
      void integrate(event).then(() => resolveDone({ code, reason: reason.toString("utf8") }));
    });
  }

  function closeWith(entry: Live, code: number, reason: string) {
    entry.record.closeSent ??= code;
    entry.ws.close(code, reason);
  }

  /** One message to the client, in frames of at most `frameBytes`. */
  function send(entry: Live, text: string) {
    const bytes = Buffer.from(text, "utf8");
    entry.record.postedMessages.push(bytes.length);
    for (let offset = 0; offset < bytes.length || offset === 0; offset += limits.frameBytes) {
      const chunk = bytes.subarray(offset, offset + limits.frameBytes);
      const fin = offset + limits.frameBytes >= bytes.length;
      entry.ws.send(chunk, { binary: false, fin, compress: false });
      entry.record.outboundFrames.push(chunk.length);
      if (fin) break;
    }
  }

  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const body = Buffer.concat(chunks);
      const url = new URL(req.url ?? "/", "http://x");
      const fail = (status: number, type: string, message: string) => {
        res.writeHead(status, { "content-type": "application/json", "x-amzn-ErrorType": type });
        res.end(JSON.stringify({ message }));
      };
      const management = new RegExp(`^/${stage}/@connections/([^/]+)$`).exec(url.pathname);
      if (management) {
        const id = decodeURIComponent(management[1]!);
        const entry = live.get(id);
        if (!entry || entry.ws.readyState !== WebSocket.OPEN) return fail(410, "GoneException", "Gone");
        if (req.method === "POST") {
          if (body.length > limits.messageBytes) {
            return fail(413, "PayloadTooLargeException", "Request entity too large");
          }
          const fault = postFaults.find((f) => f.left > 0 && f.match(body.toString("utf8")));
          if (fault) {
            fault.left--;
            return fail(500, "InternalServerErrorException", "Internal server error");
          }
          clearTimeout(entry.idleTimer);
          entry.idleTimer = setTimeout(() => closeWith(entry, 1001, "Going away"), limits.idleTimeoutMs);
          send(entry, body.toString("utf8"));
          res.writeHead(200).end();
          return;
        }
        if (req.method === "DELETE") {
          closeWith(entry, 1000, "");
          res.writeHead(204).end();
          return;
        }
        if (req.method === "GET") {
          res.writeHead(200, { "content-type": "application/json" });
          res.end(
            JSON.stringify({
              ConnectedAt: new Date(entry.connectedAt).toISOString(),
              Identity: { SourceIp: entry.sourceIp, UserAgent: entry.userAgent },
              LastActiveAt: new Date().toISOString(),
            }),
          );
          return;
        }
      }
      const invoke = /^\/2015-03-31\/functions\/([^/]+)\/invocations$/.exec(url.pathname);
      if (invoke && req.method === "POST") {
        const name = decodeURIComponent(invoke[1]!);
        const fn = options.asyncFunctions?.[name];
        if (!fn) return fail(404, "ResourceNotFoundException", `Function not found: ${name}`);
        if (req.headers["x-amz-invocation-type"] !== "Event") {
          return fail(400, "InvalidParameterValueException", "only asynchronous invocations are emulated");
        }
        if (!/^AWS4-HMAC-SHA256 Credential=/.test(req.headers.authorization ?? "")) {
          return fail(403, "AccessDeniedException", "missing SigV4 signature");
        }
        const event: unknown = JSON.parse(body.toString("utf8"));
        // Lambda queues the event and answers at once; the function runs on its own.
        setImmediate(
          () =>
            void track(
              fn(event, lambdaContext()).catch(() => {
                emulator.asyncFailures++;
              }),
            ),
        );
        res.writeHead(202, { "x-amzn-requestid": randomUUID() }).end();
        return;
      }
      fail(404, "NotFoundException", "Not Found");
    });
  });
  server.on("upgrade", (req, socket, head) => void upgrade(req, socket, head, false));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  emulator.url = `ws://127.0.0.1:${port}/${stage}`;
  emulator.managementEndpoint = `http://127.0.0.1:${port}/${stage}`;
  emulator.lambdaEndpoint = `http://127.0.0.1:${port}`;
  return emulator;
}

/** Reads WebSocket frame headers off the raw client stream (payloads are skipped, not buffered). */
class FrameScanner {
  #pending = Buffer.alloc(0);
  #skip = 0;

  constructor(private readonly onFrame: (opcode: number, length: number) => void) {}

  feed(chunk: Buffer): void {
    let data = chunk;
    while (data.length > 0) {
      if (this.#skip > 0) {
        const n = Math.min(this.#skip, data.length);
        this.#skip -= n;
        data = data.subarray(n);
        continue;
      }
      const buffer = Buffer.concat([this.#pending, data]);
      const header = parseFrameHeader(buffer);
      if (!header) {
        this.#pending = buffer;
        return;
      }
      this.#pending = Buffer.alloc(0);
      this.onFrame(header.opcode, header.length);
      this.#skip = header.length;
      data = buffer.subarray(header.headerBytes);
    }
  }
}

function normalizeStatus(status: number): number {
  return Number.isInteger(status) && status >= 100 && status <= 599 ? status : 502;
}

function originalCaseHeaders(req: IncomingMessage): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i < req.rawHeaders.length; i += 2) {
    const name = req.rawHeaders[i]!;
    out[name] = out[name] === undefined ? req.rawHeaders[i + 1]! : `${out[name]},${req.rawHeaders[i + 1]}`;
  }
  return out;
}

function lowerCase(headers: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
}

function writeStatus(socket: Duplex, status: number): void {
  if (socket.destroyed) return;
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ""}\r\ncontent-length: 0\r\nconnection: close\r\n\r\n`,
  );
}
