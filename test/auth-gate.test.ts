// The runtime firewall and the failed-authentication throttle over the whole route table of the app
// (read from Hono's `app.routes`, so a new route is covered the day it is added) and every
// credential kind: over plain HTTP and with `Upgrade: websocket`, directly and behind a configured
// trusted proxy (X-Forwarded-For). Through the real local host; loopback addresses 127.0.0.0/8 all
// reach it, so each case can be a client of its own.
import { randomBytes } from "node:crypto";
import { request as httpRequest } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_AUTH_THROTTLE } from "../src/core/access/auth-throttle.ts";
import { type Seeded, startTestGateway, type TestGateway } from "./helpers/gateway.ts";
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
type Client = { via: "direct" | "forwarded"; address: string };
type Transport = "http" | "upgrade";

const ENV_TOKEN = `env-admin-${randomBytes(12).toString("hex")}`;
/** Routes that take no credential at all: the probes, the console's page shells and files, MCP's preflight. */
const UNCREDENTIALED = [
  "GET /healthz",
  // First-run status for scripts: leaks only "pending" or "complete" (routes/health.ts).
  "GET /bootstrap/status",
  // The invite landing pages take the invite's one-time token in the path, not a header credential;
  // test/invites.test.ts covers their failed-guess throttle.
  "GET /onboarding/invites/:token",
  "POST /onboarding/invites/:token/start",
  "GET /admin/invites",
  // The key holder's dashboard: a Pool key in its sign-in form, then its own cookie session
  // (test/observatory.test.ts covers its failed sign-ins and sessions).
  "GET /observatory",
  "GET /observatory/login",
  "POST /observatory/login",
  "POST /observatory/logout",
  "GET /readyz",
  "GET /admin",
  "GET /admin/*",
  "GET /admin/accounts",
  "GET /admin/alerts",
  "GET /admin/assets/:name",
  "GET /admin/assets/:version/:name",
  "GET /admin/audit",
  "GET /admin/clients",
  "GET /admin/keys",
  "GET /admin/logs",
  "GET /admin/pools",
  "GET /admin/sign-in",
  "GET /admin/tokens",
  "POST /admin/no-script",
  "GET /admin/v1/openapi.json",
  "OPTIONS /mcp",
];

let gw: TestGateway;
let seeded: Seeded;
let routes: RouteEntry[];
const valid: Record<Kind, { name: string; token: string }[]> = {
  pool_key: [],
  admin_token: [],
  mcp_token: [],
};

let seq = 0;
/** A client no earlier request came from: its own loopback address, or its own forwarded one. */
function freshClient(via: Client["via"], forwardedNet = "198.18"): Client {
  seq++;
  const [hi, lo] = [Math.floor(seq / 250), (seq % 250) + 1];
  return via === "direct"
    ? { via, address: `127.20.${hi}.${lo}` }
    : { via, address: `${forwardedNet}.${hi}.${lo}` };
}

/** One request as `client`: forwarded ones come from 127.0.0.1, the configured trusted proxy. */
function send(
  route: { method: string; path: string },
  client: Client,
  transport: Transport,
  token?: string,
): Promise<Answer> {
  const headers: Record<string, string> = { "content-type": "application/json", "content-length": "0" };
  if (token) headers.authorization = `Bearer ${token}`;
  if (client.via === "forwarded") headers["x-forwarded-for"] = client.address;
  if (transport === "upgrade") {
    headers.connection = "Upgrade";
    headers.upgrade = "websocket";
  }
  const url = new URL(gw.url);
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        host: url.hostname,
        port: url.port,
        path: concretePath(route.path),
        method: route.method,
        localAddress: client.via === "direct" ? client.address : "127.0.0.1",
        agent: false,
        headers,
      },
      (res) => {
        let data = "";
        res.setEncoding("utf8").on("data", (chunk: string) => {
          data += chunk;
        });
        res.on("end", () => {
          let body: unknown = data;
          try {
            body = JSON.parse(data);
          } catch {
            // HTML (console pages), text
          }
          resolve({ status: res.statusCode ?? 0, body });
        });
      },
    );
    req.on("upgrade", (res, socket) => {
      socket.destroy();
      resolve({ status: res.statusCode ?? 0, body: undefined });
    });
    req.on("error", reject);
    req.end();
  });
}

