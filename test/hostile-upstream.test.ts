// Hostile upstreams: property-based fuzzing (fast-check) of the upstream's status line — any three
// digits 000–999, a reason phrase of arbitrary bytes — through every upstream caller of the running
// local host (Codex SSE relay, /v1 chat completions and responses, model catalog, token refresh,
// files, audio, images) and of the Lambda runtime entry, from a raw TCP upstream (node:net) that
// writes what node:http never would. Then odd headers and framing, the background usage poll, and the
// caps on what the gateway holds from an upstream that never finishes an event. Nothing may crash the
// process; each client answer is well-formed: another account takes the turn when one is healthy,
// and when none is left the client gets a clear OpenAI-shaped error (502 for an answer that is not
// HTTP at all).
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { type HostileRequest, rawAnswer, startHostileUpstream } from "./fake-upstream/hostile.ts";
import { formatSse } from "./fake-upstream/index.ts";
import {
  type Seeded,
  startTestGateway,
  TEXT_TURN_BODY,
  type TestGateway,
  waitFor,
} from "./helpers/gateway.ts";
import { answerOf, expectWellFormed, NAMED, statusLine, usual } from "./helpers/hostile-status.ts";

/** A gateway that lost a request (an exception in a socket listener) must not hang the suite. */
const CLIENT_TIMEOUT_MS = 10_000;

/** The cap the local host runs with here (POOLER_MAX_UPSTREAM_EVENT_BYTES), small to keep tests quick. */
const EVENT_CAP = 65_536;

/** A 200 SSE head with no length: the body runs until the connection closes. */
const SSE_HEAD = "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\nconnection: close\r\n\r\n";

const many = (n: number) => Array.from({ length: n }, (_, i) => `x-h${i}: v\r\n`).join("");
/**
 * Answers whose status is fine but whose headers or framing are not. Each says `connection: close`
 * (the proxy closes after it): otherwise the gateway's agent could pool the socket as it closes and
 * lose the next request, to the healthy account, on it.
 */
const ODD_ANSWERS: [string, string][] = [
  ["3000 headers", `HTTP/1.1 200 OK\r\nconnection: close\r\n${many(3000)}content-length: 2\r\n\r\n{}`],
  [
    "a header value with control bytes",
    "HTTP/1.1 200 OK\r\nconnection: close\r\nx-bad: a\x01b\r\ncontent-length: 2\r\n\r\n{}",
  ],
  [
    "a header name with a space",
    "HTTP/1.1 200 OK\r\nconnection: close\r\nbad name: x\r\ncontent-length: 2\r\n\r\n{}",
  ],
  [
    "two different content-lengths",
    "HTTP/1.1 200 OK\r\nconnection: close\r\ncontent-length: 2\r\ncontent-length: 5\r\n\r\n{}",
  ],
  [
    "gzip that is not",
    "HTTP/1.1 200 OK\r\nconnection: close\r\ncontent-encoding: gzip\r\ncontent-length: 9\r\n\r\nnot gzip!",
  ],
  [
    "brotli that is not",
    "HTTP/1.1 200 OK\r\nconnection: close\r\ncontent-encoding: br\r\ncontent-length: 9\r\n\r\nnot br!!!",
  ],
  [
    "deflate that is not",
    "HTTP/1.1 200 OK\r\nconnection: close\r\ncontent-encoding: deflate\r\ncontent-length: 4\r\n\r\nnope",
  ],
  [
    "an unknown content-encoding",
    "HTTP/1.1 200 OK\r\nconnection: close\r\ncontent-encoding: zz\r\ncontent-length: 2\r\n\r\n{}",
  ],
  [
    "truncated chunked encoding",
    "HTTP/1.1 200 OK\r\nconnection: close\r\ntransfer-encoding: chunked\r\n\r\n10\r\nabc",
  ],
  ["a close mid-headers", "HTTP/1.1 200 OK\r\ncontent-ty"],
  ["a close before the status line ends", "HTTP/1.1 20"],
  ["not HTTP at all", "SSH-2.0-OpenSSH_9.6\r\n"],
  ["nothing at all", ""],
];

/** What the client got: status and text; throws unless a refusal is OpenAI-shaped JSON. */
async function wellFormed(response: Response, what: string): Promise<{ status: number; text: string }> {
  const text = await response.text();
  expectWellFormed(response.status, text, what);
  return { status: response.status, text };
}

