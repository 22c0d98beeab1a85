// Contract test for the `pooler` CLI: a node:http stub of the admin API records every request, and the
// real CLI runs against it as a child process (plus a few in-process runs of the same entry function
// for the cheap per-command routing checks).
import { spawn } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import type { IncomingMessage, Server, ServerResponse } from "node:http";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseLimit } from "../src/cli/options.ts";
import { runPooler } from "./helpers/cli.ts";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const CLI_TS = join(ROOT, "bin", "pooler-cli.ts");
const CLI_SHIM = join(ROOT, "bin", "pooler.js");

const ADMIN_TOKEN = "pat_admin_0f1e2d3c4b5a69788796a5b4c3d2e1f0";
const KEY_SECRET = "sk-cxp-0123456789abQ7vYt2mK9pLx4nR8sW3eH6jB1cD5fG0a";
const ROTATED_SECRET = "sk-cxp-0123456789abZZr0tat3dN3wS3cr3tV4lu3xYz98765";
const MCP_SECRET = "mcp-cxp-a1b2c3d4e5f6Jk8Lm2Nq4Rs6Tu8Vw0Xy2Za4Bc6De8";

const POOL = {
  name: "default",
  strategy: "rotation",
  createdAt: "2025-06-01T10:00:00.000Z",
  updatedAt: "2025-06-02T08:30:00.000Z",
  accountCount: 2,
  keyCount: 1,
};
const ACCOUNT = {
  id: "acc_01JX8Q2M4W",
  label: "work-plus",
  pools: ["default"],
  status: "active",
  planType: "plus",
  email: "j***@example.com",
  accessTokenExpiresAt: "2025-06-11T10:00:00.000Z",
  lastRefreshAt: "2025-06-01T10:00:00.000Z",
  lastUsedAt: null,
  lastErrorCode: null,
  createdAt: "2025-06-01T10:00:00.000Z",
};
const API_KEY = {
  id: "key_01JX8Q7T3B",
  prefix: "sk-cxp-0123456789ab",
  pool: "default",
  label: "ci",
  status: "active",
  createdAt: "2025-06-01T10:05:00.000Z",
  updatedAt: "2025-06-01T10:05:00.000Z",
  lastUsedAt: null,
  revokedAt: null,
};
const MCP_TOKEN = {
  id: "mcp_01JX8QA0ZC",
  prefix: "mcp-cxp-a1b2c3d4e5f6",
  label: "claude",
  status: "active",
  createdAt: "2025-06-01T10:06:00.000Z",
  updatedAt: "2025-06-01T10:06:00.000Z",
  lastUsedAt: null,
};
const REQUEST_LOGS = [
  {
    id: "req_01JX8R0001",
    at: "2025-06-02T09:15:04.120Z",
    pool: "default",
    keyId: API_KEY.id,
    accountLabel: "work-plus",
    route: "/v1/responses",
    method: "POST",
    transport: "http_sse",
    model: "gpt-5-codex",
    status: 200,
    errorCode: null,
    attempts: 1,
    durationMs: 8421,
    ttfbMs: 612,
    usage: {
      inputTokens: 12034,
      cachedTokens: 11008,
      outputTokens: 873,
      reasoningTokens: 512,
      totalTokens: 12907,
    },
  },
  {
    id: "req_01JX8R0000",
    at: "2025-06-02T09:14:58.003Z",
    pool: "default",
    keyId: API_KEY.id,
    accountLabel: null,
    route: "/v1/responses",
    method: "POST",
    transport: "http_json",
    model: "gpt-5-codex",
    status: 429,
    errorCode: "pool_exhausted",
    attempts: 2,
    durationMs: 311,
    ttfbMs: null,
    usage: null,
  },
];
const AUDIT_EVENTS = [
  {
    id: "aud_01JX8Q7T3C",
    at: "2025-06-01T10:05:00.000Z",
    actor: "admin:adm_01JX8P",
    action: "key.create",
    targetType: "key",
    targetId: API_KEY.id,
    outcome: "success",
    details: { pool: "default", label: "ci" },
  },
];
const IMPORT_WARNINGS = ["access token expires in less than 24h; it will be refreshed on first use"];

interface Recorded {
  method: string;
  path: string;
  query: Record<string, string>;
  authorization: string | undefined;
  contentType: string | undefined;
  body: unknown;
}

type Reply = [status: number, body: unknown];

