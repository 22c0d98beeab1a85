// Hostile input: property-based fuzzing (fast-check) of JSON bodies, headers, compressed and
// multipart bodies and WebSocket frames, plus the fixed nasties (oversized bodies, decompression
// bombs, invalid UTF-8, deep nesting, slow clients). More than 10,000 generated cases in all, most of
// them against the Hono app in-process (where the transport does not matter) and a sample over real
// HTTP and WebSocket. No case may crash the gateway or get a 5xx for its input; every refusal is
// OpenAI-shaped (JSON-RPC on /mcp). Then authentication: unknown and wrong keys are indistinguishable,
// and failed attempts are rate limited without slowing down keys that verify.
import { randomBytes } from "node:crypto";
import { request as httpRequest } from "node:http";
import { connect } from "node:net";
import { brotliCompressSync, constants, deflateSync, gzipSync } from "node:zlib";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { createApp } from "../src/http/app.ts";
import { bearerAdminAuthenticator } from "../src/http/middleware/admin-auth.ts";
import { zstdRleBomb } from "./fake-upstream/index.ts";
import { faultyStore } from "./helpers/faulty-store.ts";
import {
  postDeclaredLength,
  type Seeded,
  startTestGateway,
  TEXT_TURN_BODY,
  type TestGateway,
} from "./helpers/gateway.ts";

const MiB = 1024 * 1024;
let cases = 0;

type App = ReturnType<typeof createApp>;

/**
 * Status below 500 and, for a refusal, the OpenAI error envelope (JSON-RPC's on /mcp). The Codex
 * bridges under /backend-api relay an upstream refusal as the upstream wrote it (Codex reads that
 * shape), so there `{"detail": …}` or an `error` object with a message is accepted too.
 */
async function expectSane(response: Response, what: string, rpc = false): Promise<void> {
  const relayed = what.includes("/backend-api/");
  cases++;
  const text = await response.text();
  expect(response.status, `${what}: ${text.slice(0, 300)}`).toBeLessThan(500);
  if (response.status < 400) return;
  let body: any;
  try {
    body = JSON.parse(text);
  } catch {
    throw new Error(`${what}: HTTP ${response.status} with a body that is not JSON: ${text.slice(0, 200)}`);
  }
  if (rpc) {
    expect(body, what).toMatchObject({ jsonrpc: "2.0", error: { code: expect.any(Number) } });
    return;
  }
  const e = body?.error;
  if (relayed && (typeof body?.detail === "string" || typeof e?.message === "string")) return;
  expect(e && typeof e.message === "string" && typeof e.type === "string", `${what}: ${text}`).toBe(true);
  expect("code" in e && "param" in e, `${what}: ${text}`).toBe(true);
}

const utf8 = (s: string) => new TextEncoder().encode(s);

/** Header values fetch accepts: any byte but NUL, CR and LF (latin-1 included). */
const headerValue = fc
  .array(
    fc.oneof(fc.integer({ min: 0x20, max: 0x7e }), fc.integer({ min: 0x80, max: 0xff }), fc.constant(0x09)),
    { maxLength: 300 },
  )
  .map((codes) => String.fromCharCode(...codes).trim());

const credentialLike = fc.oneof(
  fc
    .tuple(
      fc.constantFrom("sk-cxp-", "mcp-cxp-", "adm-cxp-", "sk-", ""),
      fc.stringMatching(/^[0-9a-f]{12}$/),
      fc.stringMatching(/^[A-Za-z0-9_-]{43}$/),
    )
    .map(([scheme, id, secret]) => `${scheme}${id}-${secret}`),
  headerValue,
);

const authorization = fc.oneof(
  credentialLike.map((c) => `Bearer ${c}`),
  headerValue,
  fc.constant("Bearer "),
  fc.constant(`bearer sk-cxp-000000000000-${"A".repeat(43)}`),
);

/** Bodies that are anything but a well-formed request: bytes, text, JSON of the wrong shape. */
const junkBody = fc.oneof(
  fc.uint8Array({ maxLength: 2048 }),
  fc.string({ maxLength: 1000 }).map(utf8),
  fc.jsonValue({ maxDepth: 6 }).map((v) => utf8(JSON.stringify(v))),
  fc.jsonValue({ maxDepth: 3 }).map((v) => utf8(JSON.stringify(v).slice(0, -1))),
);