interface Caller {
  name: string;
  /** The upstream request the hostile answer replaces. */
  upstream: (req: HostileRequest) => boolean;
  /** Mint access tokens already expired, so the turn refreshes first. */
  expired?: boolean;
  call(gwUrl: string, key: string): Promise<Response>;
  /** A successful answer looks like this (beyond a 2xx). */
  success(text: string): boolean;
  /** The status when the upstream cannot be reached at all and no account is left (default 502). */
  unreachable?: number;
  /** A 2xx with a body that is not the answer may not be replayed elsewhere (the work may be done). */
  noReplayOf2xx?: boolean;
}

const json = (url: string, key: string, body: unknown) =>
  fetch(url, {
    method: "POST",
    headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(CLIENT_TIMEOUT_MS),
  });
const form = (url: string, key: string, build: (f: FormData) => void) => {
  const f = new FormData();
  build(f);
  return fetch(url, {
    method: "POST",
    headers: { authorization: `Bearer ${key}` },
    body: f,
    signal: AbortSignal.timeout(CLIENT_TIMEOUT_MS),
  });
};
const path = (re: RegExp) => (req: HostileRequest) => re.test(req.path);
const completedSse = (text: string) => text.includes("response.completed");
const anyJson = (text: string) => {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
};

const CALLERS: Caller[] = [
  {
    name: "Codex SSE relay",
    upstream: path(/^\/backend-api\/codex\/responses$/),
    call: (url, key) => json(`${url}/backend-api/codex/responses`, key, TEXT_TURN_BODY),
    success: completedSse,
  },
  {
    name: "/v1/chat/completions",
    upstream: path(/^\/backend-api\/codex\/responses$/),
    call: (url, key) =>
      json(`${url}/v1/chat/completions`, key, {
        model: "gpt-5.5",
        messages: [{ role: "user", content: "hi" }],
      }),
    success: (text) => JSON.parse(text).object === "chat.completion",
  },
  {
    name: "/v1/chat/completions stream",
    upstream: path(/^\/backend-api\/codex\/responses$/),
    call: (url, key) =>
      json(`${url}/v1/chat/completions`, key, {
        model: "gpt-5.5",
        stream: true,
        messages: [{ role: "user", content: "hi" }],
      }),
    success: (text) => text.includes("data: [DONE]"),
  },
  {
    name: "/v1/responses",
    upstream: path(/^\/backend-api\/codex\/responses$/),
    call: (url, key) => json(`${url}/v1/responses`, key, { model: "gpt-5.5", input: "hi" }),
    success: (text) => JSON.parse(text).status === "completed",
  },
  {
    name: "model catalog",
    upstream: path(/^\/backend-api\/codex\/models/),
    call: (url, key) =>
      fetch(`${url}/v1/models`, {
        headers: { authorization: `Bearer ${key}` },
        signal: AbortSignal.timeout(CLIENT_TIMEOUT_MS),
      }),
    success: (text) => JSON.parse(text).data.length > 0,
  },
  {
    name: "token refresh",
    upstream: path(/^\/oauth\/token$/),
    expired: true,
    // The account's login failed, as when the auth server cannot be reached.
    unreachable: 503,
    call: (url, key) => json(`${url}/backend-api/codex/responses`, key, TEXT_TURN_BODY),
    success: completedSse,
  },
  {
    name: "files",
    noReplayOf2xx: true,
    upstream: path(/^\/backend-api\/files$/),
    call: (url, key) =>
      form(`${url}/v1/files`, key, (f) => {
        f.append("purpose", "user_data");
        f.append("file", new Blob([Buffer.from("notes")], { type: "text/plain" }), "notes.txt");
      }),
    success: (text) => JSON.parse(text).object === "file",
  },
  {
    name: "audio",
    noReplayOf2xx: true,
    upstream: path(/^\/backend-api\/transcribe$/),
    call: (url, key) =>
      form(`${url}/v1/audio/transcriptions`, key, (f) => {
        f.append("model", "gpt-4o-mini-transcribe");
        f.append("file", new Blob([Buffer.from("fake")], { type: "audio/mpeg" }), "a.mp3");
      }),
    success: (text) => typeof JSON.parse(text).text === "string",
  },
  {
    name: "/v1/images/generations",
    upstream: path(/^\/backend-api\/codex\/responses$/),
    call: (url, key) => json(`${url}/v1/images/generations`, key, { prompt: "a cat" }),
    success: (text) => JSON.parse(text).data.length === 1,
  },
  {
    name: "native images",
    noReplayOf2xx: true,
    upstream: path(/^\/backend-api\/codex\/images\/generations$/),
    call: (url, key) => json(`${url}/backend-api/codex/images/generations`, key, { prompt: "a cat" }),
    success: anyJson,
  },
];

