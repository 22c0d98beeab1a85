// Starts the real local host (embedded store, encrypted secrets, Node HTTP server) against a fake
// upstream, in a data directory under the repo (never /tmp: Codex refuses a CODEX_HOME there).

import { randomBytes } from "node:crypto";
import { mkdirSync, rmSync } from "node:fs";
import { request as httpRequest } from "node:http";
import { join, resolve } from "node:path";
import { afterAll, beforeAll } from "vitest";
import type { AlertSenders } from "../../src/core/alerts/sender.ts";
import type { Store } from "../../src/core/ports.ts";
import { loadConfig } from "../../src/server/config.ts";
import { type LocalGateway, startLocalGateway } from "../../src/server/local-host.ts";
import { type FakeUpstream, startFakeUpstream } from "../fake-upstream/index.ts";
import { sseMessages } from "./sse.ts";

export const REPO_ROOT = resolve(import.meta.dirname, "../..");

export function scratchDir(name: string): string {
  const dir = join(REPO_ROOT, ".test-tmp", `${name}-${randomBytes(4).toString("hex")}`);
  mkdirSync(dir, { recursive: true });
  return dir;
}

export interface TestGateway {
  url: string;
  adminToken: string;
  fake: FakeUpstream;
  local: LocalGateway;
  dataDir: string;
  logLines: string[];
  admin<T = any>(method: string, path: string, body?: unknown): Promise<{ status: number; body: T }>;
  /**
   * A client's POST to `path`: `body` as JSON (a string or bytes as they are), `key` as the bearer
   * token when given, then `init.headers`.
   */
  post(path: string, key: string | undefined, body?: unknown, init?: ClientInit): Promise<Response>;
  /** A Codex turn: `post` to /backend-api/codex/responses, by default with TEXT_TURN_BODY. */
  turn(key: string | undefined, body?: unknown, init?: ClientInit): Promise<Response>;
  /** The key's request-log rows (newest first), once there are at least `atLeast` of them. */
  requestLogs(keyId: string, atLeast?: number): Promise<any[]>;
  /** The key's newest request-log row that `match` accepts, once there is one. */
  requestLog(keyId: string, match: (row: any) => boolean): Promise<any>;
  /** Pool + imported accounts + a key, through the admin API. */
  seed(options?: SeedOptions): Promise<Seeded>;
  stop(): Promise<void>;
}

export interface ClientInit {
  headers?: Record<string, string>;
  signal?: AbortSignal;
}

export interface SeedOptions {
  pool?: string;
  accounts?: number;
  initialAccessTokenTtlSeconds?: number;
}

export interface Seeded {
  pool: string;
  key: string;
  keyId: string;
  accounts: { id: string; accountId: string; label: string; refreshToken: string }[];
}

export interface GatewayOptions {
  clock?: { now(): number };
  wrapStore?: (store: Store) => Store;
  alertSenders?: AlertSenders;
}

/** The env most HTTP tests start with: no SSE keep-alive comments between events. */
export const NO_KEEPALIVE = { POOLER_SSE_KEEPALIVE_MS: "0" };

