// The runtime firewall and the failed-authentication throttle on the AWS path: the entries as
// deployed (runtime, console, MCP function URLs behind CloudFront, which passes the viewer's
// address; the WebSocket API's $connect, where API Gateway gives the caller's), over the app's
// whole route table for the firewall and over every credential kind for the throttle, directly
// and behind a configured trusted proxy (X-Forwarded-For).
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { waitFor } from "./helpers/gateway.ts";
import { invoke, type LambdaHarness, ORIGIN_VALUE, startLambdaHarness } from "./helpers/lambda.ts";
import {
  appRoutes,
  type CredentialKind,
  concretePath,
  firewallOpen,
  guessCredential,
  type RouteEntry,
} from "./helpers/route-table.ts";

type Kind = CredentialKind;
type Answer = { status: number; body: any };
type Entry = "runtime" | "console" | "mcp";

const PROXY = "192.0.2.10";
/** The function CloudFront sends a path to. */
/** The function CloudFront sends a path to (the console function also serves the key dashboard). */
const entryOf = (path: string): Entry =>
  path === "/mcp" ? "mcp" : /^\/(admin|observatory)(\/|$)/.test(path) ? "console" : "runtime";

let aws: LambdaHarness;
const entries = {} as Record<Entry, unknown>;
let websocket: (event: unknown) => Promise<{ statusCode: number; body?: string }>;
let routes: RouteEntry[];
let pool = "";
let poolKey = "";
let adminToken = "";
let mcpToken = "";

/** A viewer's request through CloudFront (origin header, viewer address) to the function serving it. */
async function call(
  route: { method: string; path: string },
  viewer: { address: string; forwardedFor?: string },
  token?: string,
): Promise<Answer> {
  const headers: Record<string, string> = {
    "x-origin-verify": ORIGIN_VALUE,
    "x-pooler-viewer-address": viewer.address,
    "content-type": "application/json",
  };
  if (token) headers.authorization = `Bearer ${token}`;
  if (viewer.forwardedFor) headers["x-forwarded-for"] = viewer.forwardedFor;
  const out = await invoke(entries[entryOf(route.path)], {
    method: route.method,
    path: concretePath(route.path),
    headers,
  });
  let body: unknown = out.body();
  try {
    body = JSON.parse(body as string);
  } catch {
    // HTML (console pages)
  }
  return { status: out.prelude().statusCode, body };
}

/** A WebSocket API `$connect`, as API Gateway invokes the routes function. */
async function connect(sourceIp: string, token: string, forwardedFor?: string): Promise<number> {
  const headers: Record<string, string> = { Authorization: `Bearer ${token}` };
  if (forwardedFor) headers["X-Forwarded-For"] = forwardedFor;
  const result = await websocket({
    requestContext: {
      routeKey: "$connect",
      eventType: "CONNECT",
      connectionId: randomBytes(8).toString("base64url"),
      identity: { sourceIp, userAgent: "test" },
      domainName: "ws.example",
      stage: "live",
      apiId: "api",
    },
    headers,
    isBase64Encoded: false,
  });
  return result.statusCode;
}

let seq = 0;
const viewer = (net = "198.18") => {
  seq++;
  return `${net}.${Math.floor(seq / 250)}.${(seq % 250) + 1}`;
};

const throttled = (answer: Answer) =>
  answer.status === 429 && /too many failed authentication attempts/.test(answer.body?.error?.message ?? "");
const denied = (answer: Answer) =>
  answer.status === 403 && answer.body?.error?.message === "client IP is not allowed";

beforeAll(async () => {
  aws = await startLambdaHarness({ POOLER_WEBSOCKET_WORKER_FUNCTION: "codex-pooler-test-WebSocketWorker" });
  entries.runtime = await aws.entry("runtime", () => import("../lambdas/runtime.ts"));
  entries.console = await aws.entry("console", () => import("../lambdas/console.ts"));
  entries.mcp = await aws.entry("mcp", () => import("../lambdas/mcp.ts"));
  websocket = await aws.entry("websocket", () => import("../lambdas/websocket.ts"));
  pool = `gate-${randomBytes(3).toString("hex")}`;
  expect((await aws.iamAdmin("POST", "/pools", { name: pool })).status).toBe(201);
  const account = aws.fake.createAccount();
  expect(
    (await aws.iamAdmin("POST", "/accounts/import", { pool, authJson: account.authJson, label: "gate" }))
      .status,
  ).toBe(201);
  poolKey = (await aws.iamAdmin("POST", "/keys", { pool, label: "gate" })).body.secret;
  adminToken = (await aws.iamAdmin("POST", "/admin-tokens", { label: "gate" })).body.secret;
  mcpToken = (await aws.iamAdmin("POST", "/mcp-tokens", { label: "gate" })).body.secret;
  expect(
    (await aws.iamAdmin("PATCH", "/settings", { firewall: { allow: [], trustedProxies: [PROXY] } })).status,
  ).toBe(200);
  routes = appRoutes();
}, 60_000);