describe("odd upstream status lines, local host", () => {
  let gw: TestGateway;
  const hostile = { current: undefined as Awaited<ReturnType<typeof startHostileUpstream>> | undefined };

  beforeAll(async () => {
    const front = await startHostileUpstream();
    hostile.current = front;
    gw = await startTestGateway({
      CODEX_UPSTREAM_BASE_URL: front.upstreamBaseUrl,
      CODEX_AUTH_BASE_URL: front.authBaseUrl,
      POOLER_MAX_UPSTREAM_EVENT_BYTES: String(EVENT_CAP),
    });
    front.target = gw.fake.url;
  });
  afterAll(async () => {
    await gw?.stop();
    await hostile.current?.close();
  });

  async function seed(caller: Caller, accounts: number): Promise<Seeded> {
    return gw.seed({ accounts, initialAccessTokenTtlSeconds: caller.expired ? 0 : undefined });
  }

  for (const caller of CALLERS) {
    it(`${caller.name}: another account takes over from any status line`, async () => {
      const front = hostile.current!;
      await fc.assert(
        fc.asyncProperty(statusLine, async (line) => {
          const { key } = await seed(caller, 2);
          let spent = false;
          front.rule = (req) => {
            if (spent || !caller.upstream(req)) return undefined;
            spent = true;
            return answerOf(line);
          };
          const what = `${caller.name} after ${JSON.stringify(line)}`;
          const { status, text } = await wellFormed(await caller.call(gw.url, key), what);
          expect(spent, `${what}: the hostile answer was used`).toBe(true);
          // A 4xx may be the request's own fault (relayed as is); anything else moves on.
          if (Math.floor(line.status / 100) === 4 && status === line.status) return;
          // A unary call the upstream answered 2xx is not sent again; its odd body is a clear 502.
          if (caller.noReplayOf2xx && Math.floor(line.status / 100) === 2 && status === 502) return;
          expect(status, `${what}: ${text.slice(0, 300)}`).toBeLessThan(300);
          expect(caller.success(text), `${what}: ${text.slice(0, 300)}`).toBe(true);
        }),
        { numRuns: 8, examples: NAMED },
      );
    });

    it(`${caller.name}: a clear error when no account is left`, async () => {
      const front = hostile.current!;
      await fc.assert(
        fc.asyncProperty(statusLine, async (line) => {
          const { key } = await seed(caller, 1);
          front.rule = (req) => (caller.upstream(req) ? answerOf(line) : undefined);
          const what = `${caller.name} after ${JSON.stringify(line)}`;
          const { status, text } = await wellFormed(await caller.call(gw.url, key), what);
          if (!usual(line.status)) {
            expect(status, `${what}: ${text.slice(0, 300)}`).toBe(caller.unreachable ?? 502);
          }
          // The gateway's own 500 means something threw; an upstream 500 may be relayed.
          else if (line.status !== 500) expect(status, `${what}: ${text.slice(0, 300)}`).not.toBe(500);
        }),
        { numRuns: 4, examples: NAMED },
      );
      front.rule = undefined;
    });
  }

  for (const caller of CALLERS) {
    it(`${caller.name}: odd headers and framing are an upstream failure like any other`, async () => {
      const front = hostile.current!;
      for (const [kind, answer] of ODD_ANSWERS) {
        const { key } = await seed(caller, 2);
        let spent = false;
        front.rule = (req) => {
          if (spent || !caller.upstream(req)) return undefined;
          spent = true;
          return answer;
        };
        const what = `${caller.name} after ${kind}`;
        const { status, text } = await wellFormed(await caller.call(gw.url, key), what);
        expect(spent, `${what}: the hostile answer was used`).toBe(true);
        // A lenient parse may read some of these as a 2xx with an odd body (see above).
        if (caller.noReplayOf2xx && status === 502) continue;
        expect(status, `${what}: ${text.slice(0, 300)}`).toBeLessThan(300);
        expect(caller.success(text), `${what}: ${text.slice(0, 300)}`).toBe(true);
      }
      front.rule = undefined;
    });
  }

  describe("what the gateway holds of an upstream event that never ends", () => {
    const turnCallers = CALLERS.filter((c) =>
      ["Codex SSE relay", "/v1/chat/completions", "/v1/responses"].includes(c.name),
    );
    const cases: [string, string][] = [
      // Opening events only, never a decisive one, and the connection stays open.
      [
        "opening events past the cap",
        formatSse({ type: "response.in_progress", pad: "x".repeat(1000) }).repeat(100),
      ],
      // One line with no end.
      [
        "an unterminated line past the cap",
        `data: {"type":"response.created","pad":"${"y".repeat(2 * EVENT_CAP)}`,
      ],
    ];
    for (const caller of turnCallers) {
      it(`${caller.name}: held-back bytes past the cap fail over before the first byte`, async () => {
        const front = hostile.current!;
        for (const [kind, body] of cases) {
          const { key } = await seed(caller, 2);
          let spent = false;
          front.rule = (req) => {
            if (spent || !caller.upstream(req)) return undefined;
            spent = true;
            return { bytes: SSE_HEAD + body, hold: true };
          };
          const what = `${caller.name} after ${kind}`;
          const { status, text } = await wellFormed(await caller.call(gw.url, key), what);
          expect(spent, what).toBe(true);
          expect(status, `${what}: ${text.slice(0, 300)}`).toBe(200);
          expect(caller.success(text), `${what}: ${text.slice(0, 300)}`).toBe(true);
          expect(text, what).not.toContain("pad");
        }
        front.rule = undefined;
      });
    }

    it("Codex SSE relay: an event past the cap after the first byte ends with a well-formed failure", async () => {
      const front = hostile.current!;
      const { key } = await seed(CALLERS[0]!, 1);
      const opening = formatSse({
        type: "response.output_item.added",
        output_index: 0,
        item: { id: "msg_1", type: "message", status: "in_progress", role: "assistant", content: [] },
      });
      front.rule = (req) =>
        CALLERS[0]!.upstream(req)
          ? {
              bytes: `${SSE_HEAD}${opening}data: {"type":"response.output_text.delta","delta":"${"z".repeat(3 * EVENT_CAP)}`,
              hold: true,
            }
          : undefined;
      const response = await json(`${gw.url}/backend-api/codex/responses`, key, TEXT_TURN_BODY);
      expect(response.status).toBe(200);
      const text = await response.text();
      const blocks = text.split("\n\n").filter((b) => b.trim() !== "");
      const last = blocks.at(-1)!;
      expect(last).toContain("event: response.failed");
      expect(
        JSON.parse(
          last
            .split("\n")
            .find((l) => l.startsWith("data:"))!
            .slice(5),
        ).response.error.code,
      ).toBe("upstream_event_too_large");
      front.rule = undefined;
    });
  });

  it("token refresh: a huge error from the auth server is stored as a short code", async () => {
    const front = hostile.current!;
    const seeded = await gw.seed({ accounts: 2, initialAccessTokenTtlSeconds: 0 });
    let spent = false;
    front.rule = (req) => {
      if (spent || req.path !== "/oauth/token") return undefined;
      spent = true;
      return rawAnswer(
        "400",
        "Bad Request",
        JSON.stringify({ error: `invalid_grant${"\u0007x".repeat(500_000)}` }),
      );
    };
    const { status } = await wellFormed(
      await json(`${gw.url}/backend-api/codex/responses`, seeded.key, TEXT_TURN_BODY),
      "a turn after a huge refresh error",
    );
    expect(spent).toBe(true);
    expect(status).toBe(200);
    const { body } = await gw.admin("GET", `/accounts?pool=${seeded.pool}`);
    const codes = body.data.map((a: { lastErrorCode: string | null }) => a.lastErrorCode).filter(Boolean);
    expect(codes).toHaveLength(1);
    expect(codes[0].length).toBeLessThanOrEqual(64);
    expect(codes[0]).toMatch(/^invalid_grantx+$/);
    front.rule = undefined;
  });

  it("Responses WebSocket: another account takes the connection from any handshake status line", async () => {
    const front = hostile.current!;
    const wsUrl = `${gw.url.replace("http", "ws")}/backend-api/codex/responses`;
    await fc.assert(
      fc.asyncProperty(statusLine, async (line) => {
        const { key } = await gw.seed({ accounts: 2 });
        let spent = false;
        front.rule = (req) => {
          if (spent || req.path !== "/backend-api/codex/responses" || req.method !== "GET") return undefined;
          spent = true;
          return answerOf(line);
        };
        const what = `WebSocket after ${JSON.stringify(line)}`;
        const ws = new WebSocket(wsUrl, { headers: { authorization: `Bearer ${key}` } });
        const opened = await new Promise<{ status?: number; body?: string }>((resolve, reject) => {
          ws.once("open", () => resolve({}));
          ws.once("unexpected-response", (_req, res) => {
            let body = "";
            res.on("data", (chunk) => {
              body += chunk;
            });
            res.on("end", () => resolve({ status: res.statusCode, body }));
          });
          ws.once("error", reject);
        });
        expect(spent, what).toBe(true);
        if (opened.status !== undefined) {
          // Only a 4xx that every account would give may refuse the upgrade, OpenAI-shaped.
          expect(Math.floor(line.status / 100), `${what}: ${opened.status} ${opened.body}`).toBe(4);
          expectWellFormed(opened.status, opened.body ?? "", what);
          return;
        }
        const terminal = await new Promise<any>((resolve) => {
          ws.on("message", (data) => {
            const event = JSON.parse(data.toString());
            if (["response.completed", "response.failed", "error"].includes(event.type)) resolve(event);
          });
          ws.send(JSON.stringify({ type: "response.create", ...TEXT_TURN_BODY }));
        });
        ws.close();
        expect(terminal.type, `${what}: ${JSON.stringify(terminal).slice(0, 300)}`).toBe(
          "response.completed",
        );
      }),
      { numRuns: 8, examples: NAMED },
    );
    front.rule = undefined;
  });

  it("still serves a turn afterwards", async () => {
    hostile.current!.rule = undefined;
    const { key } = await gw.seed({ accounts: 1 });
    const response = await json(`${gw.url}/backend-api/codex/responses`, key, TEXT_TURN_BODY);
    expect(response.status).toBe(200);
    expect(await response.text()).toContain("response.completed");
  });
});

