// Backpressure through the relay on the local host, where the relay writes straight into the Node
// response: a client that stops reading holds the upstream back (the gateway buffers a bounded amount
// whatever the answer's size), reading again resumes the stream, and a client that leaves ends the
// upstream call. The upstream here is a plain server that writes only as fast as its socket drains.
import { createServer, type IncomingMessage, request, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createdEvent, formatSse } from "./fake-upstream/sse.ts";
import { NO_KEEPALIVE, TEXT_TURN_BODY, useTestGateway, waitFor } from "./helpers/gateway.ts";

const MB = 1024 * 1024;
/** Far more than any socket and stream buffers between the upstream and the client can hold. */
const ANSWER_BYTES = 512 * MB;
const delta = formatSse({
  type: "response.output_text.delta",
  item_id: "msg_1",
  output_index: 0,
  content_index: 0,
  delta: "x".repeat(16 * 1024),
});

interface UpstreamCall {
  written: number;
  closed: boolean;
}

let upstream: Server;
const calls: UpstreamCall[] = [];

beforeAll(async () => {
  upstream = createServer((req, res) => {
    if (req.method !== "POST" || !req.url?.endsWith("/codex/responses")) {
      res.writeHead(404).end();
      return;
    }
    req.resume();
    const call: UpstreamCall = { written: 0, closed: false };
    calls.push(call);
    res.on("close", () => {
      call.closed = true;
    });
    res.writeHead(200, { "content-type": "text/event-stream" });
    res.write(formatSse(createdEvent({ responseId: "resp_bp", model: "gpt-5.5", createdAt: 1 })));
    const pump = () => {
      while (!call.closed && call.written < ANSWER_BYTES) {
        call.written += delta.length;
        if (!res.write(delta)) {
          res.once("drain", pump);
          return;
        }
      }
    };
    pump();
  });
  await new Promise<void>((resolve) => upstream.listen(0, "127.0.0.1", resolve));
});
// (Registered first, so it runs after the gateway has stopped.)
afterAll(async () => {
  upstream?.closeAllConnections();
  await new Promise((resolve) => upstream?.close(resolve));
});

const { gw, seeded } = useTestGateway({
  env: () => ({
    CODEX_UPSTREAM_BASE_URL: `http://127.0.0.1:${(upstream.address() as AddressInfo).port}/backend-api`,
    ...NO_KEEPALIVE,
  }),
  seed: { accounts: 1 },
});

/** Opens the stream and hands back the response once its first bytes arrived. */
function open(): Promise<IncomingMessage> {
  const url = new URL(`${gw.url}/backend-api/codex/responses`);
  return new Promise((resolve, reject) => {
    const req = request(url, {
      method: "POST",
      headers: {
        authorization: `Bearer ${seeded.key}`,
        "content-type": "application/json",
        accept: "text/event-stream",
      },
    });
    req.on("error", reject);
    req.on("response", (res) => {
      res.once("data", () => {
        res.pause();
        resolve(res);
      });
    });
    req.end(JSON.stringify(TEXT_TURN_BODY));
  });
}

/** Waits until the upstream has written nothing more for a while, and returns how much it wrote. */
async function plateau(call: UpstreamCall): Promise<number> {
  let last = -1;
  return waitFor(async () => {
    if (call.written === last) return last;
    last = call.written;
    await new Promise((r) => setTimeout(r, 300));
    return undefined;
  }, 10_000);
}

describe("relay backpressure", () => {
  it("holds the upstream back while the client does not read, and resumes when it reads again", async () => {
    const res = await open();
    expect(res.statusCode).toBe(200);
    const call = calls.at(-1) as UpstreamCall;
    const held = await plateau(call);
    // Socket buffers on loopback and a few stream buffers; without backpressure the gateway would
    // take the whole 512 MB answer into memory within a second.
    expect(held).toBeLessThan(64 * MB);
    expect(call.closed).toBe(false);

    // Reading again lets the upstream write more.
    let received = 0;
    res.on("data", (chunk: Buffer) => {
      received += chunk.length;
    });
    res.resume();
    await waitFor(() => call.written > held + 16 * MB);
    expect(received).toBeGreaterThan(0);

    // Leaving ends the upstream call and is logged as the client's doing.
    res.destroy();
    await waitFor(() => call.closed);
    const log = await gw.requestLog(
      seeded.keyId,
      (l: { errorCode?: string }) => l.errorCode === "client_closed",
    );
    expect(log).toMatchObject({ status: 499, route: "/backend-api/codex/responses" });
  });
});
