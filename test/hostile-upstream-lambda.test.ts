// Hostile upstream status lines on the AWS path: the runtime entry (lambdas/runtime.ts, function URL
// events through the streaming adapter, the global fetch as its transport; turns, token refresh,
// model catalog) and the scheduled usage
// poll (lambdas/scheduled.ts), against the raw TCP upstream of test/fake-upstream/hostile.ts in front
// of the fake. As on the local host: another account takes the turn, a clear error when none is left,
// and the scheduled job counts its failures instead of failing the invocation.
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type HostileRequest, type HostileUpstream, startHostileUpstream } from "./fake-upstream/hostile.ts";
import { TEXT_TURN_BODY } from "./helpers/gateway.ts";
import { answerOf, expectWellFormed, NAMED, statusLine, usual } from "./helpers/hostile-status.ts";
import {
  type EventInput,
  invoke,
  type LambdaHarness,
  ORIGIN_VALUE,
  startLambdaHarness,
} from "./helpers/lambda.ts";

let aws: LambdaHarness;
let front: HostileUpstream;
let runtime: unknown;
let scheduled: (event: unknown) => Promise<Record<string, unknown>>;
let pools = 0;

async function seed(accounts: number, expired = false): Promise<{ pool: string; key: string }> {
  const pool = `hostile${++pools}`;
  expect((await aws.iamAdmin("POST", "/pools", { name: pool })).status).toBe(201);
  for (let i = 0; i < accounts; i++) {
    const account = aws.fake.createAccount({ initialAccessTokenTtlSeconds: expired ? 0 : undefined });
    const imported = await aws.iamAdmin("POST", "/accounts/import", { pool, authJson: account.authJson });
    expect(imported.status).toBe(201);
  }
  const key = await aws.iamAdmin("POST", "/keys", { pool, label: "hostile" });
  expect(key.status).toBe(201);
  return { pool, key: key.body.secret };
}

interface Caller {
  name: string;
  upstream: (req: HostileRequest) => boolean;
  event(key: string): EventInput;
  success(text: string): boolean;
  /** Mint access tokens already expired, so the turn refreshes first. */
  expired?: boolean;
  /** The status when no account is left and the answer was not HTTP (default 502). */
  unreachable?: number;
}

const post = (path: string, key: string, body: unknown): EventInput => ({
  method: "POST",
  path,
  headers: {
    "content-type": "application/json",
    authorization: `Bearer ${key}`,
    "x-origin-verify": ORIGIN_VALUE,
  },
  body: JSON.stringify(body),
});
const turns = (req: HostileRequest) => req.path === "/backend-api/codex/responses";

const CALLERS: Caller[] = [
  {
    name: "Codex SSE relay",
    upstream: turns,
    event: (key) => post("/backend-api/codex/responses", key, TEXT_TURN_BODY),
    success: (text) => text.includes("response.completed"),
  },
  {
    name: "/v1/chat/completions",
    upstream: turns,
    event: (key) =>
      post("/v1/chat/completions", key, { model: "gpt-5.5", messages: [{ role: "user", content: "hi" }] }),
    success: (text) => JSON.parse(text).object === "chat.completion",
  },
  {
    name: "token refresh",
    upstream: (req) => req.path === "/oauth/token",
    expired: true,
    // The account's login failed, as when the auth server cannot be reached.
    unreachable: 503,
    event: (key) => post("/backend-api/codex/responses", key, TEXT_TURN_BODY),
    success: (text) => text.includes("response.completed"),
  },
  {
    name: "model catalog",
    upstream: (req) => req.path.startsWith("/backend-api/codex/models"),
    event: (key) => ({
      method: "GET",
      path: "/v1/models",
      headers: { authorization: `Bearer ${key}`, "x-origin-verify": ORIGIN_VALUE },
    }),
    success: (text) => JSON.parse(text).data.length > 0,
  },
];

async function call(caller: Caller, key: string, what: string): Promise<{ status: number; text: string }> {
  const stream = await invoke(runtime, caller.event(key));
  const status = stream.prelude().statusCode as number;
  const text = stream.body();
  expectWellFormed(status, text, what);
  return { status, text };
}

beforeAll(async () => {
  front = await startHostileUpstream();
  aws = await startLambdaHarness({
    CODEX_UPSTREAM_BASE_URL: front.upstreamBaseUrl,
    CODEX_AUTH_BASE_URL: front.authBaseUrl,
  });
  front.target = aws.fake.url;
  runtime = await aws.entry("runtime", () => import("../lambdas/runtime.ts"));
  scheduled = await aws.entry("scheduled", () => import("../lambdas/scheduled.ts"));
});

afterAll(async () => {
  await aws?.close();
  await front?.close();
});

describe("odd upstream status lines, Lambda runtime", () => {
  for (const caller of CALLERS) {
    it(`${caller.name}: another account takes over from any status line`, async () => {
      await fc.assert(
        fc.asyncProperty(statusLine, async (line) => {
          const { key } = await seed(2, caller.expired);
          let spent = false;
          front.rule = (req) => {
            if (spent || !caller.upstream(req)) return undefined;
            spent = true;
            return answerOf(line);
          };
          const what = `${caller.name} after ${JSON.stringify(line)}`;
          const { status, text } = await call(caller, key, what);
          expect(spent, `${what}: the hostile answer was used`).toBe(true);
          if (Math.floor(line.status / 100) === 4 && status === line.status) return;
          expect(status, `${what}: ${text.slice(0, 300)}`).toBeLessThan(300);
          expect(caller.success(text), `${what}: ${text.slice(0, 300)}`).toBe(true);
        }),
        { numRuns: 6, examples: NAMED },
      );
      front.rule = undefined;
    });

    it(`${caller.name}: a clear error when no account is left`, async () => {
      await fc.assert(
        fc.asyncProperty(statusLine, async (line) => {
          const { key } = await seed(1, caller.expired);
          front.rule = (req) => (caller.upstream(req) ? answerOf(line) : undefined);
          const what = `${caller.name} after ${JSON.stringify(line)}`;
          const { status, text } = await call(caller, key, what);
          if (!usual(line.status)) {
            expect(status, `${what}: ${text.slice(0, 300)}`).toBe(caller.unreachable ?? 502);
          } else if (line.status !== 500) expect(status, `${what}: ${text.slice(0, 300)}`).not.toBe(500);
        }),
        { numRuns: 4, examples: NAMED },
      );
      front.rule = undefined;
    });
  }
});

describe("odd upstream status lines, scheduled usage poll", () => {
  it("counts each failed poll and returns", async () => {
    await seed(1);
    for (const [line] of [...NAMED, ...fc.sample(statusLine, 4).map((l) => [l] as [typeof l])]) {
      front.rule = (req) => (req.path === "/backend-api/wham/usage" ? answerOf(line) : undefined);
      const result = await scheduled({
        "detail-type": "Scheduled Event",
        source: "aws.events",
        id: crypto.randomUUID(),
        time: new Date().toISOString(),
        detail: { task: "usage-poll" },
      });
      expect(result, JSON.stringify(line)).toMatchObject({ task: "usage-poll" });
      // Only a 2xx with a usage body could count as polled; this one is an error body.
      if (Math.floor(line.status / 100) !== 2) expect(result.failed, JSON.stringify(line)).toBeGreaterThan(0);
    }
    front.rule = undefined;
  });
});