describe("odd upstream answers to the background jobs, local host", () => {
  it("the usage poll and the token refresh sweep log each failure and carry on", async () => {
    const front = await startHostileUpstream();
    const gw = await startTestGateway({
      CODEX_UPSTREAM_BASE_URL: front.upstreamBaseUrl,
      CODEX_AUTH_BASE_URL: front.authBaseUrl,
      POOLER_USAGE_POLL_SECONDS: "1",
    });
    front.target = gw.fake.url;
    try {
      // Every status line the issue names, then generated ones, in turn for each background call.
      const lines = [...NAMED.map(([line]) => line), ...fc.sample(statusLine, 40)];
      let next = 0;
      const answered = (re: RegExp) => front.answered.filter((r) => re.test(r.path)).length;
      front.rule = (req) =>
        /^\/backend-api\/wham\/usage$|^\/oauth\/token$/.test(req.path)
          ? answerOf(lines[next++ % lines.length]!)
          : undefined;
      // Prepare: accounts to poll, and accounts whose tokens are due for a refresh.
      const { key } = await gw.seed({ accounts: 2 });
      await gw.seed({ accounts: 2, initialAccessTokenTtlSeconds: 0 });

      // Act: let the poll run for a few ticks.
      await waitFor(() => answered(/wham\/usage/) >= 10 && answered(/oauth\/token/) >= 2, 20_000);

      // Assess: each failure was logged (metadata only), the poll kept going, the gateway still serves.
      const warnings = gw.logLines.filter((l) => l.includes("usage poll failed"));
      expect(warnings.length).toBeGreaterThan(0);
      front.rule = undefined;
      const response = await fetch(`${gw.url}/backend-api/codex/responses`, {
        method: "POST",
        headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
        body: JSON.stringify(TEXT_TURN_BODY),
        signal: AbortSignal.timeout(CLIENT_TIMEOUT_MS),
      });
      expect(response.status).toBe(200);
      expect(await response.text()).toContain("response.completed");
    } finally {
      await gw.stop();
      await front.close();
    }
  });
});