/** The credential a route asks for, read from its answer to a request without one. */
function asksFor(answer: Answer): Kind | undefined {
  if (answer.status !== 401) return undefined;
  // The key dashboard's sign-in form (a Pool key in a form field, its own sessions): the page, not a
  // header credential; test/observatory.test.ts covers its failed sign-ins.
  if (typeof answer.body === "string" && answer.body.includes('data-page="observatory"')) return undefined;
  if (answer.body?.jsonrpc === "2.0") return "mcp_token";
  if (answer.body?.error?.code === "api_key_missing") return "pool_key";
  if (answer.body?.error?.code === "admin_token_invalid") return "admin_token";
  throw new Error(`an unexpected 401: ${JSON.stringify(answer.body)}`);
}

const throttled = (answer: Answer) =>
  answer.status === 429 &&
  (answer.body?.error?.code === "too_many_auth_failures" ||
    /too many failed authentication attempts/.test(answer.body?.error?.message ?? ""));

/** The same refusal on every route: 403 `access_denied`, in JSON-RPC on /mcp. */
const denied = (answer: Answer) =>
  answer.status === 403 &&
  (answer.body?.error?.code === "access_denied" ||
    answer.body?.error?.message === "client IP is not allowed");

const setFirewall = async (firewall: Record<string, unknown>) =>
  expect((await gw.admin("PATCH", "/settings", { firewall })).status).toBe(200);

beforeAll(async () => {
  gw = await startTestGateway({ POOLER_ADMIN_TOKEN: ENV_TOKEN });
  seeded = await gw.seed({ pool: "gate", accounts: 1 });
  const stored = await gw.admin("POST", "/admin-tokens", { label: "gate" });
  const mcp = await gw.admin("POST", "/mcp-tokens", { label: "gate" });
  valid.pool_key.push({ name: "Pool key", token: seeded.key });
  valid.admin_token.push(
    { name: "environment admin token", token: ENV_TOKEN },
    { name: "stored admin token", token: stored.body.secret },
  );
  valid.mcp_token.push({ name: "MCP token", token: mcp.body.secret });
  routes = appRoutes();
  expect(routes.length).toBeGreaterThan(90);
  await setFirewall({ allow: [], trustedProxies: ["127.0.0.1"], clientIpSource: "x_forwarded_for" });
});

afterAll(async () => {
  await gw?.stop();
});

