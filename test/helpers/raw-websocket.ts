// A WebSocket client on a bare TCP socket: a real handshake, then any bytes at all (frames no library
// would write: unmasked, reserved opcodes or RSV bits, invalid UTF-8, lying lengths). It reads back
// the server's frames and its close code, so tests can see how the gateway answered.
import { randomBytes } from "node:crypto";
import { connect, type Socket } from "node:net";

export interface RawFrame {
  fin?: boolean;
  /** The three RSV bits, 0–7. */
  rsv?: number;
  opcode: number;
  masked?: boolean;
  payload: Uint8Array;
  /** A declared length other than the payload's (the payload bytes are still written). */
  declaredLength?: number;
}

/** The frame's bytes as a client writes them (masked unless told otherwise). */
export function encodeFrame(frame: RawFrame): Buffer {
  const masked = frame.masked ?? true;
  const length = frame.declaredLength ?? frame.payload.length;
  const head: number[] = [((frame.fin ?? true) ? 0x80 : 0) | ((frame.rsv ?? 0) << 4) | (frame.opcode & 0x0f)];
  const maskBit = masked ? 0x80 : 0;
  let extended: Buffer;
  if (length < 126) {
    head.push(maskBit | length);
    extended = Buffer.alloc(0);
  } else if (length < 65536) {
    head.push(maskBit | 126);
    extended = Buffer.alloc(2);
    extended.writeUInt16BE(length);
  } else {
    head.push(maskBit | 127);
    extended = Buffer.alloc(8);
    extended.writeBigUInt64BE(BigInt(length));
  }
  const payload = Buffer.from(frame.payload);
  if (!masked) return Buffer.concat([Buffer.from(head), extended, payload]);
  const mask = randomBytes(4);
  for (let i = 0; i < payload.length; i++) payload[i] = (payload[i] as number) ^ (mask[i % 4] as number);
  return Buffer.concat([Buffer.from(head), extended, mask, payload]);
}

/** A close frame's payload: the code, then a reason. */
export function closePayload(code: number, reason = ""): Uint8Array {
  const buffer = Buffer.alloc(2 + Buffer.byteLength(reason));
  buffer.writeUInt16BE(code);
  buffer.write(reason, 2);
  return buffer;
}

export interface RawWebSocket {
  socket: Socket;
  /** Text frames the server sent. */
  texts: string[];
  /** The code of the server's close frame, once one arrived (1005 when it had none). */
  closeCode?: number;
  /** Resolves when the TCP connection has ended. */
  ended: Promise<void>;
  write(bytes: Uint8Array): void;
  sendText(text: string): void;
}

/** Opens `path` with a real handshake (no extensions), resolving once the 101 arrived. */
export function openRawWebSocket(
  baseUrl: string,
  path: string,
  headers: Record<string, string>,
): Promise<RawWebSocket> {
  const url = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(url.port), url.hostname);
    socket.setNoDelay(true);
    let buffer: Buffer = Buffer.alloc(0);
    let upgraded = false;
    let endedResolve: () => void = () => undefined;
    const raw: RawWebSocket = {
      socket,
      texts: [],
      ended: new Promise<void>((r) => {
        endedResolve = r;
      }),
      write: (bytes) => {
        if (!socket.destroyed) socket.write(bytes);
      },
      sendText: (text) => raw.write(encodeFrame({ opcode: 1, payload: Buffer.from(text) })),
    };
    socket.on("error", () => undefined);
    socket.on("close", () => {
      endedResolve();
      if (!upgraded)
        reject(new Error(`closed before the handshake: ${buffer.toString("latin1").slice(0, 300)}`));
    });
    socket.on("data", (chunk: Buffer) => {
      buffer = Buffer.concat([buffer, chunk]);
      if (!upgraded) {
        const end = buffer.indexOf("\r\n\r\n");
        if (end < 0) return;
        const head = buffer.subarray(0, end).toString("latin1");
        if (!head.startsWith("HTTP/1.1 101")) {
          socket.destroy();
          reject(new Error(`handshake refused: ${head.split("\r\n")[0]}`));
          return;
        }
        upgraded = true;
        buffer = buffer.subarray(end + 4);
        resolve(raw);
      }
      buffer = readFrames(buffer, raw);
    });
    const lines = [
      `GET ${path} HTTP/1.1`,
      `Host: ${url.host}`,
      "Upgrade: websocket",
      "Connection: Upgrade",
      `Sec-WebSocket-Key: ${randomBytes(16).toString("base64")}`,
      "Sec-WebSocket-Version: 13",
      ...Object.entries(headers).map(([name, value]) => `${name}: ${value}`),
    ];
    socket.write(`${lines.join("\r\n")}\r\n\r\n`);
  });
}

/** Takes every whole server frame off the front of `buffer`; returns what is left. */
function readFrames(buffer: Buffer, raw: RawWebSocket): Buffer {
  let rest = buffer;
  for (let header = parseFrameHeader(rest); header; header = parseFrameHeader(rest)) {
    const end = header.headerBytes + header.length;
    if (rest.length < end) return rest;
    const payload = rest.subarray(header.headerBytes, end);
    if (header.opcode === 1) raw.texts.push(payload.toString("utf8"));
    if (header.opcode === 8) raw.closeCode ??= payload.length >= 2 ? payload.readUInt16BE(0) : 1005;
    rest = rest.subarray(end);
  }
  return rest;
}

/** A frame's opcode, payload length and header size, once the whole header is in `buffer`. */
export function parseFrameHeader(
  buffer: Buffer,
): { opcode: number; length: number; headerBytes: number } | undefined {
  if (buffer.length < 2) return undefined;
  const opcode = buffer[0]! & 0x0f;
  const masked = (buffer[1]! & 0x80) !== 0;
  let length = buffer[1]! & 0x7f;
  let offset = 2;
  if (length === 126) {
    if (buffer.length < 4) return undefined;
    length = buffer.readUInt16BE(2);
    offset = 4;
  } else if (length === 127) {
    if (buffer.length < 10) return undefined;
    length = Number(buffer.readBigUInt64BE(2));
    offset = 10;
  }
  if (masked) offset += 4;
  if (buffer.length < offset) return undefined;
  return { opcode, length, headerBytes: offset };
}
