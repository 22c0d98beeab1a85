// A raw TCP front for the fake upstream (node:net, no HTTP server): it reads each request itself and
// either answers with whatever bytes a test's rule returns (status lines node:http would refuse to
// write — `HTTP/1.1 600 Weird`, `000`, control bytes in the reason phrase — broken headers, a cut
// mid-headers) or forwards the request to the fake upstream. Every connection carries one request
// and is closed after its answer, so no later request on a kept-alive socket slips past the rules.
import { connect, createServer, type Socket } from "node:net";

export interface HostileRequest {
  method: string;
  /** Path and query as sent, e.g. `/backend-api/codex/responses`. */
  path: string;
  /** Lower-cased names; repeated headers joined with `, `. */
  headers: Record<string, string>;
  body: Buffer;
}

/**
 * Bytes to answer with (a string is written as latin-1, one byte per char), then the connection is
 * closed — or held open after them (`hold`) until the gateway lets go; undefined forwards.
 */
export type HostileRule = (
  req: HostileRequest,
) => Buffer | string | { bytes: Buffer | string; hold: true } | undefined;

export interface HostileUpstream {
  url: string;
  upstreamBaseUrl: string;
  authBaseUrl: string;
  /** Where forwarded requests go: the fake upstream's `url` (set once the fake is up). */
  target: string;
  rule: HostileRule | undefined;
  /** Requests answered by the rule, oldest first. */
  answered: HostileRequest[];
  close(): Promise<void>;
}

/** One raw HTTP/1.1 answer: `HTTP/1.1 <status> <reason>`, the headers, then the body. */
export function rawAnswer(
  status: string,
  reason: string,
  body = "",
  headers: Record<string, string> = { "content-type": "application/json" },
): Buffer {
  const lines = [`HTTP/1.1 ${status} ${reason}`];
  for (const [name, value] of Object.entries(headers)) lines.push(`${name}: ${value}`);
  lines.push(`content-length: ${Buffer.byteLength(body)}`, "connection: close", "", "");
  return Buffer.concat([Buffer.from(lines.join("\r\n"), "latin1"), Buffer.from(body)]);
}

const HEAD_END = Buffer.from("\r\n\r\n");
const CHUNKED_END = Buffer.from("\r\n0\r\n\r\n");

/** Splits a buffered request once it is whole; undefined while more bytes are due. */
function parseRequest(buffer: Buffer): { req: HostileRequest; head: string; bodyStart: number } | undefined {
  const headEnd = buffer.indexOf(HEAD_END);
  if (headEnd < 0) return undefined;
  const head = buffer.subarray(0, headEnd).toString("latin1");
  const [requestLine = "", ...lines] = head.split("\r\n");
  const [method = "", path = ""] = requestLine.split(" ");
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(":");
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    headers[name] = headers[name] === undefined ? value : `${headers[name]}, ${value}`;
  }
  const bodyStart = headEnd + HEAD_END.length;
  let bodyEnd: number;
  if (headers["transfer-encoding"]?.toLowerCase().includes("chunked")) {
    const end = buffer.indexOf(CHUNKED_END, bodyStart - 2);
    if (end < 0) return undefined;
    bodyEnd = end + CHUNKED_END.length;
  } else {
    bodyEnd = bodyStart + Number(headers["content-length"] ?? 0);
    if (buffer.length < bodyEnd) return undefined;
  }
  return { req: { method, path, headers, body: buffer.subarray(bodyStart, bodyEnd) }, head, bodyStart };
}

function forward(client: Socket, target: string, head: string, raw: Buffer): void {
  const { hostname, port } = new URL(target);
  // A WebSocket upgrade keeps its connection (it becomes the tunnel); anything else is one request.
  const upgrade = /^connection\s*:.*upgrade/im.test(head);
  const lines = upgrade
    ? head.split("\r\n")
    : head.split("\r\n").filter((line) => !/^connection\s*:/i.test(line));
  if (!upgrade) lines.push("connection: close");
  const upstream = connect(Number(port), hostname);
  upstream.on("error", () => client.destroy());
  client.on("close", () => upstream.destroy());
  upstream.write(`${lines.join("\r\n")}\r\n\r\n`, "latin1");
  upstream.write(raw);
  client.resume();
  upstream.pipe(client);
  if (upgrade) client.pipe(upstream);
}

export async function startHostileUpstream(): Promise<HostileUpstream> {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    socket.on("error", () => undefined);
    let buffer = Buffer.alloc(0);
    const onData = (chunk: Buffer) => {
      buffer = Buffer.concat([buffer, chunk]);
      const parsed = parseRequest(buffer);
      if (!parsed) return;
      socket.off("data", onData);
      socket.pause();
      const answer = hostile.rule?.(parsed.req);
      if (answer === undefined) {
        forward(socket, hostile.target, parsed.head, buffer.subarray(parsed.bodyStart));
        return;
      }
      hostile.answered.push(parsed.req);
      const hold = typeof answer === "object" && "hold" in answer;
      const bytes = hold ? answer.bytes : answer;
      const raw = typeof bytes === "string" ? Buffer.from(bytes, "latin1") : bytes;
      if (hold) socket.write(raw);
      else socket.end(raw);
    };
    socket.on("data", onData);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  const url = `http://127.0.0.1:${port}`;
  const hostile: HostileUpstream = {
    url,
    upstreamBaseUrl: `${url}/backend-api`,
    authBaseUrl: url,
    target: "",
    rule: undefined,
    answered: [],
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  return hostile;
}