function apiError(status: number, message: string, code: string, type = "invalid_request_error"): Reply {
  return [status, { error: { message, type, code, param: null } }];
}

/** Canned admin API: just enough of the contract, keyed on method + path (after the test prefix). */
function route(method: string, path: string, body: unknown): Reply {
  const b = (body ?? {}) as Record<string, unknown>;
  const m = /^\/admin\/v1\/(accounts|keys|mcp-tokens)\/([^/]+)(?:\/([a-z]+))?$/.exec(path);
  if (m) {
    const [, kind, id = "", action] = m;
    if (id === "missing") return apiError(404, `${kind} ${id} not found`, "not_found");
    if (kind === "accounts" && method === "DELETE" && !action) return [200, { id, deleted: true }];
    if (kind === "accounts" && method === "POST" && (action === "pause" || action === "resume")) {
      return [200, { account: { ...ACCOUNT, id, status: action === "pause" ? "paused" : "active" } }];
    }
    if (kind === "keys" && method === "POST" && action === "rotate") {
      return [200, { key: { ...API_KEY, id }, secret: ROTATED_SECRET }];
    }
    if (
      kind === "keys" &&
      method === "POST" &&
      (action === "pause" || action === "resume" || action === "revoke")
    ) {
      const status = { pause: "paused", resume: "active", revoke: "revoked" }[action];
      return [200, { key: { ...API_KEY, id, status } }];
    }
    if (kind === "mcp-tokens" && method === "POST" && action === "revoke") {
      return [200, { token: { ...MCP_TOKEN, id, status: "revoked" } }];
    }
  }
  switch (`${method} ${path}`) {
    case "POST /admin/v1/pools":
      if (b.name === "dup") return apiError(409, 'pool "dup" already exists', "pool_exists");
      return [
        201,
        { pool: { ...POOL, name: b.name, strategy: b.strategy ?? "rotation", accountCount: 0, keyCount: 0 } },
      ];
    case "GET /admin/v1/pools":
      return [200, { data: [POOL, { ...POOL, name: "team-b", accountCount: 0, keyCount: 0 }] }];
    case "POST /admin/v1/accounts/import":
      return [201, { account: { ...ACCOUNT, label: b.label ?? ACCOUNT.label }, warnings: IMPORT_WARNINGS }];
    case "GET /admin/v1/accounts":
      return [200, { data: [ACCOUNT] }];
    case "POST /admin/v1/keys":
      return [201, { key: { ...API_KEY, pool: b.pool, label: b.label ?? null }, secret: KEY_SECRET }];
    case "GET /admin/v1/keys":
      return [200, { data: [API_KEY] }];
    case "POST /admin/v1/mcp-tokens":
      return [201, { token: { ...MCP_TOKEN, label: b.label ?? null }, secret: MCP_SECRET }];
    case "GET /admin/v1/mcp-tokens":
      return [200, { data: [MCP_TOKEN] }];
    case "GET /admin/v1/request-logs":
      return [200, { data: REQUEST_LOGS, nextCursor: null }];
    case "GET /admin/v1/audit-events":
      return [200, { data: AUDIT_EVENTS, nextCursor: null }];
    case "GET /admin/v1/settings":
      return [200, { settings: { mcpEnabled: true, updatedAt: null } }];
    case "PATCH /admin/v1/settings": {
      const firewall = (b.firewall ?? {}) as { allow?: string[] };
      return [
        200,
        {
          settings: {
            mcpEnabled: b.mcpEnabled ?? true,
            firewall: {
              allow: [],
              trustedProxies: [],
              clientIpSource: "x_forwarded_for",
              proxyDepth: 0,
              ...firewall,
              enabled: (firewall.allow ?? []).length > 0,
            },
            updatedAt: "2026-11-25T10:00:00.000Z",
          },
        },
      ];
    }
    default:
      return apiError(404, `no route for ${method} ${path}`, "not_found");
  }
}

let server: Server;
let baseUrl = "";
let tmp = "";
/** Requests per test scope: every test talks to `${baseUrl}/t/<scope>` so concurrent tests don't mix. */
const recorded = new Map<string, Recorded[]>();
let scopeSeq = 0;

function newScope(): { url: string; requests: () => Recorded[] } {
  const scope = `s${++scopeSeq}`;
  return { url: `${baseUrl}/t/${scope}`, requests: () => recorded.get(scope) ?? [] };
}

