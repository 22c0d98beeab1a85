// A local HTTP server standing in for CloudFront in front of a streaming (RESPONSE_STREAM) function
// URL: each request becomes a function URL event (payload 2.0, body base64) with the origin header
// CloudFront adds, the handler's HTTP prelude becomes the status line and headers, and the body is
// streamed to the client as the handler writes it. Upgrade requests go to `onUpgrade` (a front that
// routes WebSocket upgrades elsewhere, e.g. to the API Gateway emulator) or are refused with 404.
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { Duplex } from "node:stream";
import { Writable } from "node:stream";
import type { HttpPrelude } from "../../src/adapters/lambda/lambda-runtime.ts";
import { functionUrlEvent, lambdaContext } from "./lambda.ts";

export interface FunctionUrlServer {
  url: string;
  /** Every HTTP request (not upgrades) as it arrived. */
  requests: { at: number; method: string; path: string }[];
  close(): Promise<void>;
}

type StreamingEntry = (event: unknown, stream: Writable, context: unknown) => Promise<void>;

export async function startFunctionUrlServer(
  handler: unknown,
  options: {
    /** Headers added to every request (CloudFront's origin header). */
    originHeaders?: Record<string, string>;
    /** A CloudFront Function's source (cloudfront-js-2.0) run on each viewer request, as the distribution would. */
    viewerRequest?: string;
    onUpgrade?(req: IncomingMessage, socket: Duplex, head: Buffer): boolean;
  } = {},
): Promise<FunctionUrlServer> {
  const requests: FunctionUrlServer["requests"] = [];
  const server: Server = createServer((req, res) => {
    requests.push({
      at: Date.now(),
      method: req.method ?? "GET",
      path: new URL(req.url ?? "/", "http://x").pathname,
    });
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const url = new URL(req.url ?? "/", "http://x");
      let headers: Record<string, string> = {};
      for (const [name, value] of Object.entries(req.headers)) {
        if (value !== undefined && name !== "connection") {
          headers[name] = Array.isArray(value) ? value.join(",") : value;
        }
      }
      if (options.viewerRequest) headers = runViewerRequest(options.viewerRequest, req, headers);
      // The function URL sees its own Host, never the viewer's.
      delete headers.host;
      const body = Buffer.concat(chunks);
      const event = functionUrlEvent({
        method: req.method,
        path: url.pathname,
        query: url.search.slice(1),
        headers: { ...headers, ...options.originHeaders },
        body: body.length > 0 ? body : undefined,
        base64: body.length > 0,
      });
      const stream = new PreludeStream(
        (prelude) => {
          const head: Record<string, string | string[]> = { ...prelude.headers };
          if (prelude.cookies?.length) head["set-cookie"] = prelude.cookies;
          res.writeHead(prelude.statusCode, head);
          res.flushHeaders();
        },
        (chunk) => res.write(chunk),
      );
      res.on("close", () => {
        if (!stream.writableFinished) stream.destroy();
      });
      (handler as StreamingEntry)(event, stream, lambdaContext()).then(
        () => res.end(),
        () => res.destroy(),
      );
    });
  });
  server.on("upgrade", (req, socket, head) => {
    if (options.onUpgrade?.(req, socket, head)) return;
    socket.end("HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\nconnection: close\r\n\r\n");
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** The runtime's response stream: a JSON prelude, eight NUL bytes, then the body. */
class PreludeStream extends Writable {
  #head: Buffer | undefined = Buffer.alloc(0);

  constructor(
    private readonly onPrelude: (prelude: HttpPrelude) => void,
    private readonly onBody: (chunk: Buffer) => void,
  ) {
    super();
  }

  setContentType(_type: string): void {}

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    if (this.#head === undefined) {
      this.onBody(chunk);
      callback();
      return;
    }
    this.#head = Buffer.concat([this.#head, chunk]);
    const end = this.#head.indexOf(Buffer.alloc(8));
    if (end >= 0) {
      this.onPrelude(JSON.parse(this.#head.subarray(0, end).toString("utf8")) as HttpPrelude);
      const rest = this.#head.subarray(end + 8);
      this.#head = undefined;
      if (rest.length > 0) this.onBody(rest);
    }
    callback();
  }
}

/** Runs a CloudFront Function's `handler(event)` on one request; returns the headers it leaves. */
function runViewerRequest(
  code: string,
  req: IncomingMessage,
  headers: Record<string, string>,
): Record<string, string> {
  const handler = new Function(`${code}; return handler;`)() as (event: unknown) => {
    headers: Record<string, { value: string }>;
  };
  const request = handler({
    viewer: { ip: req.socket.remoteAddress },
    request: {
      method: req.method,
      uri: new URL(req.url ?? "/", "http://x").pathname,
      headers: Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, { value: v }])),
    },
  });
  return Object.fromEntries(Object.entries(request.headers).map(([k, v]) => [k, v.value]));
}