/** Chat requests whose fields have the right names and often the wrong types or values. */
const chatLike = fc.record(
  {
    model: fc.oneof(fc.constant("gpt-5.5"), fc.string({ maxLength: 200 }), fc.jsonValue({ maxDepth: 2 })),
    messages: fc.oneof(
      fc.array(
        fc.record(
          {
            role: fc.oneof(fc.constantFrom("user", "system", "developer", "assistant", "tool"), fc.string()),
            content: fc.oneof(
              fc.string({ maxLength: 200 }),
              fc.array(
                fc.record(
                  {
                    type: fc.constantFrom("text", "image_url", "input_audio", "file", "refusal", "x"),
                    text: fc.jsonValue({ maxDepth: 1 }),
                    image_url: fc.jsonValue({ maxDepth: 2 }),
                  },
                  { requiredKeys: [] },
                ),
                { maxLength: 3 },
              ),
              fc.jsonValue({ maxDepth: 2 }),
            ),
            tool_calls: fc.jsonValue({ maxDepth: 3 }),
            tool_call_id: fc.jsonValue({ maxDepth: 1 }),
            name: fc.jsonValue({ maxDepth: 1 }),
          },
          { requiredKeys: ["role"] },
        ),
        { maxLength: 4 },
      ),
      fc.jsonValue({ maxDepth: 2 }),
    ),
    stream: fc.oneof(fc.boolean(), fc.jsonValue({ maxDepth: 1 })),
    stream_options: fc.jsonValue({ maxDepth: 2 }),
    tools: fc.oneof(
      fc.array(
        fc.record({
          type: fc.constantFrom("function", "custom", "x"),
          function: fc.jsonValue({ maxDepth: 3 }),
        }),
        { maxLength: 3 },
      ),
      fc.jsonValue({ maxDepth: 2 }),
    ),
    tool_choice: fc.jsonValue({ maxDepth: 2 }),
    response_format: fc.jsonValue({ maxDepth: 3 }),
    reasoning_effort: fc.jsonValue({ maxDepth: 1 }),
    max_tokens: fc.jsonValue({ maxDepth: 1 }),
    temperature: fc.jsonValue({ maxDepth: 1 }),
    n: fc.jsonValue({ maxDepth: 1 }),
  },
  { requiredKeys: [] },
);

/** Responses requests, same idea. */
const responsesLike = fc.record(
  {
    model: fc.oneof(fc.constant("gpt-5.5"), fc.string({ maxLength: 200 }), fc.jsonValue({ maxDepth: 2 })),
    input: fc.oneof(
      fc.string({ maxLength: 200 }),
      fc.array(
        fc.record(
          {
            type: fc.constantFrom("message", "function_call", "function_call_output", "reasoning", "x"),
            role: fc.constantFrom("user", "assistant", "system", "developer"),
            content: fc.jsonValue({ maxDepth: 3 }),
            call_id: fc.jsonValue({ maxDepth: 1 }),
            output: fc.jsonValue({ maxDepth: 2 }),
          },
          { requiredKeys: [] },
        ),
        { maxLength: 3 },
      ),
      fc.jsonValue({ maxDepth: 2 }),
    ),
    instructions: fc.jsonValue({ maxDepth: 1 }),
    stream: fc.oneof(fc.boolean(), fc.jsonValue({ maxDepth: 1 })),
    previous_response_id: fc.jsonValue({ maxDepth: 1 }),
    tools: fc.jsonValue({ maxDepth: 3 }),
    reasoning: fc.jsonValue({ maxDepth: 2 }),
    text: fc.jsonValue({ maxDepth: 3 }),
    store: fc.jsonValue({ maxDepth: 1 }),
    prompt_cache_key: fc.jsonValue({ maxDepth: 1 }),
  },
  { requiredKeys: [] },
);

let gw: TestGateway;
let app: App;
let seeded: Seeded;
let mcpToken: string;

beforeAll(async () => {
  gw = await startTestGateway({ POOLER_SSE_KEEPALIVE_MS: "0", POOLER_STREAM_IDLE_TIMEOUT_MS: "5000" });
  seeded = await gw.seed({ accounts: 2 });
  const mcp = await gw.admin("POST", "/mcp-tokens", { label: "fuzz" });
  expect(mcp.status).toBe(201);
  mcpToken = mcp.body.secret;
  app = createApp(gw.local.gateway, {
    adminAuthenticator: bearerAdminAuthenticator(gw.local.gateway),
    version: "test",
  });
}, 60_000);

afterAll(async () => {
  gw?.fake.releasePaused();
  await gw?.stop();
});

const inproc = (path: string, init: RequestInit) => app.request(`http://127.0.0.1${path}`, init);

const RUNTIME_POSTS = [
  "/backend-api/codex/responses",
  "/backend-api/codex/v1/responses",
  "/v1/chat/completions",
  "/backend-api/codex/v1/chat/completions",
  "/v1/responses",
  "/v1/responses/compact",
  "/v1/images/generations",
  "/v1/embeddings",
  "/v1/completions",
];

