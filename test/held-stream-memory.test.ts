// What an open stream keeps: once a Codex stream has committed, nothing replays its request, so the
// request body (a long conversation's whole history) must not stay reachable while the upstream
// keeps the stream open. Measured through the process's live ArrayBuffer bytes after a collection
// (the request body reaches the relay as bytes).
import http from "node:http";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestGateway, TEXT_TURN_BODY, type TestGateway } from "./helpers/gateway.ts";

setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc") as () => void;

async function liveArrayBufferBytes(): Promise<number> {
  for (let i = 0; i < 3; i++) {
    gc();
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return process.memoryUsage().arrayBuffers;
}

describe("held streams", () => {
  let gw: TestGateway;
  let key: string;
  beforeAll(async () => {
    gw = await startTestGateway({
      POOLER_ADMISSION_PROXY_STREAM: "1000,0,1000",
      POOLER_ADMISSION_PROXY_HTTP: "1000,0,1000",
    });
    const seeded = await gw.seed({ accounts: 1 });
    key = seeded.key;
    for (const a of seeded.accounts)
      gw.fake.setDefaultBehavior(a.accountId, { kind: "text", pauseAfterEvent: 2 });
  });
  afterAll(async () => {
    await gw?.stop();
  });

  it("do not keep their request bodies once the answer has started", async () => {
    const STREAMS = 8;
    const BODY_BYTES = 2 * 1024 * 1024;
    const body = JSON.stringify({
      ...TEXT_TURN_BODY,
      input: [
        { type: "message", role: "user", content: [{ type: "input_text", text: "x".repeat(BODY_BYTES) }] },
      ],
    });
    const before = await liveArrayBufferBytes();
    const url = new URL(`${gw.url}/backend-api/codex/responses`);
    const held = await Promise.all(
      Array.from(
        { length: STREAMS },
        () =>
          new Promise<http.IncomingMessage>((resolve, reject) => {
            const req = http.request(
              url,
              {
                method: "POST",
                agent: false,
                headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
              },
              (res) => res.once("data", () => resolve(res)),
            );
            req.on("error", reject);
            req.end(body);
          }),
      ),
    );
    expect(held.map((res) => res.statusCode)).toEqual(Array(STREAMS).fill(200));
    const grown = (await liveArrayBufferBytes()) - before;
    gw.fake.releasePaused();
    await Promise.all(held.map((res) => new Promise((resolve) => res.resume().once("end", resolve))));
    // The fake upstream (in this process) keeps its own copy of each body while it holds the stream;
    // the gateway must not keep another (a copy each was 2 MB × 8 more).
    expect(grown).toBeLessThan(STREAMS * BODY_BYTES * 1.5);
  });
});