async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const raw = Buffer.concat(chunks).toString("utf8");
  const url = new URL(req.url ?? "/", "http://stub");
  const scoped = /^\/t\/([^/]+)(\/.*)$/.exec(url.pathname);
  const scope = scoped?.[1] ?? "";
  const path = scoped?.[2] ?? url.pathname;
  let body: unknown = null;
  try {
    body = raw ? JSON.parse(raw) : null;
  } catch {
    body = raw;
  }
  const entry: Recorded = {
    method: req.method ?? "",
    path,
    query: Object.fromEntries(url.searchParams),
    authorization: req.headers.authorization,
    contentType: req.headers["content-type"],
    body,
  };
  recorded.set(scope, [...(recorded.get(scope) ?? []), entry]);

  const [status, payload] =
    req.headers.authorization === `Bearer ${ADMIN_TOKEN}`
      ? route(entry.method, path, body)
      : apiError(401, "invalid admin token", "invalid_admin_token", "authentication_error");
  res.writeHead(status, { "content-type": "application/json" });
  res.end(JSON.stringify(payload));
}

interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

interface RunOptions {
  url?: string;
  token?: string | null;
  stdin?: string;
  shim?: boolean;
}

/** Runs the real CLI in a child process. */
function pooler(args: string[], options: RunOptions = {}): Promise<RunResult> {
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env.POOLER_URL;
  delete env.POOLER_ADMIN_TOKEN;
  if (options.url !== undefined) env.POOLER_URL = options.url;
  if (options.token !== null) env.POOLER_ADMIN_TOKEN = options.token ?? ADMIN_TOKEN;
  const argv = options.shim ? [CLI_SHIM, ...args] : ["--import", "tsx", CLI_TS, ...args];
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, argv, { cwd: ROOT, env, stdio: ["pipe", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => {
      stdout += d;
    });
    child.stderr.setEncoding("utf8").on("data", (d: string) => {
      stderr += d;
    });
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(options.stdin ?? "");
  });
}

/** Runs the same CLI entry function in-process (cheap; used for the per-command routing table). */
function poolerInProcess(args: string[], url: string): Promise<RunResult> {
  return runPooler(args, { env: { POOLER_URL: url, POOLER_ADMIN_TOKEN: ADMIN_TOKEN } });
}

function lines(text: string): string[] {
  return text.split("\n").filter((line) => line !== "");
}

function expectOneErrorLine(result: RunResult): string {
  expect(result.code).toBe(1);
  expect(result.stderr.endsWith("\n")).toBe(true);
  const errLines = lines(result.stderr);
  expect(errLines).toHaveLength(1);
  expect(errLines[0]).toMatch(/^error: \S/);
  expect(result.stderr).not.toMatch(/\bat .+:\d+:\d+\)?$/m); // no stack trace
  return errLines[0] ?? "";
}

beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), "pooler-cli-test-"));
  server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      res.writeHead(500).end(String(err));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await rm(tmp, { recursive: true, force: true });
});