describe("fuzzed requests in-process: no 5xx, OpenAI-shaped refusals", () => {
  it("headers: any Authorization, content-type, content-encoding and client headers on every route", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(
          ...RUNTIME_POSTS,
          "/admin/v1/pools",
          "/backend-api/codex/models",
          "/v1/models",
          "/mcp",
        ),
        fc.constantFrom("GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"),
        fc.option(authorization, { nil: undefined }),
        fc.dictionary(
          fc.constantFrom(
            "content-type",
            "content-encoding",
            "accept",
            "session-id",
            "x-codex-turn-metadata",
            "x-codex-turn-state",
            "originator",
            "user-agent",
            "openai-beta",
            "x-openai-subagent",
            "if-none-match",
            "upgrade",
          ),
          headerValue,
          { maxKeys: 5 },
        ),
        junkBody,
        async (path, method, auth, headers, body) => {
          const withBody = method !== "GET" && method !== "OPTIONS";
          const response = await inproc(path, {
            method,
            headers: { ...headers, ...(auth === undefined ? {} : { authorization: auth }) },
            body: withBody ? body : undefined,
          });
          await expectSane(response, `${method} ${path}`, path === "/mcp");
        },
      ),
      { numRuns: 3000 },
    );
  });

  it("bodies: junk bytes and wrong-shaped JSON on every POST route, with a valid key", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...RUNTIME_POSTS),
        fc.constantFrom("application/json", "text/plain", "application/x-www-form-urlencoded", ""),
        junkBody.filter((bytes) => {
          // An object that happens to be a valid turn would reach the upstream: that is the next test.
          try {
            const v = JSON.parse(new TextDecoder().decode(bytes));
            return typeof v !== "object" || v === null || Array.isArray(v);
          } catch {
            return true;
          }
        }),
        async (path, type, body) => {
          const response = await inproc(path, {
            method: "POST",
            headers: { authorization: `Bearer ${seeded.key}`, ...(type ? { "content-type": type } : {}) },
            body,
          });
          await expectSane(response, `POST ${path}`);
        },
      ),
      { numRuns: 2500 },
    );
  });

  it("chat completions: every field with the wrong type or value", async () => {
    await fc.assert(
      fc.asyncProperty(chatLike, async (body) => {
        const response = await inproc("/v1/chat/completions", {
          method: "POST",
          headers: { authorization: `Bearer ${seeded.key}`, "content-type": "application/json" },
          body: JSON.stringify(body),
        });
        await expectSane(response, `chat ${JSON.stringify(body).slice(0, 200)}`);
      }),
      { numRuns: 1200 },
    );
  });

  it("responses (/v1 and the Codex route): every field with the wrong type or value", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom("/v1/responses", "/backend-api/codex/responses"),
        responsesLike,
        async (path, body) => {
          const response = await inproc(path, {
            method: "POST",
            headers: { authorization: `Bearer ${seeded.key}`, "content-type": "application/json" },
            body: JSON.stringify(body),
          });
          await expectSane(response, `${path} ${JSON.stringify(body).slice(0, 200)}`);
        },
      ),
      { numRuns: 800 },
    );
  });

  it("admin API: junk and wrong-shaped bodies on every write route", async () => {
    const routes = [
      ["POST", "/admin/v1/pools"],
      ["PATCH", `/admin/v1/pools/${seeded.pool}`],
      ["POST", "/admin/v1/accounts/import"],
      ["POST", "/admin/v1/keys"],
      ["PATCH", `/admin/v1/keys/${seeded.keyId}`],
      ["POST", "/admin/v1/mcp-tokens"],
      ["POST", "/admin/v1/oauth/device"],
    ] as const;
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...routes),
        fc.oneof(
          junkBody,
          fc
            .record(
              {
                name: fc.jsonValue({ maxDepth: 1 }),
                pool: fc.oneof(fc.constant(seeded.pool), fc.jsonValue({ maxDepth: 1 })),
                label: fc.jsonValue({ maxDepth: 1 }),
                authJson: fc.jsonValue({ maxDepth: 3 }),
                strategy: fc.jsonValue({ maxDepth: 1 }),
                ringSize: fc.jsonValue({ maxDepth: 1 }),
                policy: fc.jsonValue({ maxDepth: 3 }),
              },
              { requiredKeys: [] },
            )
            .map((v) => utf8(JSON.stringify(v))),
        ),
        async ([method, path], body) => {
          const response = await inproc(path, {
            method,
            headers: { authorization: `Bearer ${gw.adminToken}`, "content-type": "application/json" },
            body,
          });
          await expectSane(response, `${method} ${path}`);
        },
      ),
      { numRuns: 1000 },
    );
    // The fuzzing did not break the Pool or the key it may have edited.
    const turn = await inproc("/backend-api/codex/responses", {
      method: "POST",
      headers: { authorization: `Bearer ${seeded.key}`, "content-type": "application/json" },
      body: JSON.stringify(TEXT_TURN_BODY),
    });
    expect([200, 403]).toContain(turn.status);
    await turn.text();
  });

  it("compressed bodies: garbage in every encoding, and valid encodings of junk", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom("/backend-api/codex/responses", "/v1/chat/completions", "/v1/responses"),
        fc.oneof(
          fc.constantFrom("gzip", "x-gzip", "deflate", "br", "zstd", "identity", "gzip, br"),
          headerValue,
        ),
        fc.oneof(
          fc.uint8Array({ maxLength: 1024 }),
          junkBody.map((b) => new Uint8Array(gzipSync(b))),
          junkBody.map((b) => new Uint8Array(deflateSync(b))),
          junkBody.map((b) => new Uint8Array(brotliCompressSync(b))),
        ),
        async (path, encoding, body) => {
          const response = await inproc(path, {
            method: "POST",
            headers: {
              authorization: `Bearer ${seeded.key}`,
              "content-type": "application/json",
              "content-encoding": encoding,
            },
            body,
          });
          await expectSane(response, `${encoding} ${path}`);
        },
      ),
      { numRuns: 800 },
    );
  });

  it("multipart: broken boundaries, truncated parts and random bytes on the upload routes", async () => {
    const part = fc.record({
      name: fc.oneof(fc.constantFrom("file", "purpose", "model", "image", "prompt", "language"), fc.string()),
      filename: fc.option(fc.string({ maxLength: 40 }), { nil: undefined }),
      type: fc.option(fc.constantFrom("audio/wav", "image/png", "text/plain", "application/pdf"), {
        nil: undefined,
      }),
      data: fc.oneof(fc.string({ maxLength: 200 }), fc.constantFrom("assistants", "user_data", "whisper-1")),
    });
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(
          "/v1/files",
          "/v1/audio/transcriptions",
          "/v1/images/edits",
          "/backend-api/transcribe",
        ),
        fc.stringMatching(/^[A-Za-z0-9'()+_,-./:=?]{1,70}$/),
        fc.array(part, { maxLength: 4 }),
        fc.nat({ max: 100 }),
        fc.boolean(),
        async (path, boundary, parts, cutPercent, lie) => {
          const text = parts
            .map(
              (p) =>
                `--${boundary}\r\nContent-Disposition: form-data; name="${p.name}"${p.filename === undefined ? "" : `; filename="${p.filename}"`}\r\n${p.type ? `Content-Type: ${p.type}\r\n` : ""}\r\n${p.data}\r\n`,
            )
            .join("");
          const full = utf8(`${text}--${boundary}--\r\n`);
          const body = full.subarray(0, Math.floor((full.length * cutPercent) / 100));
          const declared = lie ? `${randomBytes(4).toString("hex")}` : boundary;
          const response = await inproc(path, {
            method: "POST",
            headers: {
              authorization: `Bearer ${seeded.key}`,
              "content-type": `multipart/form-data; boundary=${declared}`,
            },
            body,
          });
          await expectSane(response, `multipart ${path}`);
        },
      ),
      { numRuns: 700 },
    );
  });

  it("invalid UTF-8 inside JSON strings and as whole bodies", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(
          "/backend-api/codex/responses",
          "/v1/chat/completions",
          "/v1/responses",
          "/admin/v1/pools",
        ),
        fc.uint8Array({ minLength: 1, maxLength: 16 }).map((bytes) => bytes.map((b) => b | 0x80)),
        fc.boolean(),
        async (path, bad, inside) => {
          const prefix = utf8(
            path === "/v1/chat/completions"
              ? '{"model":"gpt-5.5","messages":[{"role":"user","content":"'
              : path === "/admin/v1/pools"
                ? '{"name":"'
                : '{"model":"gpt-5.5","stream":true,"store":false,"input":"',
          );
          const suffix = utf8(path === "/v1/chat/completions" ? '"}]}' : '"}');
          const body = inside ? Buffer.concat([prefix, bad, suffix]) : bad;
          const token = path.startsWith("/admin") ? gw.adminToken : seeded.key;
          const response = await inproc(path, {
            method: "POST",
            headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
            body,
          });
          await expectSane(response, `invalid UTF-8 ${path}`);
        },
      ),
      { numRuns: 300 },
    );
  });

  it("MCP: junk JSON-RPC and junk bytes get JSON-RPC errors", async () => {
    const minted = await Promise.all(
      Array.from({ length: 5 }, () => gw.admin("POST", "/mcp-tokens", { label: "fuzz" })),
    );
    const tokens = minted.map((m) => m.body.secret as string);
    let n = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          junkBody,
          fc
            .record(
              {
                jsonrpc: fc.oneof(fc.constant("2.0"), fc.jsonValue({ maxDepth: 1 })),
                id: fc.jsonValue({ maxDepth: 1 }),
                method: fc.oneof(
                  fc.constantFrom("initialize", "tools/list", "tools/call", "ping", "resources/list"),
                  fc.string(),
                ),
                params: fc.jsonValue({ maxDepth: 4 }),
              },
              { requiredKeys: [] },
            )
            .map((v) => utf8(JSON.stringify(v))),
        ),
        async (body) => {
          // Each MCP token allows 60 calls a minute: spread the cases over a few.
          const token = tokens[Math.floor(n++ / 50)] as string;
          const response = await inproc("/mcp", {
            method: "POST",
            headers: {
              authorization: `Bearer ${token}`,
              "content-type": "application/json",
              accept: "application/json, text/event-stream",
            },
            body,
          });
          await expectSane(response, "POST /mcp", true);
        },
      ),
      { numRuns: 250 },
    );
  });
});