export async function startTestGateway(
  env: Record<string, string> = {},
  options: GatewayOptions = {},
): Promise<TestGateway> {
  const fake = await startFakeUpstream();
  const dataDir = scratchDir("gw");
  const logLines: string[] = [];
  const config = loadConfig({
    PORT: "0",
    POOLER_DATA_DIR: dataDir,
    CODEX_UPSTREAM_BASE_URL: fake.upstreamBaseUrl,
    CODEX_AUTH_BASE_URL: fake.authBaseUrl,
    POOLER_SHUTDOWN_GRACE_MS: "2000",
    POOLER_USAGE_POLL_SECONDS: "0",
    ...env,
  });
  const local = await startLocalGateway(config, {
    clock: options.clock,
    wrapStore: options.wrapStore,
    alertSenders: options.alertSenders,
    logger: {
      info: (m, f) => logLines.push(JSON.stringify({ m, ...f })),
      warn: (m, f) => logLines.push(JSON.stringify({ m, ...f })),
      error: (m, f) => logLines.push(JSON.stringify({ m, ...f })),
    },
  });
  const adminToken = config.adminToken ?? (local.bootstrapAdminToken as string);
  const admin = async (method: string, path: string, body?: unknown) => {
    const send = () =>
      fetch(`${local.url}/admin/v1${path}`, {
        method,
        headers: { authorization: `Bearer ${adminToken}`, "content-type": "application/json" },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    // After a long pause (a test installing clients) a pooled keep-alive socket may be reset as it is
    // reused; such a request never reached the server, so one retry on a fresh socket is safe.
    const response = await send().catch((error: { cause?: { code?: string } }) => {
      if (error.cause?.code !== "ECONNRESET") throw error;
      return send();
    });
    return { status: response.status, body: await response.json() };
  };
  const post = (
    path: string,
    key: string | undefined,
    body?: unknown,
    { headers, signal }: ClientInit = {},
  ) =>
    fetch(`${local.url}${path}`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        ...(key === undefined ? {} : { authorization: `Bearer ${key}` }),
        ...headers,
      },
      signal,
      body:
        body === undefined || typeof body === "string" || body instanceof Uint8Array
          ? (body as BodyInit | undefined)
          : JSON.stringify(body),
    });
  const logsOf = async (keyId: string): Promise<any[]> =>
    (await admin("GET", `/request-logs?key=${encodeURIComponent(keyId)}&limit=100`)).body.data;
  let seq = 0;
  return {
    url: local.url,
    adminToken,
    fake,
    local,
    dataDir,
    logLines,
    admin,
    post,
    turn: (key, body = TEXT_TURN_BODY, init) => post("/backend-api/codex/responses", key, body, init),
    requestLogs: (keyId, atLeast = 1) =>
      waitFor(async () => {
        const rows = await logsOf(keyId);
        return rows.length >= atLeast ? rows : undefined;
      }),
    requestLog: (keyId, match) => waitFor(async () => (await logsOf(keyId)).find(match)),
    async seed(options = {}) {
      const pool = options.pool ?? `pool${++seq}`;
      const created = await admin("POST", "/pools", { name: pool });
      if (created.status !== 201) throw new Error(`pool create failed: ${JSON.stringify(created.body)}`);
      const accounts = [];
      for (let i = 0; i < (options.accounts ?? 2); i++) {
        const account = fake.createAccount({
          initialAccessTokenTtlSeconds: options.initialAccessTokenTtlSeconds,
        });
        const imported = await admin("POST", "/accounts/import", {
          pool,
          authJson: account.authJson,
          label: `${pool}-acct${i + 1}`,
        });
        if (imported.status !== 201) throw new Error(`import failed: ${JSON.stringify(imported.body)}`);
        accounts.push({
          id: imported.body.account.id,
          accountId: account.accountId,
          label: `${pool}-acct${i + 1}`,
          refreshToken: account.authJson.tokens.refresh_token,
        });
      }
      const key = await admin("POST", "/keys", { pool, label: "test" });
      if (key.status !== 201) throw new Error(`key create failed: ${JSON.stringify(key.body)}`);
      return { pool, key: key.body.secret, keyId: key.body.key.id, accounts };
    },
    async stop() {
      await local.stop();
      await fake.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * The gateway a test file (or a describe block) shares: started in beforeAll, with a Pool, accounts
 * and a key when `seed` is given, and stopped in afterAll. `gw` and `seeded` stand for those objects
 * once beforeAll has run, so tests and later hooks use them as the objects themselves; touching them
 * before then throws.
 */
export function useTestGateway(
  options: {
    /** The env, or a function that gives it when the gateway starts (after earlier beforeAll hooks). */
    env?: Record<string, string> | (() => Record<string, string>);
    seed?: SeedOptions;
  } & GatewayOptions = {},
): { gw: TestGateway; seeded: Seeded } {
  const { env, seed, ...gatewayOptions } = options;
  let gw: TestGateway | undefined;
  let seeded: Seeded | undefined;
  beforeAll(async () => {
    gw = await startTestGateway(typeof env === "function" ? env() : env, gatewayOptions);
    if (seed) seeded = await gw.seed(seed);
  });
  afterAll(async () => {
    await gw?.stop();
  });
  return {
    gw: standIn("the test gateway", () => gw),
    seeded: standIn(seed ? "the seeded Pool" : "`seeded` (useTestGateway without `seed`)", () => seeded),
  };
}

/** An object that forwards every property access to `current()`, which must exist by then. */
function standIn<T extends object>(what: string, current: () => T | undefined): T {
  const target = (): T => {
    const value = current();
    if (value === undefined) throw new Error(`${what} is not there: it exists from beforeAll on`);
    return value;
  };
  return new Proxy({} as T, {
    get: (_, key) => Reflect.get(target(), key),
    set: (_, key, value) => Reflect.set(target(), key, value),
    has: (_, key) => Reflect.has(target(), key),
    ownKeys: () => Reflect.ownKeys(target()),
    getOwnPropertyDescriptor: (_, key) => {
      const descriptor = Reflect.getOwnPropertyDescriptor(target(), key);
      return descriptor && { ...descriptor, configurable: true };
    },
  });
}

export const TEXT_TURN_BODY = {
  model: "gpt-5.5",
  stream: true,
  store: false,
  input: [{ type: "message", role: "user", content: [{ type: "input_text", text: "Say hi" }] }],
};

/** Reads an SSE response into its events (type + parsed data). */
export async function readSse(response: Response): Promise<{ type: string; data: any }[]> {
  return sseMessages(await response.text()).map(({ data }) => {
    const parsed = JSON.parse(data);
    return { type: parsed.type as string, data: parsed };
  });
}

export async function waitFor<T>(
  probe: () => Promise<T | undefined> | T | undefined,
  timeoutMs = 5000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error("waitFor timed out");
    await new Promise((r) => setTimeout(r, 25));
  }
}

/**
 * A POST that declares `contentLength` bytes and sends only `start`: the answer the server gives from
 * the declared size alone (the socket is closed once it has answered).
 */
export function postDeclaredLength(
  url: string,
  headers: Record<string, string>,
  contentLength: number,
  start = "{",
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const target = new URL(url);
    const req = httpRequest(
      {
        host: target.hostname,
        port: target.port,
        path: target.pathname,
        method: "POST",
        headers: { ...headers, "content-length": String(contentLength) },
      },
      (res) => {
        let body = "";
        res.setEncoding("utf8").on("data", (c: string) => {
          body += c;
        });
        res.on("end", () => {
          req.destroy();
          resolve({ status: res.statusCode ?? 0, body });
        });
      },
    );
    req.on("error", reject);
    req.write(start);
  });
}