describe.concurrent("pooler CLI contract (child process)", () => {
  it("pool create: POST /admin/v1/pools with bearer auth and JSON body", async () => {
    const s = newScope();
    const r = await pooler(["pool", "create", "team-a", "--strategy", "rotation"], { url: s.url });
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(s.requests()).toEqual([
      {
        method: "POST",
        path: "/admin/v1/pools",
        query: {},
        authorization: `Bearer ${ADMIN_TOKEN}`,
        contentType: "application/json",
        body: { name: "team-a", strategy: "rotation" },
      },
    ]);
    expect(r.stdout).toContain("team-a");
  });

  it("pool list: aligned table via the bin/pooler.js shim; --json prints the API response", async () => {
    const s = newScope();
    const [human, json] = await Promise.all([
      pooler(["pool", "list"], { url: s.url, shim: true }),
      pooler(["--json", "pool", "list"], { url: s.url }),
    ]);
    expect(human.code).toBe(0);
    const [header, ...rows] = lines(human.stdout);
    expect(header).toMatch(/^NAME\s+STRATEGY\s+RING\s+ACCOUNTS\s+KEYS\s+CREATED/);
    expect(rows).toHaveLength(2);
    expect(rows[0]).toMatch(/^default\s+rotation\s+-\s+2\s+1\s+2025-06-01 10:00:00Z/);
    expect(header?.indexOf("STRATEGY")).toBe(rows[1]?.indexOf("rotation"));
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toEqual({
      data: [POOL, { ...POOL, name: "team-b", accountCount: 0, keyCount: 0 }],
    });
    expect(s.requests().map((q) => `${q.method} ${q.path}`)).toEqual([
      "GET /admin/v1/pools",
      "GET /admin/v1/pools",
    ]);
  });

  it("key create: the raw key is the last stdout line and appears nowhere else", async () => {
    const s = newScope();
    const r = await pooler(["key", "create", "--pool", "default", "--label", "ci"], { url: s.url });
    expect(r.code).toBe(0);
    expect(s.requests()[0]).toMatchObject({
      method: "POST",
      path: "/admin/v1/keys",
      authorization: `Bearer ${ADMIN_TOKEN}`,
      body: { pool: "default", label: "ci" },
    });
    expect(r.stdout.endsWith(`\n${KEY_SECRET}\n`)).toBe(true);
    expect(r.stdout.split(KEY_SECRET)).toHaveLength(2); // exactly once
    expect(r.stdout).toMatch(/only time/i);
    expect(r.stdout).toContain(API_KEY.prefix);
    expect(r.stderr).toBe("");
  });

  it("key create --json: prints the JSON response, secret included", async () => {
    const s = newScope();
    const r = await pooler(["key", "create", "--pool", "default", "--json"], { url: s.url });
    expect(r.code).toBe(0);
    expect(s.requests()[0]?.body).toEqual({ pool: "default" });
    const parsed = JSON.parse(r.stdout) as { key: { id: string }; secret: string };
    expect(parsed.secret).toBe(KEY_SECRET);
    expect(parsed.key.id).toBe(API_KEY.id);
  });

  it("key rotate and mcp-token create: the new secret is the last stdout line", async () => {
    const s = newScope();
    const [rotate, mcp] = await Promise.all([
      pooler(["key", "rotate", API_KEY.id], { url: s.url }),
      pooler(["mcp-token", "create", "--label", "claude"], { url: s.url }),
    ]);
    expect(rotate.code).toBe(0);
    expect(lines(rotate.stdout).at(-1)).toBe(ROTATED_SECRET);
    expect(rotate.stdout.endsWith(`${ROTATED_SECRET}\n`)).toBe(true);
    expect(mcp.code).toBe(0);
    expect(lines(mcp.stdout).at(-1)).toBe(MCP_SECRET);
    expect(mcp.stdout.endsWith(`${MCP_SECRET}\n`)).toBe(true);
    const calls = s.requests().map((q) => [q.method, q.path, q.body]);
    expect(calls).toContainEqual(["POST", `/admin/v1/keys/${API_KEY.id}/rotate`, {}]);
    expect(calls).toContainEqual(["POST", "/admin/v1/mcp-tokens", { label: "claude" }]);
  });

  it("account import: sends the parsed auth.json, prints warnings, never echoes the file", async () => {
    const authJson = {
      OPENAI_API_KEY: null,
      tokens: {
        id_token: "eyJhbGciOiJSUzI1NiJ9.ID-TOKEN-PAYLOAD-MARKER.sig",
        access_token: "eyJhbGciOiJSUzI1NiJ9.ACCESS-TOKEN-MARKER.sig",
        refresh_token: "rt_REFRESH-TOKEN-MARKER",
        account_id: "acct-marker-0001",
      },
      last_refresh: "2025-06-01T10:00:00Z",
    };
    const file = join(tmp, "auth.json");
    await writeFile(file, JSON.stringify(authJson, null, 2));
    const s = newScope();
    const [fromFile, fromStdin] = await Promise.all([
      pooler(["account", "import", "--pool", "default", "--auth-json", file, "--label", "work"], {
        url: s.url,
      }),
      pooler(["account", "import", "--pool", "default", "--auth-json", "-"], {
        url: s.url,
        stdin: JSON.stringify(authJson),
      }),
    ]);
    for (const r of [fromFile, fromStdin]) {
      expect(r.code).toBe(0);
      expect(lines(r.stderr)).toEqual(IMPORT_WARNINGS.map((w) => `warning: ${w}`));
      expect(r.stdout).toContain(ACCOUNT.id);
      expect(`${r.stdout}${r.stderr}`).not.toMatch(/MARKER|acct-marker/);
    }
    const bodies = s.requests().map((q) => (q.method === "POST" ? q.body : undefined));
    expect(s.requests().every((q) => q.path === "/admin/v1/accounts/import")).toBe(true);
    expect(bodies).toContainEqual({ pool: "default", authJson, label: "work" });
    expect(bodies).toContainEqual({ pool: "default", authJson });
  });

  it("account import: missing file and non-JSON file fail with one line, without contents", async () => {
    const bad = join(tmp, "not-json.txt");
    await writeFile(bad, 'refresh_token = "rt_SECRET-CONTENT-MARKER"\n{ broken');
    const missing = join(tmp, "does-not-exist.json");
    const s = newScope();
    const [r1, r2] = await Promise.all([
      pooler(["account", "import", "--pool", "default", "--auth-json", missing], { url: s.url }),
      pooler(["account", "import", "--pool", "default", "--auth-json", bad], { url: s.url }),
    ]);
    expect(expectOneErrorLine(r1)).toBe(
      `error: cannot read auth file ${JSON.stringify(missing)}: no such file`,
    );
    expect(expectOneErrorLine(r2)).toBe(`error: auth file ${JSON.stringify(bad)} is not valid JSON`);
    expect(`${r2.stdout}${r2.stderr}`).not.toMatch(/SECRET-CONTENT-MARKER|broken|refresh_token/);
    expect(r1.stdout).toBe("");
    expect(r2.stdout).toBe("");
    expect(s.requests()).toEqual([]);
  });

  it("API error: exit 1 and a single `error: <message> (<code>)` line", async () => {
    const s = newScope();
    const r = await pooler(["pool", "create", "dup"], { url: s.url });
    expect(expectOneErrorLine(r)).toBe('error: pool "dup" already exists (pool_exists)');
    expect(r.stdout).toBe("");
    const wrongToken = await pooler(["pool", "list"], { url: s.url, token: "pat_wrong" });
    expect(expectOneErrorLine(wrongToken)).toBe("error: invalid admin token (invalid_admin_token)");
  });

  it("unreachable gateway: the connection message", async () => {
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
    const port = (probe.address() as AddressInfo).port;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    const r = await pooler(["pool", "list"], { url: `http://127.0.0.1:${port}` });
    expect(expectOneErrorLine(r)).toBe(
      `error: cannot reach the gateway at http://127.0.0.1:${port} (is it running? start it with npm start)`,
    );
  });

  it("missing admin token: tells the user to set POOLER_ADMIN_TOKEN; nothing is sent", async () => {
    const s = newScope();
    const r = await pooler(["key", "list"], { url: s.url, token: null });
    const line = expectOneErrorLine(r);
    expect(line).toContain("POOLER_ADMIN_TOKEN");
    expect(line).toContain("npm start");
    expect(s.requests()).toEqual([]);
  });

  it("invalid --limit is rejected before any request", async () => {
    const s = newScope();
    const r = await pooler(["logs", "--limit", "1001"], { url: s.url });
    expect(expectOneErrorLine(r)).toMatch(/--limit.*1001.*integer from 1 to 1000/);
    expect(s.requests()).toEqual([]);
  });
});

