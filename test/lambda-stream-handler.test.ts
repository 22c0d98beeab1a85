// The streaming adapter (src/adapters/lambda/stream-handler.ts) with a stand-in app, for what the
// gateway's own routes rarely exercise: the exact Request built from a function URL event, cookies
// both ways, and failures before and after the headers. Also the relay's own Responses (a subclass
// of the runtime's Response whose body is built on first read) as this Node's Response reads them:
// the file runs on the local Node and, in `npm run test:node24`, on the Lambda runtime's Node 24.
import { describe, expect, it } from "vitest";
import { streamHandler } from "../src/adapters/lambda/stream-handler.ts";
import { type ChunkSource, sourcedResponse } from "../src/core/relay/chunk-source.ts";
import { invoke } from "./helpers/lambda.ts";

describe("function URL stream adapter", () => {
  // `npm run test:node24` runs this file again on the Lambda runtime's Node major: its workers must
  // really be on Node 24, not on the Node that started the script.
  it.runIf(process.env.POOLER_NODE24_RUN === "1")("runs on Node 24 in the Node 24 run", () => {
    expect(process.versions.node.split(".")[0]).toBe("24");
  });

  it("builds the web Request from the event: method, raw query, headers, cookies, base64 body", async () => {
    // Prepare
    let seen:
      | { url: string; method: string; cookie: string | null; type: string | null; bytes: number[] }
      | undefined;
    const handler = streamHandler({
      async fetch(request) {
        seen = {
          url: request.url,
          method: request.method,
          cookie: request.headers.get("cookie"),
          type: request.headers.get("content-type"),
          bytes: [...new Uint8Array(await request.arrayBuffer())],
        };
        return new Response("ok");
      },
    });
    const binary = Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0x00, 0xff, 0x80]);

    // Act
    await invoke(handler, {
      method: "POST",
      path: "/backend-api/codex/responses",
      query: "a=1&b=x%20y&b=z",
      headers: { "content-type": "application/json", "content-encoding": "zstd" },
      cookies: ["one=1", "two=2"],
      body: binary,
      base64: true,
    });

    // Assess
    expect(seen).toEqual({
      url: "https://abcdefghijklmnop.lambda-url.us-east-1.on.aws/backend-api/codex/responses?a=1&b=x%20y&b=z",
      method: "POST",
      cookie: "one=1; two=2",
      type: "application/json",
      bytes: [...binary],
    });
  });

  it("puts the status, headers and Set-Cookie values in the prelude", async () => {
    const handler = streamHandler({
      fetch: async () => {
        const headers = new Headers({ "content-type": "text/plain", "x-request-id": "req_1" });
        headers.append("set-cookie", "a=1; Secure");
        headers.append("set-cookie", "b=2; HttpOnly");
        return new Response("created", { status: 201, headers });
      },
    });
    const out = await invoke(handler, { path: "/" });
    expect(out.prelude()).toEqual({
      statusCode: 201,
      headers: { "content-type": "text/plain", "x-request-id": "req_1" },
      cookies: ["a=1; Secure", "b=2; HttpOnly"],
    });
    expect(out.body()).toBe("created");
  });

  it("a failure before the headers becomes a 500 JSON error", async () => {
    const errors: string[] = [];
    const handler = streamHandler({
      fetch: async () => {
        throw new Error("boom");
      },
      onError: (_e, phase) => errors.push(phase),
    });
    const out = await invoke(handler, { path: "/" });
    expect(out.prelude().statusCode).toBe(500);
    expect(out.json().error).toMatchObject({ code: "internal_error", type: "server_error" });
    expect(errors).toEqual(["before_headers"]);
  });

  it("a failure after the headers ends the stream cleanly after what was already written", async () => {
    // Prepare: a body that fails after its first chunk.
    const errors: string[] = [];
    let settled = false;
    const handler = streamHandler({
      fetch: async () =>
        new Response(
          new ReadableStream<Uint8Array>({
            start(controller) {
              controller.enqueue(new TextEncoder().encode("data: first\n\n"));
            },
            pull(controller) {
              controller.error(new Error("upstream socket reset"));
            },
          }),
          { headers: { "content-type": "text/event-stream" } },
        ),
      onError: (_e, phase) => errors.push(phase),
      settle: async () => {
        settled = true;
      },
    });

    // Act
    const out = await invoke(handler, { path: "/" });

    // Assess
    expect(out.prelude().statusCode).toBe(200);
    expect(out.writableEnded).toBe(true);
    expect(out.destroyed && !out.writableFinished).toBe(false);
    expect(errors).toEqual(["after_headers"]);
    expect(settled).toBe(true);
  });
});

/** A relay-style Response over `parts`, and what its source was asked for. */
function relayResponse(parts: string[]) {
  const seen = { pulls: 0, cancelled: false };
  let next = 0;
  const source: ChunkSource = {
    async pull() {
      seen.pulls++;
      return next < parts.length ? new TextEncoder().encode(parts[next++]) : undefined;
    },
    async cancel() {
      seen.cancelled = true;
    },
  };
  const response = sourcedResponse(source, { status: 201, headers: { "content-type": "application/json" } });
  return { response, seen };
}

describe("the relay's Responses on this Node's Response", () => {
  const parts = ['{"a":', '[1,2],"b":', '"x"}'];
  const whole = parts.join("");

  it("read whole by every method, once, with bodyUsed telling the truth", async () => {
    const reads: [string, (r: Response) => Promise<unknown>, unknown][] = [
      ["text", (r) => r.text(), whole],
      ["json", (r) => r.json(), { a: [1, 2], b: "x" }],
      ["arrayBuffer", async (r) => new TextDecoder().decode(await r.arrayBuffer()), whole],
      ["blob", async (r) => (await r.blob()).text(), whole],
      ["bytes", async (r) => new TextDecoder().decode(await r.bytes()), whole],
    ];
    for (const [name, read, expected] of reads) {
      const { response } = relayResponse(parts);
      expect(response.bodyUsed, name).toBe(false);
      expect(response.status).toBe(201);
      expect(await read(response), name).toEqual(expected);
      expect(response.bodyUsed, name).toBe(true);
      await expect(response.text(), name).rejects.toThrow(TypeError);
    }
  });

  it("clones into two independent bodies", async () => {
    const { response } = relayResponse(parts);
    const copy = response.clone();
    expect(copy.headers.get("content-type")).toBe("application/json");
    expect(await copy.text()).toBe(whole);
    expect(await response.text()).toBe(whole);
  });

  it("streams through the adapter one pull at a time, and is released when the client goes", async () => {
    const { response, seen } = relayResponse(parts);
    const out = await invoke(streamHandler({ fetch: async () => response }), { path: "/v1/responses" });
    expect(out.prelude()).toMatchObject({ statusCode: 201 });
    expect(out.body()).toBe(whole);
    expect(seen.pulls).toBe(parts.length + 1);

    const cut = relayResponse(parts);
    const reader = cut.response.body!.getReader();
    expect(new TextDecoder().decode((await reader.read()).value)).toBe(parts[0]);
    await reader.cancel();
    expect(cut.seen).toEqual({ pulls: 1, cancelled: true });
  });
});