afterAll(async () => {
  await aws?.close();
});

describe("the failed-authentication throttle on AWS", () => {
  const cases: { name: string; kind: Kind; route: { method: string; path: string }; valid: () => string }[] =
    [
      {
        name: "Pool key, runtime function",
        kind: "pool_key",
        route: { method: "GET", path: "/v1/models" },
        valid: () => poolKey,
      },
      {
        name: "Pool key, Codex usage",
        kind: "pool_key",
        route: { method: "GET", path: "/wham/usage" },
        valid: () => poolKey,
      },
      {
        name: "stored admin token, console function",
        kind: "admin_token",
        route: { method: "GET", path: "/admin/v1/keys" },
        valid: () => adminToken,
      },
      {
        name: "MCP token, MCP function",
        kind: "mcp_token",
        route: { method: "POST", path: "/mcp" },
        valid: () => mcpToken,
      },
    ];

  for (const { name, kind, route, valid } of cases) {
    for (const via of ["direct", "forwarded"] as const) {
      it(`charges guesses per client and never refuses a credential that verifies (${name}, ${via})`, async () => {
        const client = () => {
          const address = viewer();
          return via === "direct" ? { address } : { address: PROXY, forwardedFor: address };
        };
        const guesser = client();
        const statuses: number[] = [];
        for (let i = 0; i < 31; i++)
          statuses.push((await call(route, guesser, guessCredential(kind))).status);
        expect(statuses).toEqual([...Array(30).fill(401), 429]);
        expect(throttled(await call(route, guesser, guessCredential(kind)))).toBe(true);
        // The same address, past its allowance: the credential that verifies still gets in.
        const own = await call(route, guesser, valid());
        expect([401, 429]).not.toContain(own.status);
        // Another client (behind the same proxy when forwarded) keeps its whole allowance.
        expect((await call(route, client(), guessCredential(kind))).status).toBe(401);
      });
    }
  }

  for (const via of ["direct", "forwarded"] as const) {
    it(`charges guesses on $connect per client and never refuses a key that verifies (${via})`, async () => {
      const address = viewer("198.20");
      const attempt = (token: string) =>
        via === "direct" ? connect(address, token) : connect(PROXY, token, address);
      const statuses: number[] = [];
      for (let i = 0; i < 31; i++) statuses.push(await attempt(guessCredential("pool_key")));
      expect(statuses).toEqual([...Array(30).fill(401), 429]);
      expect(await attempt(poolKey)).toBe(200);
      const other = viewer("198.20");
      expect(
        await (via === "direct"
          ? connect(other, guessCredential("pool_key"))
          : connect(PROXY, guessCredential("pool_key"), other)),
      ).toBe(401);
    });
  }
});

describe("the runtime firewall on AWS", () => {
  it("refuses a denied viewer with 403 on every route but the health probes and the admin API, and on $connect", async () => {
    expect(
      (
        await aws.iamAdmin("PATCH", "/settings", {
          firewall: { allow: ["10.0.0.0/8"], trustedProxies: [PROXY] },
        })
      ).status,
    ).toBe(200);
    // Each function re-reads the settings after 5 s, serving the last value while it does
    // (docs/key-policy.md), so the change shows within a few requests.
    for (const probe of [
      { method: "GET", path: "/v1/models" },
      { method: "GET", path: "/admin" },
      { method: "POST", path: "/mcp" },
    ]) {
      await waitFor(async () => denied(await call(probe, { address: viewer("198.19") })), 8_000);
    }
    await waitFor(async () => ((await connect(viewer("198.19"), poolKey)) === 403 ? true : undefined), 8_000);
    const failures: string[] = [];
    for (const route of routes) {
      for (const client of [
        { address: viewer("198.19") },
        { address: PROXY, forwardedFor: viewer("198.19") },
      ]) {
        for (const token of [undefined, guessCredential("pool_key")]) {
          const answer = await call(route, client, token);
          if (denied(answer) === firewallOpen(route.path)) failures.push(`${route.name}: ${answer.status}`);
        }
      }
      const allowed = await call(route, { address: PROXY, forwardedFor: "10.1.2.3" });
      if (denied(allowed)) failures.push(`${route.name}: allowed viewer refused`);
    }
    expect(failures).toEqual([]);
    expect(await connect(viewer("198.19"), poolKey)).toBe(403);
    expect(await connect(PROXY, poolKey, viewer("198.19"))).toBe(403);
    expect(await connect(PROXY, poolKey, "10.1.2.4")).toBe(200);
  }, 60_000);
});
