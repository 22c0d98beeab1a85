// No client can take the shared gateway down (issue 16): raw WebSocket frames no library would send,
// written over a bare TCP socket after a real handshake, close that one socket with the right code
// while another stream on the same process finishes.
import { createHash, randomBytes } from "node:crypto";
import { createServer, type IncomingMessage } from "node:http";
import { type AddressInfo, connect } from "node:net";
import type { Duplex } from "node:stream";
import fc from "fast-check";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { loadConfig } from "../src/server/config.ts";
import { startFakeUpstream } from "./fake-upstream/index.ts";
import {
  readSse,
  type Seeded,
  startTestGateway,
  TEXT_TURN_BODY,
  type TestGateway,
  waitFor,
} from "./helpers/gateway.ts";
import { closePayload, encodeFrame, openRawWebSocket, type RawFrame } from "./helpers/raw-websocket.ts";

const PATH = "/backend-api/codex/responses";
let gw: TestGateway;
let seeded: Seeded;
/** Errors nothing handled: in a gateway process each of these would have ended it. */
const uncaught: unknown[] = [];
const onUncaught = (error: unknown) => uncaught.push(error);

beforeAll(async () => {
  process.on("uncaughtException", onUncaught);
  gw = await startTestGateway({ POOLER_SSE_KEEPALIVE_MS: "0" });
  seeded = await gw.seed({ accounts: 2 });
}, 60_000);

afterEach(() => {
  expect(uncaught.splice(0).map((e) => (e as { code?: string }).code ?? String(e))).toEqual([]);
});

afterAll(async () => {
  process.off("uncaughtException", onUncaught);
  gw?.fake.releasePaused();
  await gw?.stop();
});

const openRaw = () => openRawWebSocket(gw.url, PATH, { Authorization: `Bearer ${seeded.key}` });