describe("fixed nasties", () => {
  const post = (path: string, body: BodyInit, headers: Record<string, string> = {}) =>
    fetch(`${gw.url}${path}`, {
      method: "POST",
      headers: { authorization: `Bearer ${seeded.key}`, "content-type": "application/json", ...headers },
      body,
      duplex: "half",
    } as RequestInit);

  it("refuses oversized bodies with an OpenAI-shaped 413, declared or streamed", async () => {
    // The rest never comes: the declared size alone is refused.
    const declared = await postDeclaredLength(
      `${gw.url}/v1/chat/completions`,
      { authorization: `Bearer ${seeded.key}`, "content-type": "application/json" },
      65 * MiB,
    );

    expect(declared.status).toBe(413);
    await expectSane(new Response(declared.body, { status: 413 }), "declared 413");
    expect(JSON.parse(declared.body).error.code).toBe("request_too_large");

    // Streamed without a length: cut at the limit, not read to the end.
    let sent = 0;
    const chunk = new Uint8Array(MiB).fill(0x20);
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent >= 80 * MiB) return controller.close();
        sent += chunk.length;
        controller.enqueue(chunk);
      },
    });
    const streamed = await post("/backend-api/codex/responses", stream);
    expect(streamed.status).toBe(413);
    const body = await streamed.json();
    expect(body.error).toMatchObject({
      code: "request_too_large",
      type: "invalid_request_error",
      param: null,
    });
    expect(sent).toBeLessThan(80 * MiB);

    const mcp = await fetch(`${gw.url}/mcp`, {
      method: "POST",
      headers: { authorization: `Bearer ${mcpToken}`, "content-type": "application/json" },
      body: new Uint8Array(2 * MiB).fill(0x20),
    });
    expect(mcp.status).toBe(413);
    expect((await mcp.json()).jsonrpc).toBe("2.0");
    cases += 3;
  });

  it("stops decompression bombs at the body limit (gzip, deflate, br, zstd)", async () => {
    const zeros = Buffer.alloc(80 * MiB);
    const bombs: [string, Uint8Array][] = [
      ["gzip", gzipSync(zeros, { level: 1 })],
      ["deflate", deflateSync(zeros, { level: 1 })],
      ["br", brotliCompressSync(zeros, { params: { [constants.BROTLI_PARAM_QUALITY]: 1 } })],
      ["zstd", zstdRleBomb(640)],
    ];
    for (const [encoding, bomb] of bombs) {
      expect(bomb.byteLength, encoding).toBeLessThan(MiB);
      const response = await post("/backend-api/codex/responses", new Uint8Array(bomb), {
        "content-encoding": encoding,
      });
      expect(response.status, encoding).toBe(413);
      const body = await response.json();
      expect(body.error, encoding).toMatchObject({
        code: "request_too_large",
        type: "invalid_request_error",
      });
      cases++;
    }
    // Still serving.
    const ok = await post("/backend-api/codex/responses", JSON.stringify(TEXT_TURN_BODY));
    expect(ok.status).toBe(200);
    await ok.text();
  });

  it("refuses deep nesting cleanly at every depth", async () => {
    for (const depth of [100, 1_000, 10_000, 100_000, 1_000_000]) {
      const nested = `${"[".repeat(depth)}${"]".repeat(depth)}`;
      const objects = `${'{"a":'.repeat(depth)}1${"}".repeat(depth)}`;
      const bodies: [string, string][] = [
        ["/backend-api/codex/responses", `{"model":"gpt-5.5","input":${nested}}`],
        ["/v1/chat/completions", `{"model":"gpt-5.5","messages":[{"role":"user","content":${nested}}]}`],
        ["/v1/chat/completions", `{"model":"gpt-5.5","messages":${objects}}`],
        ["/v1/responses", `{"model":"gpt-5.5","input":[{"role":"user","content":${objects}}]}`],
        [
          "/v1/responses",
          `{"model":"gpt-5.5","tools":[{"type":"function","name":"f","parameters":${objects}}],"input":"hi"}`,
        ],
        ["/admin/v1/pools", `{"name":"deep${depth}","extra":${objects}}`],
        [
          "/mcp",
          `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"list_pools","arguments":${objects}}}`,
        ],
      ];
      for (const [path, body] of bodies) {
        const token = path === "/mcp" ? mcpToken : path.startsWith("/admin") ? gw.adminToken : seeded.key;
        const response = await inproc(path, {
          method: "POST",
          headers: {
            authorization: `Bearer ${token}`,
            "content-type": "application/json",
            accept: "application/json, text/event-stream",
          },
          body,
        });
        await expectSane(response, `depth ${depth} ${path}`, path === "/mcp");
      }
    }
  });

  it("reads a body whole however it arrives: at once, in pieces, chunked", async () => {
    const url = new URL(gw.url);
    const body = Buffer.from(JSON.stringify(TEXT_TURN_BODY));
    const head = (framing: string) =>
      `POST /backend-api/codex/responses HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${seeded.key}\r\nContent-Type: application/json\r\n${framing}Connection: close\r\n\r\n`;
    /** Sends the parts with a pause between them; resolves with the raw answer. */
    const send = (parts: (string | Buffer)[]) =>
      new Promise<string>((resolve, reject) => {
        const socket = connect(Number(url.port), url.hostname);
        const chunks: Buffer[] = [];
        socket.on("data", (chunk: Buffer) => chunks.push(chunk));
        socket.on("error", reject);
        socket.on("close", () => resolve(Buffer.concat(chunks).toString("utf8")));
        void (async () => {
          for (const [i, part] of parts.entries()) {
            if (i > 0) await new Promise((r) => setTimeout(r, 60));
            socket.write(part);
          }
        })();
      });
    const half = Math.floor(body.length / 2);
    const withLength = head(`Content-Length: ${body.length}\r\n`);
    const chunked = head("Transfer-Encoding: chunked\r\n");
    const chunk = (b: Buffer) => `${b.length.toString(16)}\r\n${b.toString("utf8")}\r\n`;
    const cases: [string, (string | Buffer)[]][] = [
      ["at once", [Buffer.concat([Buffer.from(withLength), body])]],
      ["headers, then the body", [withLength, body]],
      [
        "half the body, then the rest",
        [withLength + body.subarray(0, half).toString("utf8"), body.subarray(half)],
      ],
      [
        "one byte at a time at the end",
        [
          withLength + body.subarray(0, -3).toString("utf8"),
          ...[...body.subarray(-3)].map((b) => Buffer.from([b])),
        ],
      ],
      [
        "chunked, in two chunks",
        [chunked + chunk(body.subarray(0, half)), `${chunk(body.subarray(half))}0\r\n\r\n`],
      ],
    ];
    for (const [name, parts] of cases) {
      const answer = await send(parts);
      expect(answer.split("\r\n")[0], name).toBe("HTTP/1.1 200 OK");
      expect(answer, name).toContain("response.completed");
    }
  });

  it("keeps serving while slow clients trickle their requests and others never read", async () => {
    const url = new URL(gw.url);
    // Slow senders: headers, then a byte now and then.
    const slow = Array.from({ length: 30 }, () => {
      const socket = connect(Number(url.port), url.hostname);
      socket.on("error", () => undefined);
      socket.write(
        `POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${seeded.key}\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{`,
      );
      const timer = setInterval(() => socket.write(" "), 50);
      return { socket, timer };
    });
    // Slow header senders.
    const partial = Array.from({ length: 30 }, () => {
      const socket = connect(Number(url.port), url.hostname);
      socket.on("error", () => undefined);
      socket.write("POST /backend-api/codex/responses HTTP/1.1\r\nHost: x\r\nX-Slow: ");
      return socket;
    });
    // Readers that never read a long answer.
    for (const a of seeded.accounts) {
      gw.fake.setDefaultBehavior(a.accountId, { kind: "large_text", bytes: 4 * MiB });
    }
    const stuck = await Promise.all(
      Array.from({ length: 5 }, () =>
        fetch(`${gw.url}/backend-api/codex/responses`, {
          method: "POST",
          headers: { authorization: `Bearer ${seeded.key}`, "content-type": "application/json" },
          body: JSON.stringify(TEXT_TURN_BODY),
        }),
      ),
    );
    for (const a of seeded.accounts) gw.fake.setDefaultBehavior(a.accountId, { kind: "text" });
    try {
      for (let i = 0; i < 5; i++) {
        const response = await fetch(`${gw.url}/v1/chat/completions`, {
          method: "POST",
          headers: { authorization: `Bearer ${seeded.key}`, "content-type": "application/json" },
          body: JSON.stringify({ model: "gpt-5.5", messages: [{ role: "user", content: "hi" }] }),
          signal: AbortSignal.timeout(10_000),
        });
        expect(response.status).toBe(200);
        expect((await response.json()).object).toBe("chat.completion");
      }
    } finally {
      for (const s of slow) {
        clearInterval(s.timer);
        s.socket.destroy();
      }
      for (const socket of partial) socket.destroy();
      for (const r of stuck) await r.body?.cancel();
    }
  });
});