describe("the failed-authentication throttle on every route", () => {
  let kinds: Map<string, Kind | undefined>;

  beforeAll(async () => {
    // One failure spends a client's whole allowance (and nothing refills during the test), so the
    // second guess from the same address must be refused on every path that reads a credential.
    gw.local.gateway.throttle.reset({
      client: { burst: 1, perMinute: 0.0001 },
      credential: { burst: 1000, perMinute: 1000 },
      envToken: { burst: 1, perMinute: 0.0001 },
    });
    kinds = new Map();
    for (const route of routes)
      kinds.set(route.name, asksFor(await send(route, freshClient("direct"), "http")));
  });

  afterAll(() => {
    gw.local.gateway.throttle.reset(DEFAULT_AUTH_THROTTLE);
  });

  it("finds a credential on every route but the known open ones", () => {
    const open = routes.filter((r) => kinds.get(r.name) === undefined).map((r) => r.name);
    expect(open.sort()).toEqual([...UNCREDENTIALED].sort());
    const byKind = (kind: Kind) => routes.filter((r) => kinds.get(r.name) === kind).length;
    expect(byKind("pool_key")).toBeGreaterThan(20);
    expect(byKind("admin_token")).toBeGreaterThan(40);
    expect(byKind("mcp_token")).toBe(1);
  });

  for (const transport of ["http", "upgrade"] as const) {
    for (const via of ["direct", "forwarded"] as const) {
      it(`charges every guess and lets every credential that verifies through (${transport}, ${via})`, async () => {
        const failures: string[] = [];
        for (const route of routes) {
          const kind = kinds.get(route.name);
          if (!kind) continue;
          // An upgrade request on a route with a body is refused before any credential is read.
          if (transport === "upgrade" && route.method !== "GET") {
            const answer = await send(route, freshClient(via), transport, guessCredential(kind));
            if (answer.status !== 400) failures.push(`${route.name}: upgrade answered ${answer.status}`);
            continue;
          }
          // Every case a client of its own: forwarded ones all arrive from the same proxy, so a
          // throttle keyed on the peer would refuse the first guess of every case after the first.
          const client = freshClient(via);
          const first = await send(route, client, transport, guessCredential(kind));
          const second = await send(route, client, transport, guessCredential(kind));
          if (first.status !== 401) failures.push(`${route.name}: first guess answered ${first.status}`);
          if (!throttled(second)) failures.push(`${route.name}: second guess answered ${second.status}`);
          // The address has spent its allowance; a credential that verifies is still never refused.
          for (const credential of valid[kind]) {
            const answer = await send(route, client, transport, credential.token);
            if (answer.status === 401 || answer.status === 429) {
              failures.push(`${route.name}: ${credential.name} answered ${answer.status}`);
            }
          }
        }
        expect(failures).toEqual([]);
      });
    }
  }
});

describe("the failed-authentication throttle between clients", () => {
  it("keys on the forwarded client: one client's guesses neither lock out another nor the valid keys", async () => {
    gw.local.gateway.throttle.reset(DEFAULT_AUTH_THROTTLE);
    const keys = { method: "GET", path: "/admin/v1/keys" };
    const models = { method: "GET", path: "/v1/models" };
    const mallory = freshClient("forwarded", "198.20");
    const alice = freshClient("forwarded", "198.20");
    // The case: 30 bad Pool keys from one address, then the 31st is refused.
    const statuses: number[] = [];
    for (let i = 0; i < 31; i++)
      statuses.push((await send(models, mallory, "http", guessCredential("pool_key"))).status);
    expect(statuses).toEqual([...Array(30).fill(401), 429]);
    // From that same address: a Pool key never used anywhere, the environment admin token and a
    // stored admin token all verify.
    const unused = (await gw.admin("POST", "/keys", { pool: seeded.pool, label: "unused" })).body.secret;
    expect((await send(models, mallory, "http", unused)).status).toBe(200);
    for (const { token } of valid.admin_token) {
      expect((await send(keys, mallory, "http", token)).status).toBe(200);
      expect((await send(keys, mallory, "upgrade", token)).status).toBe(200);
    }
    // Another client behind the same proxy still has its whole allowance.
    expect((await send(models, alice, "http", guessCredential("pool_key"))).status).toBe(401);
    expect((await send(models, alice, "http", seeded.key)).status).toBe(200);
  });

  it("counts an IPv6 client by its /64: addresses in one prefix share an allowance, another prefix has its own", async () => {
    gw.local.gateway.throttle.reset({
      ...DEFAULT_AUTH_THROTTLE,
      client: { burst: 1, perMinute: 0.0001 },
    });
    const models = { method: "GET", path: "/v1/models" };
    const from = (address: string) => ({ via: "forwarded", address }) as const;
    expect((await send(models, from("2001:db8:1:2::a"), "http", guessCredential("pool_key"))).status).toBe(
      401,
    );
    expect(
      throttled(await send(models, from("2001:db8:1:2:ffff::b"), "http", guessCredential("pool_key"))),
    ).toBe(true);
    expect((await send(models, from("2001:db8:1:3::a"), "http", guessCredential("pool_key"))).status).toBe(
      401,
    );
    // Still never in the way of a key that verifies.
    expect((await send(models, from("2001:db8:1:2::c"), "http", seeded.key)).status).toBe(200);
    gw.local.gateway.throttle.reset(DEFAULT_AUTH_THROTTLE);
  });

  it("limits guesses at the environment admin token per address, on the upgrade path too, without locking out others", async () => {
    // The environment token's own bucket (all addresses) is smaller than one address's guesses, so
    // the guesser spends it too.
    gw.local.gateway.throttle.reset({
      client: { burst: 100, perMinute: 30 },
      credential: { burst: 3, perMinute: 0.0001 },
      envToken: { burst: 5, perMinute: 0.0001 },
    });
    // The bypass: a wrong token on an admin GET with `Upgrade: websocket`.
    const keys = { method: "GET", path: "/admin/v1/keys" };
    const guesser = freshClient("forwarded", "198.21");
    const statuses: number[] = [];
    for (let i = 0; i < 8; i++) {
      statuses.push(
        (await send(keys, guesser, "upgrade", `not-the-env-token-${i}-${"x".repeat(16)}`)).status,
      );
    }
    expect(statuses).toEqual([...Array(3).fill(401), ...Array(5).fill(429)]);
    // Past its guesses the address is not compared with the environment token at all, so even the
    // right one is refused from there: guesses at it are bounded.
    const fromGuesser = await send(keys, guesser, "http", ENV_TOKEN);
    expect(throttled(fromGuesser)).toBe(true);
    // The operator is not locked out: a stored admin token from that address, and the environment
    // token from any other address, though the token's own bucket is spent (another address's
    // wrong token is answered 429 for it, and the right one from there still gets in).
    expect((await send(keys, guesser, "http", valid.admin_token[1]?.token)).status).toBe(200);
    expect((await send(keys, freshClient("forwarded", "198.21"), "upgrade", ENV_TOKEN)).status).toBe(200);
    expect((await send(keys, freshClient("direct"), "http", ENV_TOKEN)).status).toBe(200);
    const other = freshClient("forwarded", "198.21");
    expect(throttled(await send(keys, other, "http", "another-wrong-token-0000"))).toBe(true);
    expect((await send(keys, other, "http", ENV_TOKEN)).status).toBe(200);
    gw.local.gateway.throttle.reset(DEFAULT_AUTH_THROTTLE);
  });
});