/** A normal client's turn, slowed down so it is still streaming while the hostile frames arrive. */
function slowTurn(): Promise<string> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${gw.url.replace("http", "ws")}${PATH}`, {
      headers: { authorization: `Bearer ${seeded.key}` },
    });
    ws.once("error", reject);
    ws.once("close", (code) => reject(new Error(`closed with ${code} before the turn ended`)));
    ws.on("message", (data) => {
      const event = JSON.parse(data.toString());
      if (event.type === "response.completed" || event.type === "error") {
        ws.removeAllListeners("close");
        ws.close();
        resolve(event.type);
      }
    });
    ws.once("open", () => ws.send(JSON.stringify({ type: "response.create", ...TEXT_TURN_BODY })));
  });
}

const text = (payload: number[] | string): Uint8Array =>
  typeof payload === "string" ? Buffer.from(payload) : Uint8Array.from(payload);

describe("hostile WebSocket frames from the client", () => {
  const cases: [string, RawFrame, number][] = [
    ["a text frame with invalid UTF-8", { opcode: 1, payload: text([0x7b, 0xff, 0xfe, 0x7d]) }, 1007],
    ["an unmasked client frame", { opcode: 1, masked: false, payload: text("{}") }, 1002],
    ["a reserved opcode (0x3)", { opcode: 3, payload: text("{}") }, 1002],
    ["a close code of 999", { opcode: 8, payload: closePayload(999) }, 1002],
    ["RSV1 without negotiated compression", { opcode: 1, rsv: 4, payload: text("{}") }, 1002],
    [
      "a message over the size limit",
      { opcode: 1, payload: text("{"), declaredLength: 64 * 1024 * 1024 + 1 },
      1009,
    ],
    [
      "a close reason with invalid UTF-8",
      { opcode: 8, payload: Buffer.concat([closePayload(1000), Buffer.from([0xff])]) },
      1007,
    ],
    ["a fragmented control frame", { opcode: 9, fin: false, payload: text("x") }, 1002],
    ["a continuation with nothing to continue", { opcode: 0, payload: text("x") }, 1002],
  ];

  for (const [name, frame, code] of cases) {
    it(`${name}: that socket closes with ${code}, another stream finishes`, async () => {
      for (const a of seeded.accounts)
        gw.fake.setDefaultBehavior(a.accountId, { kind: "text", delayMsBetweenEvents: 20 });
      const other = slowTurn();
      const raw = await openRaw();
      raw.write(encodeFrame(frame));
      await raw.ended;
      expect(raw.closeCode).toBe(code);
      expect(await other).toBe("response.completed");
    });
  }

  it("with compression negotiated, a compressed message that does not inflate closes with 1007", async () => {
    const raw = await openRawWebSocket(gw.url, PATH, {
      Authorization: `Bearer ${seeded.key}`,
      "Sec-WebSocket-Extensions": "permessage-deflate",
    });
    raw.write(encodeFrame({ opcode: 1, rsv: 4, payload: text([0xff, 0xfe, 0xfd, 0xfc, 0x00, 0x01]) }));
    await raw.ended;
    expect(raw.closeCode).toBe(1007);
  });

  it("a bad frame in the middle of a turn: the turn is logged, the process keeps serving", async () => {
    const mine = await gw.seed({ accounts: 1 });
    gw.fake.setDefaultBehavior(mine.accounts[0]!.accountId, { kind: "text", delayMsBetweenEvents: 50 });
    const raw = await openRawWebSocket(gw.url, PATH, { Authorization: `Bearer ${mine.key}` });
    raw.sendText(JSON.stringify({ type: "response.create", ...TEXT_TURN_BODY }));
    await waitFor(() => raw.texts.length > 0);
    raw.write(encodeFrame({ opcode: 1, payload: text([0x7b, 0xff, 0xfe, 0x7d]) }));
    await raw.ended;
    expect(raw.closeCode).toBe(1007);
    const row = await waitFor(async () => {
      const rows = (await gw.admin("GET", `/request-logs?key=${mine.keyId}`)).body.data as Record<
        string,
        any
      >[];
      return rows[0];
    });
    expect(row).toMatchObject({ transport: "websocket", errorCode: "websocket_protocol_error" });
  });

  it("arbitrary raw frames never crash the process (property)", async () => {
    for (const a of seeded.accounts) gw.fake.setDefaultBehavior(a.accountId, { kind: "text" });
    const frame = fc.record({
      fin: fc.boolean(),
      rsv: fc.integer({ min: 0, max: 7 }),
      opcode: fc.integer({ min: 0, max: 15 }),
      masked: fc.boolean(),
      payload: fc.oneof(
        fc.uint8Array({ maxLength: 200 }),
        fc.integer({ min: 0, max: 5000 }).map((n) => closePayload(n)),
        fc.string({ maxLength: 100 }).map((s) => Buffer.from(s)),
      ),
      declaredLength: fc.option(
        fc.oneof(
          fc.integer({ min: 0, max: 300 }),
          fc.constantFrom(125, 126, 65535, 65536, 2 ** 32, 2 ** 53 - 1),
        ),
        { nil: undefined },
      ),
    });
    const other = slowTurn();
    await fc.assert(
      fc.asyncProperty(
        fc.array(frame, { minLength: 1, maxLength: 3 }),
        fc.boolean(),
        async (frames, deflate) => {
          // With permessage-deflate negotiated, RSV1 frames are inflated (or fail to).
          const raw = await openRawWebSocket(gw.url, PATH, {
            Authorization: `Bearer ${seeded.key}`,
            ...(deflate ? { "Sec-WebSocket-Extensions": "permessage-deflate" } : {}),
          });
          for (const f of frames) raw.write(encodeFrame(f));
          // Either the gateway closes it (a protocol error) or it is still open and serving: end it.
          const settled = await Promise.race([raw.ended.then(() => true), sleep(150).then(() => false)]);
          if (!settled) raw.socket.destroy();
          if (raw.closeCode !== undefined) expect([1000, 1002, 1007, 1008, 1009]).toContain(raw.closeCode);
        },
      ),
      { numRuns: 150 },
    );
    expect(await other).toBe("response.completed");
    // And a fresh turn on a fresh socket.
    expect(await slowTurn()).toBe("response.completed");
  });
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Writes `head` on a fresh TCP connection, then one byte every `everyMs` if given, until the server
 * closes it (or 8 s pass, far beyond any limit under test): what it answered and how long it took.
 */
function talk(baseUrl: string, head: string, everyMs?: number): Promise<{ answer: string; ms: number }> {
  const url = new URL(baseUrl);
  const started = Date.now();
  return new Promise((resolve) => {
    const socket = connect(Number(url.port), url.hostname);
    let answer = "";
    socket.on("data", (chunk) => {
      answer += chunk.toString("latin1");
    });
    socket.on("error", () => undefined);
    const timer = everyMs ? setInterval(() => socket.write(" "), everyMs) : undefined;
    setTimeout(() => socket.destroy(), 8_000).unref();
    socket.on("close", () => {
      clearInterval(timer);
      resolve({ answer, ms: Date.now() - started });
    });
    socket.write(head);
  });
}

describe("gateway-made errors that were not the gateway's", () => {
  it("an invalid Host with an Upgrade header gets 400, not 500", async () => {
    for (const path of ["/healthz", "/v1/models", PATH]) {
      const { answer } = await talk(
        gw.url,
        `GET ${path} HTTP/1.1\r\nHost: a b\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${"A".repeat(22)}==\r\nSec-WebSocket-Version: 13\r\nAuthorization: Bearer ${seeded.key}\r\n\r\n`,
      );
      expect(answer.split("\r\n")[0], path).toMatch(/^HTTP\/1\.1 400 /);
      const body = JSON.parse(answer.slice(answer.indexOf("\r\n\r\n") + 4));
      expect(body.error, path).toMatchObject({ type: "invalid_request_error", code: "invalid_request" });
    }
    expect(gw.logLines.filter((line) => line.includes("upgrade failed"))).toEqual([]);
  });

  it("a client that leaves mid-body is a client abort, not an error", async () => {
    const url = new URL(gw.url);
    const before = gw.logLines.length;
    const routes = ["/v1/chat/completions", "/backend-api/codex/responses", "/v1/responses"];
    await Promise.all(
      Array.from({ length: 30 }, (_, i) => {
        const socket = connect(Number(url.port), url.hostname);
        socket.on("error", () => undefined);
        socket.write(
          `POST ${routes[i % routes.length]} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${seeded.key}\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{"model":`,
        );
        return sleep(100).then(() => {
          socket.destroy();
          return sleep(100);
        });
      }),
    );
    await sleep(300);
    const errors = gw.logLines.slice(before).filter((line) => JSON.parse(line).m === "unhandled error");
    expect(errors).toEqual([]);
  });
});

describe("request timeouts (POOLER_REQUEST_TIMEOUT_MS, POOLER_HEADERS_TIMEOUT_MS)", () => {
  let slow: TestGateway;
  let key: string;
  beforeAll(async () => {
    slow = await startTestGateway({ POOLER_REQUEST_TIMEOUT_MS: "1500", POOLER_HEADERS_TIMEOUT_MS: "1000" });
    key = (await slow.seed({ accounts: 1 })).key;
  }, 60_000);
  afterAll(async () => {
    await slow?.stop();
  });

  it("a body that does not arrive in time gets 408 and its connection is freed", async () => {
    const head = `POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${key}\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{`;
    const results = await Promise.all(Array.from({ length: 20 }, () => talk(slow.url, head, 200)));
    for (const { answer, ms } of results) {
      expect(answer.split("\r\n")[0]).toBe("HTTP/1.1 408 Request Timeout");
      const body = JSON.parse(answer.slice(answer.indexOf("\r\n\r\n") + 4));
      expect(body.error).toMatchObject({ code: "request_timeout", type: "invalid_request_error" });
      expect(ms).toBeLessThan(10_000);
    }
    // Counted as clients that left, not logged as the gateway failing.
    expect(slow.logLines.filter((line) => JSON.parse(line).m === "unhandled error")).toEqual([]);
  });

  it("headers that do not arrive in time get 408 too", async () => {
    const { answer } = await talk(slow.url, "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nX-Slow: ", 200);
    expect(answer.split("\r\n")[0]).toBe("HTTP/1.1 408 Request Timeout");
  });

  it("a long SSE turn is not cut once its request has arrived", async () => {
    const account = (await slow.seed({ accounts: 1 })) as Seeded;
    slow.fake.setDefaultBehavior(account.accounts[0]!.accountId, { kind: "text", delayMsBetweenEvents: 400 });
    const started = Date.now();
    const response = await fetch(`${slow.url}/backend-api/codex/responses`, {
      method: "POST",
      headers: { authorization: `Bearer ${account.key}`, "content-type": "application/json" },
      body: JSON.stringify(TEXT_TURN_BODY),
    });
    expect(response.status).toBe(200);
    const events = await readSse(response);
    expect(Date.now() - started).toBeGreaterThan(3_000);
    expect(events.at(-1)?.type).toBe("response.completed");
  });

  it("an open WebSocket outlives both limits and still serves a turn", async () => {
    const ws = new WebSocket(`${slow.url.replace("http", "ws")}${PATH}`, {
      headers: { authorization: `Bearer ${key}` },
    });
    await new Promise((resolve, reject) => {
      ws.once("open", resolve);
      ws.once("error", reject);
    });
    await sleep(2_500);
    const done = new Promise<string>((resolve) => {
      ws.on("message", (data) => {
        const event = JSON.parse(data.toString());
        if (event.type === "response.completed" || event.type === "error") resolve(event.type);
      });
    });
    ws.send(JSON.stringify({ type: "response.create", ...TEXT_TURN_BODY }));
    expect(await done).toBe("response.completed");
    ws.close();
  });
});

describe("timeout configuration", () => {
  it("refuses a headers timeout longer than the request timeout at start", () => {
    expect(() =>
      loadConfig({ POOLER_HEADERS_TIMEOUT_MS: "5000", POOLER_REQUEST_TIMEOUT_MS: "2000" }),
    ).toThrow(/POOLER_HEADERS_TIMEOUT_MS must not be larger than POOLER_REQUEST_TIMEOUT_MS/);
    expect(loadConfig({})).toMatchObject({ requestTimeoutMs: 120_000, headersTimeoutMs: 30_000 });
  });
});

/** An upstream whose WebSocket answers a turn with a few good frames and then `bad` (raw bytes). */
async function startHostileUpstream(fakeBase: string) {
  const state: { bad: Buffer; committed: boolean } = { bad: Buffer.alloc(0), committed: false };
  const server = createServer(async (req, res) => {
    // Everything but the WebSocket goes to the fake upstream (usage, models, …).
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const headers = new Headers();
    for (const [name, value] of Object.entries(req.headers)) {
      if (value !== undefined && !["host", "connection", "content-length"].includes(name))
        headers.set(name, Array.isArray(value) ? value.join(", ") : value);
    }
    const answer = await fetch(`${fakeBase}${req.url}`, {
      method: req.method,
      headers,
      body: chunks.length > 0 ? Buffer.concat(chunks) : undefined,
    });
    res.writeHead(answer.status, { "content-type": answer.headers.get("content-type") ?? "text/plain" });
    res.end(Buffer.from(await answer.arrayBuffer()));
  });
  server.on("upgrade", (req: IncomingMessage, socket: Duplex) => {
    socket.on("error", () => undefined);
    const accept = createHash("sha1")
      .update(`${req.headers["sec-websocket-key"]}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`)
      .digest("base64");
    socket.write(
      `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`,
    );
    const frame = (event: unknown) =>
      encodeFrame({ opcode: 1, masked: false, payload: Buffer.from(JSON.stringify(event)) });
    let answered = false;
    socket.on("data", () => {
      if (answered) return;
      answered = true;
      const id = `resp_${randomBytes(4).toString("hex")}`;
      socket.write(frame({ type: "response.created", response: { id, status: "in_progress", output: [] } }));
      if (state.committed) {
        socket.write(
          frame({
            type: "response.output_text.delta",
            item_id: "m",
            output_index: 0,
            content_index: 0,
            delta: "Hi",
          }),
        );
      }
      socket.write(state.bad);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    state,
    baseUrl: `http://127.0.0.1:${port}/backend-api`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

describe("hostile WebSocket frames from the upstream", () => {
  let hostile: Awaited<ReturnType<typeof startHostileUpstream>>;
  let local: TestGateway;
  beforeAll(async () => {
    // The gateway's upstream is the hostile server, which hands everything but WebSockets to a fake.
    const fake = await startFakeUpstream();
    hostile = await startHostileUpstream(fake.upstreamBaseUrl.replace(/\/backend-api$/, ""));
    local = await startTestGateway({ CODEX_UPSTREAM_BASE_URL: hostile.baseUrl });
    afterAll(async () => {
      await local?.stop();
      await hostile?.close();
      await fake.close();
    });
  }, 60_000);

  const cases: [string, RawFrame][] = [
    ["invalid UTF-8", { opcode: 1, masked: false, payload: text([0x7b, 0xff, 0xfe, 0x7d]) }],
    ["a masked server frame", { opcode: 1, masked: true, payload: text("{}") }],
    ["a reserved opcode", { opcode: 0xb, masked: false, payload: text("x") }],
    ["RSV2 set", { opcode: 1, rsv: 2, masked: false, payload: text("{}") }],
    ["a close code of 999", { opcode: 8, masked: false, payload: closePayload(999) }],
    ["a message over the limit", { opcode: 1, masked: false, payload: text("{"), declaredLength: 2 ** 40 }],
  ];
  for (const [name, bad] of cases) {
    for (const committed of [false, true]) {
      it(`${name} ${committed ? "after output" : "before any output"}: the client gets an answer, the process stays up`, async () => {
        hostile.state.bad = encodeFrame(bad);
        hostile.state.committed = committed;
        // Fresh accounts: the failures below count against the ones they happen on.
        const { key } = await local.seed({ accounts: 2 });
        const ws = new WebSocket(`${local.url.replace("http", "ws")}${PATH}`, {
          headers: { authorization: `Bearer ${key}` },
        });
        await new Promise((resolve, reject) => {
          ws.once("open", resolve);
          ws.once("error", reject);
        });
        const frames: any[] = [];
        ws.on("message", (data) => frames.push(JSON.parse(data.toString())));
        const closed = new Promise<number>((resolve) => ws.once("close", (code) => resolve(code)));
        ws.send(JSON.stringify({ type: "response.create", ...TEXT_TURN_BODY }));
        if (committed) {
          // Output already reached the client: nothing can be replayed, the socket closes with 1011.
          // At once, not when the upstream gets round to closing its end (it never does here).
          expect(await Promise.race([closed, sleep(10_000).then(() => "still open")])).toBe(1011);
          expect(frames.some((f) => f.type === "response.output_text.delta")).toBe(true);
        } else {
          // Nothing reached the client: every account is tried, then one error event.
          await waitFor(() => frames.some((f) => f.type === "error"), 10_000);
          ws.close();
        }
      });
    }
  }
});
