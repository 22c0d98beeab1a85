// The local host's upstream transport hands back Responses whose web body is built only when someone
// reads it that way (the relay takes the socket's bytes directly). Whichever way a body is read, it
// must behave like fetch's: whole, once, `bodyUsed` telling the truth, clones independent, and a
// body taken the direct way no longer readable as a web stream.
import { createServer, type Server } from "node:http";
import { type AddressInfo, createServer as createNetServer } from "node:net";
import { gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { nodeHttpFetch } from "../src/adapters/http/node-http-fetch.ts";
import { bodyReader } from "../src/core/relay/chunk-source.ts";

const BIG = "0123456789abcdef".repeat(64 * 1024); // 1 MiB, many socket reads

describe("nodeHttpFetch responses", () => {
  let server: Server;
  let base: string;

  beforeAll(async () => {
    server = createServer((req, res) => {
      if (req.url === "/json") {
        res.writeHead(200, { "content-type": "application/json" });
        res.end(JSON.stringify({ hello: "world" }));
      } else if (req.url === "/big") {
        res.writeHead(200, { "content-type": "text/plain" });
        // Several writes, so the body arrives in pieces.
        for (let i = 0; i < 16; i++) res.write(BIG.slice((i * BIG.length) / 16, ((i + 1) * BIG.length) / 16));
        res.end();
      } else if (req.url === "/gzip") {
        res.writeHead(200, { "content-type": "text/plain", "content-encoding": "gzip" });
        res.end(gzipSync("decoded text"));
      } else if (req.url === "/gzip-capitalised") {
        // Header names are case-insensitive: the raw lines keep the sender's spelling.
        res.writeHead(200, { "Content-Type": "text/plain", "Content-Encoding": "GZIP" });
        res.end(gzipSync("decoded too"));
      } else {
        res.writeHead(204);
        res.end();
      }
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it("reads a body whole, once, by any method", async () => {
    const json = await nodeHttpFetch(`${base}/json`);
    expect(json).toBeInstanceOf(Response);
    expect(json.bodyUsed).toBe(false);
    expect(await json.json()).toEqual({ hello: "world" });
    expect(json.bodyUsed).toBe(true);
    await expect(json.text()).rejects.toThrow(TypeError);

    expect(await (await nodeHttpFetch(`${base}/big`)).text()).toBe(BIG);
    expect(Buffer.from(await (await nodeHttpFetch(`${base}/big`)).arrayBuffer()).toString()).toBe(BIG);
    expect(Buffer.from(await (await nodeHttpFetch(`${base}/big`)).bytes()).toString()).toBe(BIG);
    const blob = await (await nodeHttpFetch(`${base}/json`)).blob();
    expect(blob.type).toBe("application/json");
    expect(await blob.text()).toBe('{"hello":"world"}');
    expect(await (await nodeHttpFetch(`${base}/gzip`)).text()).toBe("decoded text");
    expect(await (await nodeHttpFetch(`${base}/gzip-capitalised`)).text()).toBe("decoded too");

    const none = await nodeHttpFetch(`${base}/none`);
    expect(none.status).toBe(204);
    expect(none.body).toBeNull();
  });

  it("streams a body through its web stream, and clones it", async () => {
    const streamed = await nodeHttpFetch(`${base}/big`);
    const reader = streamed.body?.getReader();
    let text = "";
    const decoder = new TextDecoder();
    for (let r = await reader?.read(); r && !r.done; r = await reader?.read()) {
      text += decoder.decode(r.value, { stream: true });
    }
    expect(text).toBe(BIG);
    expect(streamed.bodyUsed).toBe(true);

    const original = await nodeHttpFetch(`${base}/big`);
    const copy = original.clone();
    expect(copy.status).toBe(200);
    expect(copy.headers.get("content-type")).toBe("text/plain");
    const [a, b] = await Promise.all([original.text(), copy.text()]);
    expect(a).toBe(BIG);
    expect(b).toBe(BIG);
  });

  it("hands the bytes over directly once; the web body is then locked", async () => {
    const response = await nodeHttpFetch(`${base}/big`);
    const direct = bodyReader(response);
    expect(direct).toBeDefined();
    expect(response.bodyUsed).toBe(true);
    expect(response.body?.locked).toBe(true);
    await expect(response.text()).rejects.toThrow(TypeError);
    let size = 0;
    for (let r = await direct?.read(); r && !r.done; r = await direct?.read()) size += r.value.byteLength;
    expect(size).toBe(BIG.length);

    // The web body looked at but not read: the direct way is still there, and locks it.
    const opened = await nodeHttpFetch(`${base}/json`);
    const web = opened.body;
    const reader = bodyReader(opened);
    expect(web?.locked).toBe(true);
    expect(new TextDecoder().decode((await reader?.read())?.value)).toBe('{"hello":"world"}');
  });
});

describe("nodeHttpFetch and a body that does not decode", () => {
  it("fails the read, not the process, when nobody reads it at once", async () => {
    // Prepare: gzip that is not, and a socket that closes once it is sent.
    const closed: Promise<void>[] = [];
    const server = createNetServer((socket) => {
      socket.on("error", () => undefined);
      closed.push(new Promise((resolve) => socket.once("close", () => resolve())));
      socket.once("data", () => {
        socket.end("HTTP/1.1 200 OK\r\ncontent-encoding: gzip\r\ncontent-length: 9\r\n\r\nnot gzip!");
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const uncaught: unknown[] = [];
    const onUncaught = (error: unknown) => uncaught.push(error);
    process.on("uncaughtException", onUncaught);
    try {
      // Act: the answer arrives; its body is read only after the bytes are in and decoded.
      const response = await nodeHttpFetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`, {});
      await closed[0];
      await new Promise((resolve) => setTimeout(resolve, 50));
      const read = await response.text().catch((error: Error) => error);

      // Assess
      expect(read).toBeInstanceOf(Error);
      expect(uncaught).toEqual([]);
    } finally {
      process.off("uncaughtException", onUncaught);
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});