describe("the runtime firewall on every route", () => {
  afterAll(async () => {
    await setFirewall({ allow: [], trustedProxies: ["127.0.0.1"] });
  });

  it("refuses a denied address with 403 on every route but the health probes and the admin API", async () => {
    await setFirewall({ allow: ["10.0.0.0/8"], trustedProxies: ["127.0.0.1"] });
    const failures: string[] = [];
    for (const transport of ["http", "upgrade"] as const) {
      for (const via of ["direct", "forwarded"] as const) {
        for (const route of routes) {
          // Refused before any credential is read: a guess gets the same answer as nothing at all.
          for (const token of [undefined, guessCredential("pool_key")]) {
            const answer = await send(route, freshClient(via, "198.19"), transport, token);
            const refused = denied(answer);
            if (refused === firewallOpen(route.path)) {
              failures.push(`${route.name} (${transport}, ${via}): ${answer.status}`);
            }
          }
        }
      }
    }
    expect(failures).toEqual([]);
    // An allowed client behind the proxy reaches every route (nothing answers it 403).
    const allowed = { via: "forwarded", address: "10.1.2.3" } as const;
    for (const route of routes) {
      const answer = await send(route, allowed, "http");
      if (denied(answer)) failures.push(`${route.name}: allowed client refused`);
    }
    expect(failures).toEqual([]);
    // With the valid key, the usage routes the allow-list missed before answer 403 now.
    for (const path of ["/wham/usage", "/api/codex/usage"]) {
      expect(denied(await send({ method: "GET", path }, freshClient("direct"), "http", seeded.key))).toBe(
        true,
      );
      expect((await send({ method: "GET", path }, allowed, "http", seeded.key)).status).toBe(200);
    }
  });
});