describe("over real HTTP and WebSocket", () => {
  it("a sample of fuzzed requests over real HTTP", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...RUNTIME_POSTS, "/mcp"),
        fc.option(authorization, { nil: undefined }),
        fc.oneof(
          junkBody,
          chatLike.map((v) => utf8(JSON.stringify(v))),
        ),
        fc.dictionary(fc.constantFrom("content-type", "content-encoding", "session-id"), headerValue, {
          maxKeys: 2,
        }),
        async (path, auth, body, headers) => {
          const response = await fetch(`${gw.url}${path}`, {
            method: "POST",
            headers: { ...headers, authorization: auth ?? `Bearer ${seeded.key}` },
            body,
            signal: AbortSignal.timeout(10_000),
          });
          await expectSane(response, `HTTP ${path}`, path === "/mcp");
        },
      ),
      { numRuns: 300 },
    );
  });

  it("fuzzed WebSocket frames: error frames or a clean close, never a crash", async () => {
    const wsUrl = `${gw.url.replace("http", "ws")}/backend-api/codex/responses`;
    const open = () =>
      new Promise<WebSocket>((resolve, reject) => {
        // From an address of its own: the HTTP sample above spends 127.0.0.1's failed-auth budget.
        const ws = new WebSocket(wsUrl, {
          headers: { authorization: `Bearer ${seeded.key}` },
          localAddress: "127.0.0.5",
        });
        ws.once("open", () => resolve(ws));
        ws.once("error", reject);
      });
    const closeCodes: number[] = [];
    const frames: string[] = [];
    let ws = await open();
    const track = (socket: WebSocket) => socket.once("close", (code) => closeCodes.push(code));
    track(ws);
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.string({ maxLength: 500 }).map((s) => ({ text: s })),
          fc.jsonValue({ maxDepth: 4 }).map((v) => ({ text: JSON.stringify(v) })),
          responsesLike.map((v) => ({
            text: JSON.stringify({ type: "response.create", ...v, generate: false }),
          })),
          fc.uint8Array({ maxLength: 300 }).map((b) => ({ binary: b })),
        ),
        async (frame) => {
          cases++;
          if (ws.readyState !== WebSocket.OPEN) {
            ws = await open();
            track(ws);
          }
          const replies = new Promise<void>((resolve) => {
            const done = () => {
              clearTimeout(timer);
              ws.off("message", onMessage);
              ws.off("close", done);
              resolve();
            };
            const onMessage = (data: WebSocket.RawData) => {
              frames.push(data.toString());
            };
            const timer = setTimeout(done, 30);
            ws.on("message", onMessage);
            ws.once("close", done);
          });
          if ("binary" in frame) ws.send(frame.binary, { binary: true });
          else ws.send(frame.text);
          await replies;
        },
      ),
      { numRuns: 200 },
    );
    ws.close();
    // Every frame the gateway sent is JSON with a type; errors are the client's (4xx), not the gateway's.
    for (const text of frames) {
      const parsed = JSON.parse(text);
      expect(typeof parsed.type, text).toBe("string");
      if (parsed.type === "error") expect(parsed.status_code ?? parsed.status ?? 400, text).toBeLessThan(500);
    }
    // 1011 would be the gateway failing on its own.
    expect(closeCodes.filter((code) => code === 1011 || code === 1006)).toEqual([]);
    // And a normal turn still works on a fresh connection.
    const fresh = await open();
    const done = new Promise<string>((resolve) => {
      fresh.on("message", (data) => {
        const event = JSON.parse(data.toString());
        if (event.type === "response.completed" || event.type === "error") resolve(event.type);
      });
    });
    fresh.send(JSON.stringify({ type: "response.create", ...TEXT_TURN_BODY }));
    expect(await done).toBe("response.completed");
    fresh.close();
  });

  it("ran at least 10,000 generated and fixed cases", () => {
    expect(cases).toBeGreaterThanOrEqual(10_000);
  });
});