describe("pooler CLI routing (in-process)", () => {
  it("parses --limit as an integer in 1..1000", async () => {
    expect(parseLimit("1")).toBe(1);
    expect(parseLimit("1000")).toBe(1000);
    for (const bad of ["0", "1001", "-3", "1.5", "abc", "", "1e2"]) expect(() => parseLimit(bad)).toThrow();
    const s = newScope();
    for (const bad of ["0", "abc"]) {
      const r = await poolerInProcess(["audit", "--limit", bad], s.url);
      expect(expectOneErrorLine(r)).toMatch(/--limit/);
    }
    expect(s.requests()).toEqual([]);
  });

  const table: Array<
    [args: string[], method: string, path: string, query: Record<string, string>, out: RegExp]
  > = [
    [["account", "list", "--pool", "default"], "GET", "/admin/v1/accounts", { pool: "default" }, /work-plus/],
    [["account", "list"], "GET", "/admin/v1/accounts", {}, /^ID\s+LABEL\s+POOLS\s+STATUS/],
    [["account", "pause", "acc_1"], "POST", "/admin/v1/accounts/acc_1/pause", {}, /Paused.*paused/],
    [["account", "resume", "acc_1"], "POST", "/admin/v1/accounts/acc_1/resume", {}, /Resumed/],
    [["account", "remove", "acc_1"], "DELETE", "/admin/v1/accounts/acc_1", {}, /Removed account acc_1/],
    [
      ["key", "list", "--pool", "default"],
      "GET",
      "/admin/v1/keys",
      { pool: "default" },
      /sk-cxp-0123456789ab/,
    ],
    [["key", "pause", "key_1"], "POST", "/admin/v1/keys/key_1/pause", {}, /paused/],
    [["key", "resume", "key_1"], "POST", "/admin/v1/keys/key_1/resume", {}, /active/],
    [["key", "revoke", "key_1"], "POST", "/admin/v1/keys/key_1/revoke", {}, /revoked/],
    [["mcp-token", "list"], "GET", "/admin/v1/mcp-tokens", {}, /mcp-cxp-a1b2c3d4e5f6/],
    [
      ["mcp-token", "revoke", "mcp_1"],
      "POST",
      "/admin/v1/mcp-tokens/mcp_1/revoke",
      {},
      /Revoked MCP token mcp_1/,
    ],
    [
      ["logs", "--limit", "5", "--pool", "default", "--key", "key_1"],
      "GET",
      "/admin/v1/request-logs",
      { limit: "5", pool: "default", key: "key_1" },
      /TIME\s+STATUS\s+REQUEST\s+MODEL\s+POOL\s+KEY\s+ACCOUNT\s+TRIES\s+DURATION\s+TTFB\s+TOKENS IN\/OUT\s+ERROR/,
    ],
    [["audit"], "GET", "/admin/v1/audit-events", { limit: "20" }, /key\.create/],
    [["settings", "show"], "GET", "/admin/v1/settings", {}, /MCP endpoint \(\/mcp\): on\n.*never/],
    [["settings", "set", "--mcp", "off"], "PATCH", "/admin/v1/settings", {}, /MCP endpoint \(\/mcp\): off/],
  ];

  it.each(table)("%j → %s %s", async (args, method, path, query, out) => {
    const s = newScope();
    const r = await poolerInProcess(args, s.url);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(s.requests()).toHaveLength(1);
    expect(s.requests()[0]).toMatchObject({ method, path, query, authorization: `Bearer ${ADMIN_TOKEN}` });
    expect(r.stdout).toMatch(out);
    expect(r.stdout).not.toMatch(/sk-cxp-\w{20,}|mcp-cxp-\w{20,}/);
  });

  it("settings set: sends the boolean; anything but on/off is refused before a request", async () => {
    const s = newScope();
    const r = await poolerInProcess(["settings", "set", "--mcp", "on"], s.url);
    expect(r.code).toBe(0);
    expect(s.requests()[0]?.body).toEqual({ mcpEnabled: true });
    const bad = await poolerInProcess(["settings", "set", "--mcp", "maybe"], s.url);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain("expected on or off");
    expect(s.requests()).toHaveLength(1);
  });

  it("settings set: firewall options become one firewall patch; bad values and no option are refused before a request", async () => {
    const s = newScope();
    const r = await poolerInProcess(
      [
        "settings",
        "set",
        "--firewall-allow",
        "10.0.0.0/8, 192.0.2.7",
        "--trusted-proxies",
        "none",
        "--client-ip-source",
        "x_real_ip",
        "--proxy-depth",
        "2",
      ],
      s.url,
    );
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("Firewall:            on, allows 10.0.0.0/8, 192.0.2.7");
    expect(r.stdout).toContain("Client address from: x_real_ip, when the peer is a trusted proxy");
    expect(s.requests()[0]?.body).toEqual({
      firewall: {
        allow: ["10.0.0.0/8", "192.0.2.7"],
        trustedProxies: [],
        clientIpSource: "x_real_ip",
        proxyDepth: 2,
      },
    });
    const depth = await poolerInProcess(["settings", "set", "--proxy-depth", "17"], s.url);
    expect(depth.code).not.toBe(0);
    expect(depth.stderr).toContain("expected 0–16");
    const none = await poolerInProcess(["settings", "set"], s.url);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain("name at least one setting to change");
    expect(s.requests()).toHaveLength(1);
  });

  it("logs: renders usage, errors and missing values", async () => {
    const s = newScope();
    const r = await poolerInProcess(["logs"], s.url);
    const [, first, second] = lines(r.stdout);
    expect(first).toMatch(
      /2025-06-02 09:15:04Z\s+200\s+POST \/v1\/responses\s+gpt-5-codex.*8\.42s\s+612ms\s+12,034\/873\s+-$/,
    );
    expect(second).toMatch(/429.*311ms\s+-\s+-\s+pool_exhausted$/);
    expect(s.requests()[0]?.query).toEqual({ limit: "20" });
  });
});