describe("authentication", () => {
  let auth: TestGateway;
  let key: Seeded;
  const store = faultyStore();

  beforeAll(async () => {
    // A still clock: cached keys and the failure buckets stay exactly as the test leaves them.
    const still = Date.now();
    auth = await startTestGateway(
      { POOLER_SSE_KEEPALIVE_MS: "0" },
      { clock: { now: () => still }, wrapStore: (s) => store.wrap(s) },
    );
    key = await auth.seed({ accounts: 1 });
  });
  afterAll(async () => {
    await auth?.stop();
  });

  /** A request from a chosen loopback address (127.0.0.0/8 all reach the server), as another client. */
  function from(
    address: string,
    path: string,
    token: string,
    body: unknown = TEXT_TURN_BODY,
  ): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: any }> {
    const url = new URL(`${auth.url}${path}`);
    const text = JSON.stringify(body);
    return new Promise((resolve, reject) => {
      const req = httpRequest(
        {
          host: url.hostname,
          port: url.port,
          path: url.pathname,
          method: "POST",
          localAddress: address,
          agent: false,
          headers: {
            authorization: `Bearer ${token}`,
            "content-type": "application/json",
            accept: "application/json, text/event-stream",
            "content-length": Buffer.byteLength(text),
          },
        },
        (res) => {
          let data = "";
          res.setEncoding("utf8").on("data", (c: string) => {
            data += c;
          });
          res.on("end", () => {
            let parsed: unknown = data;
            try {
              parsed = JSON.parse(data);
            } catch {
              // SSE
            }
            resolve({ status: res.statusCode ?? 0, headers: res.headers, body: parsed });
          });
        },
      );
      req.on("error", reject);
      req.end(text);
    });
  }

  /** The same id with another secret (secrets may contain "-": cut after the id). */
  const wrongSecret = (raw: string) => raw.replace(/^([a-z]+-cxp-[0-9a-f]{12}-).*$/, `$1${"Q".repeat(43)}`);
  const unknownId = (scheme: string) => `${scheme}${randomBytes(6).toString("hex")}-${"Q".repeat(43)}`;

  it("answers an unknown key and a wrong secret identically, with the same store reads", async () => {
    // Fresh credentials, not yet in the instance's cache, so the cold paths compare too.
    const mint = async (path: string, body: unknown) =>
      (await auth.admin("POST", path, body)).body.secret as string;
    const surfaces = [
      {
        path: "/backend-api/codex/responses",
        real: await mint("/keys", { pool: key.pool, label: "auth" }),
        scheme: "sk-cxp-",
      },
      {
        path: "/v1/chat/completions",
        real: await mint("/keys", { pool: key.pool, label: "auth" }),
        scheme: "sk-cxp-",
      },
      { path: "/mcp", real: await mint("/mcp-tokens", { label: "auth" }), scheme: "mcp-cxp-" },
      { path: "/admin/v1/pools", real: await mint("/admin-tokens", { label: "auth" }), scheme: "adm-cxp-" },
    ];
    for (const [i, surface] of surfaces.entries()) {
      const address = `127.0.1.${i + 1}`;
      const unknownKey = unknownId(surface.scheme);
      const reads = async (token: string) => {
        store.calls.clear();
        const answer = await from(address, surface.path, token);
        return { answer, reads: store.calls.get("credentials.get") ?? 0 };
      };
      const wrong = await reads(wrongSecret(surface.real));
      const unknown = await reads(unknownKey);
      expect(wrong.answer.status, surface.path).toBe(401);
      expect(unknown.answer.status, surface.path).toBe(wrong.answer.status);
      expect(unknown.answer.body, surface.path).toEqual(wrong.answer.body);
      expect(unknown.answer.headers["www-authenticate"], surface.path).toEqual(
        wrong.answer.headers["www-authenticate"],
      );
      // The same work either way: one lookup when the id is first seen, none once it is cached (the
      // unknown id as unknown).
      expect(unknown.reads, surface.path).toBe(wrong.reads);
      const again = [await reads(wrongSecret(surface.real)), await reads(unknownKey)];
      expect(
        again.map((a) => a.reads),
        surface.path,
      ).toEqual([0, 0]);
      expect(again[1]?.answer.body, surface.path).toEqual(again[0]?.answer.body);
    }
  });

  it("rate limits failed Pool-key attempts per client, and leaves keys that verify alone", async () => {
    const address = "127.0.2.1";
    const statuses: number[] = [];
    let limited: Awaited<ReturnType<typeof from>> | undefined;
    for (let i = 0; i < 40 && !limited; i++) {
      const answer = await from(address, "/backend-api/codex/responses", unknownId("sk-cxp-"));
      statuses.push(answer.status);
      if (answer.status === 429) limited = answer;
    }
    expect(statuses.slice(0, 30).every((s) => s === 401)).toBe(true);
    expect(limited?.status).toBe(429);
    expect(limited?.body.error).toMatchObject({
      code: "too_many_auth_failures",
      type: "invalid_request_error",
      param: null,
    });
    expect(Number(limited?.headers["retry-after"])).toBeGreaterThan(0);
    // Past its allowance a guess costs what it cost before (one lookup of a new id, none of a cached
    // one), and is answered 429.
    store.calls.clear();
    const fresh = unknownId("sk-cxp-");
    expect((await from(address, "/backend-api/codex/responses", fresh)).status).toBe(429);
    expect((await from(address, "/backend-api/codex/responses", fresh)).status).toBe(429);
    expect(store.calls.get("credentials.get") ?? 0).toBe(1);
    // A key that verifies still gets through from the same client: one never used (nor cached)
    // anywhere, and one this instance already knows.
    const unused = (await auth.admin("POST", "/keys", { pool: key.pool, label: "never used" })).body.secret;
    expect((await from(address, "/backend-api/codex/responses", unused)).status).toBe(200);
    const ok = await from("127.0.2.2", "/backend-api/codex/responses", key.key);
    expect(ok.status).toBe(200);
    expect((await from(address, "/backend-api/codex/responses", key.key)).status).toBe(200);
    // Another client is not affected, and successful requests never spend anything.
    for (let i = 0; i < 50; i++) {
      expect(
        (
          await from("127.0.2.3", "/v1/chat/completions", key.key, {
            model: "gpt-5.5",
            messages: [{ role: "user", content: "hi" }],
          })
        ).status,
      ).toBe(200);
    }
  });

  it("rate limits failed attempts on one key id across clients, without locking out its real secret", async () => {
    const id = key.key;
    const statuses: number[] = [];
    for (let i = 0; i < 14; i++) {
      statuses.push((await from(`127.0.3.${i + 1}`, "/v1/chat/completions", wrongSecret(id))).status);
    }
    expect(statuses.slice(0, 10)).toEqual(Array(10).fill(401));
    expect(statuses.slice(10)).toEqual(Array(4).fill(429));
    const real = await from("127.0.3.100", "/v1/chat/completions", id, {
      model: "gpt-5.5",
      messages: [{ role: "user", content: "hi" }],
    });
    expect(real.status).toBe(200);
  });

  it("rate limits failed admin and MCP token attempts too", async () => {
    for (const [path, scheme, rpc] of [
      ["/admin/v1/pools", "adm-cxp-", false],
      ["/mcp", "mcp-cxp-", true],
    ] as const) {
      const address = path === "/mcp" ? "127.0.4.1" : "127.0.4.2";
      let answer: Awaited<ReturnType<typeof from>> | undefined;
      for (let i = 0; i < 40; i++) {
        answer = await from(address, path, unknownId(scheme), {});
        if (answer.status === 429) break;
      }
      expect(answer?.status, path).toBe(429);
      expect(Number(answer?.headers["retry-after"]), path).toBeGreaterThan(0);
      if (rpc) expect(answer?.body).toMatchObject({ jsonrpc: "2.0", error: { code: -32000 } });
      else expect(answer?.body.error).toMatchObject({ code: "too_many_auth_failures" });
    }
    // Valid admin calls from another client are unaffected.
    const pools = await auth.admin("GET", "/pools");
    expect(pools.status).toBe(200);
  });
});
