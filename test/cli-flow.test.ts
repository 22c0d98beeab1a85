// The real `pooler` CLI as a child process against the real local gateway (embedded store, fake
// upstream): the operator's first-run flow from pool to a served request, logs and audit.
import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { FakeAccount } from "./fake-upstream/index.ts";
import {
  readSse,
  scratchDir,
  startTestGateway,
  TEXT_TURN_BODY,
  type TestGateway,
  waitFor,
} from "./helpers/gateway.ts";
import { runPoolerCli } from "./helpers/process.ts";

const KEY_LINE = /^sk-cxp-[0-9a-f]{12}-[A-Za-z0-9_-]{43}$/;
const MCP_LINE = /^mcp-cxp-[0-9a-f]{12}-[A-Za-z0-9_-]{43}$/;

let gw: TestGateway;
let dir: string;
let fake: FakeAccount;
let authFile: string;

/** `node --import tsx bin/pooler-cli.ts …` from the repo root, configured through the environment only. */
const pooler = (args: string[], env: Record<string, string> = {}) => runPoolerCli(gw, args, env);

/** Exit 0 and nothing unexpected on stderr. */
function ok(result: Awaited<ReturnType<typeof pooler>>, allowStderr = false): string {
  expect(result.code, result.stderr).toBe(0);
  if (!allowStderr) expect(result.stderr).toBe("");
  return result.stdout;
}

const lines = (text: string) => text.split("\n").filter((l) => l.length > 0);
const lastLine = (text: string) => lines(text).at(-1) ?? "";
const cellsOf = (line: string) => line.trim().split(/\s{2,}/);
/** A printed table as records keyed by its headers (columns are two or more spaces apart). */
function table(text: string): Record<string, string>[] {
  const [header, ...rows] = lines(text);
  const names = cellsOf(header ?? "");
  return rows.map((line) => {
    const cells = cellsOf(line);
    expect(cells.length, line).toBe(names.length);
    return Object.fromEntries(names.map((name, i) => [name, cells[i]!]));
  });
}
/** The table row whose `column` is `value`. */
const row = (text: string, column: string, value: string) => table(text).find((r) => r[column] === value);

const post = (key: string) =>
  fetch(`${gw.url}/backend-api/codex/responses`, {
    method: "POST",
    headers: {
      authorization: `Bearer ${key}`,
      "content-type": "application/json",
      accept: "text/event-stream",
    },
    body: JSON.stringify(TEXT_TURN_BODY),
  });

/** Secrets seen so far; no CLI output other than the create/rotate line may contain them. */
const secrets: string[] = [];
function expectNoSecrets(...texts: string[]) {
  for (const text of texts) for (const secret of secrets) expect(text).not.toContain(secret);
}

beforeAll(async () => {
  gw = await startTestGateway({ POOLER_SSE_KEEPALIVE_MS: "0" });
  dir = scratchDir("cli-flow");
  fake = gw.fake.createAccount({ email: "ops.person@example.com" });
  authFile = join(dir, "auth.json");
  writeFileSync(authFile, `${JSON.stringify(fake.authJson, null, 2)}\n`, { mode: 0o600 });
  secrets.push(
    gw.adminToken,
    fake.authJson.tokens.id_token,
    fake.authJson.tokens.access_token,
    fake.authJson.tokens.refresh_token,
  );
});
afterAll(async () => {
  await gw?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe("pooler CLI against the local gateway", () => {
  let accountId: string;
  let keyId: string;
  let rawKey: string;
  let rotatedKey: string;
  let mcpId: string;

  it("creates a pool", async () => {
    const out = ok(await pooler(["pool", "create", "cli-pool"]));
    const pool = await gw.admin("GET", "/pools/cli-pool");
    expect(pool.status).toBe(200);
    expect(pool.body.pool).toMatchObject({ name: "cli-pool", accountCount: 0, keyCount: 0 });
    expect(lines(out)).toHaveLength(1);
    expect(out).toMatch(new RegExp(`^Created pool "cli-pool" \\(strategy: ${pool.body.pool.strategy}\\b`));
  });

  it("imports an account from an auth.json file without printing its tokens", async () => {
    const result = await pooler([
      "account",
      "import",
      "--pool",
      "cli-pool",
      "--auth-json",
      authFile,
      "--label",
      "work",
    ]);
    const out = ok(result, true);
    const match = /^Imported account "work" \((acc_[0-9a-f]{16})\) into pool "cli-pool"\.$/m.exec(out);
    expect(match, out).not.toBeNull();
    accountId = match![1]!;
    expect(out).toContain("status: active  plan: plus  email: o***@example.com");
    // The server's warnings go to stderr, one `warning:` line each.
    const warnings = lines(result.stderr);
    expect(warnings.length).toBeGreaterThan(0);
    expect(warnings.every((l) => l.startsWith("warning: "))).toBe(true);
    expect(result.stderr).toContain("auth.json");
    expectNoSecrets(result.stdout, result.stderr);
    expect(result.stdout + result.stderr).not.toContain(fake.accountId);
    expect(result.stdout + result.stderr).not.toContain("ops.person");

    const accounts = (await gw.admin("GET", "/accounts?pool=cli-pool")).body.data;
    expect(accounts).toHaveLength(1);
    expect(accounts[0]).toMatchObject({ id: accountId, label: "work", status: "active" });
  });

  it("creates a key whose raw value (the last stdout line) serves a real Codex request", async () => {
    const out = ok(await pooler(["key", "create", "--pool", "cli-pool", "--label", "ci"]));
    rawKey = lastLine(out);
    expect(rawKey).toMatch(KEY_LINE);
    secrets.push(rawKey);
    keyId = rawKey.slice("sk-cxp-".length, "sk-cxp-".length + 12);
    expect(out).toContain(`  id:     ${keyId}\n`);
    expect(out).toContain("  pool:   cli-pool\n");
    expect(out).toContain("  label:  ci\n");
    expect(out).toContain("only time the full key is shown");
    // The raw key appears exactly once: as the last line.
    expect(out.split(rawKey)).toHaveLength(2);

    const response = await post(rawKey);
    expect(response.status).toBe(200);
    const events = await readSse(response);
    expect(events.at(-1)?.type).toBe("response.completed");
    expect(events.some((e) => e.type === "response.output_text.delta")).toBe(true);
    expect(gw.fake.responsesFor(fake.accountId)).toHaveLength(1);
  });

  it("lists pools, accounts and keys as tables without secrets", async () => {
    const [pools, accounts, keys] = await Promise.all([
      pooler(["pool", "list"]),
      pooler(["account", "list"]),
      pooler(["key", "list"]),
    ]);
    const strategy = (await gw.admin("GET", "/pools/cli-pool")).body.pool.strategy;
    const poolTable = ok(pools);
    expect(table(poolTable)).toHaveLength(1);
    expect(row(poolTable, "NAME", "cli-pool")).toMatchObject({
      STRATEGY: strategy,
      ACCOUNTS: "1",
      KEYS: "1",
    });

    const accountTable = ok(accounts);
    expect(table(accountTable)).toHaveLength(1);
    expect(row(accountTable, "ID", accountId)).toMatchObject({
      LABEL: "work",
      POOLS: "cli-pool",
      STATUS: "active",
      PLAN: "plus",
      EMAIL: "o***@example.com",
    });

    const keyTable = ok(keys);
    expect(table(keyTable)).toHaveLength(1);
    expect(row(keyTable, "ID", keyId)).toMatchObject({
      PREFIX: `sk-cxp-${keyId}`,
      POOL: "cli-pool",
      LABEL: "ci",
      STATUS: "active",
      REVOKED: "-",
    });
    expect(keyTable).not.toContain(rawKey.slice(-43));
    expectNoSecrets(poolTable, accountTable, keyTable);
    expect(accountTable).not.toContain(fake.accountId);
  });

  it("shows the request in `logs` with its route, status and model", async () => {
    await waitFor(async () => {
      const { body } = await gw.admin("GET", `/request-logs?key=${keyId}&limit=5`);
      return body.data.length >= 1 ? true : undefined;
    });
    const out = ok(await pooler(["logs", "--limit", "5"]));
    const entries = table(out);
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({
      STATUS: "200",
      REQUEST: "POST /backend-api/codex/responses",
      MODEL: "gpt-5.5",
      POOL: "cli-pool",
      KEY: keyId,
      ACCOUNT: "work",
      TRIES: "1",
      ERROR: "-",
    });
    expectNoSecrets(out);
  });

  it("pauses a key (the gateway then refuses it) and rotates it (the old secret stops working)", async () => {
    const paused = ok(await pooler(["key", "pause", keyId]));
    expect(paused).toBe(`Paused key ${keyId} (sk-cxp-${keyId}); status: paused.\n`);
    const refused = await post(rawKey);
    expect(refused.status).toBe(401);
    expect((await refused.json()).error.code).toBe("api_key_disabled");

    const rotated = ok(await pooler(["key", "rotate", keyId]));
    rotatedKey = lastLine(rotated);
    expect(rotatedKey).toMatch(KEY_LINE);
    expect(rotatedKey).not.toBe(rawKey);
    expect(rotatedKey.startsWith(`sk-cxp-${keyId}-`)).toBe(true);
    expect(rotated).toContain(`Rotated Pool API key ${keyId}.`);
    expect(rotated).toContain("  status: paused\n");
    expect(rotated).not.toContain(rawKey);
    secrets.push(rotatedKey);

    // Still paused after the rotation; once resumed only the new secret works.
    expect((await post(rotatedKey)).status).toBe(401);
    expect((await gw.admin("POST", `/keys/${keyId}/resume`)).status).toBe(200);
    const old = await post(rawKey);
    expect(old.status).toBe(401);
    expect((await old.json()).error.code).toBe("invalid_api_key");
    const fresh = await post(rotatedKey);
    expect(fresh.status).toBe(200);
    expect((await readSse(fresh)).at(-1)?.type).toBe("response.completed");
  });

  it("creates an MCP token, printed once as the last line", async () => {
    const out = ok(await pooler(["mcp-token", "create", "--label", "agent"]));
    const token = lastLine(out);
    expect(token).toMatch(MCP_LINE);
    secrets.push(token);
    mcpId = token.slice("mcp-cxp-".length, "mcp-cxp-".length + 12);
    expect(out).toContain(`  id:     ${mcpId}\n`);
    expect(out).toContain("  label:  agent\n");
    const listed = await gw.admin("GET", "/mcp-tokens");
    expect(listed.body.data.map((t: { id: string }) => t.id)).toContain(mcpId);
  });

  it("shows the operator's actions in `audit`, without secrets", async () => {
    const out = ok(await pooler(["audit", "--limit", "50"]));
    const actor = `admin:${gw.adminToken.slice("adm-cxp-".length, "adm-cxp-".length + 12)}`;
    const rows = table(out);
    const find = (action: string, target: string) =>
      rows.find((r) => r.ACTION === action && r.TARGET === target);
    for (const [action, target] of [
      ["pool.create", "pool:cli-pool"],
      ["upstream_account.import", `upstream_account:${accountId}`],
      ["api_key.create", `api_key:${keyId}`],
      ["api_key.pause", `api_key:${keyId}`],
      ["api_key.rotate", `api_key:${keyId}`],
      ["api_key.resume", `api_key:${keyId}`],
      ["mcp_token.create", `mcp_token:${mcpId}`],
    ]) {
      const event = find(action!, target!);
      expect(event, `${action} ${target}\n${out}`).toBeDefined();
      expect(event).toMatchObject({ ACTOR: actor, OUTCOME: "success" });
    }
    // Newest first.
    const order = ["mcp_token.create", "api_key.rotate", "api_key.create", "pool.create"].map((a) =>
      rows.findIndex((r) => r.ACTION === a),
    );
    expect(order.every((i) => i >= 0)).toBe(true);
    expect([...order].sort((x, y) => x - y)).toEqual(order);
    expect(find("api_key.create", `api_key:${keyId}`)!.DETAILS).toContain("pool=cli-pool");
    expectNoSecrets(out);
  });

  it("prints the API's JSON with --json", async () => {
    const [keys, pools] = await Promise.all([
      pooler(["--json", "key", "list", "--pool", "cli-pool"]),
      pooler(["pool", "list", "--json"]),
    ]);
    const keyList = JSON.parse(ok(keys));
    expect(keyList.data).toHaveLength(1);
    expect(keyList.data[0]).toMatchObject({
      id: keyId,
      prefix: `sk-cxp-${keyId}`,
      pool: "cli-pool",
      label: "ci",
      status: "active",
    });
    expect(keyList.data[0].secret).toBeUndefined();
    expectNoSecrets(keys.stdout);
    const poolList = JSON.parse(ok(pools));
    expect(poolList.data.find((p: { name: string }) => p.name === "cli-pool")).toMatchObject({
      accountCount: 1,
      keyCount: 1,
    });
  });

  it("fails with exit 1 and a single `error:` line on stderr", async () => {
    const [duplicate, badToken, unknownKey] = await Promise.all([
      pooler(["pool", "create", "cli-pool"]),
      pooler(["pool", "list"], { POOLER_ADMIN_TOKEN: `adm-cxp-000000000000-${"Q".repeat(43)}` }),
      pooler(["key", "pause", "000000000000"]),
    ]);
    for (const result of [duplicate, badToken, unknownKey]) {
      expect(result.code).toBe(1);
      expect(result.stdout).toBe("");
      expect(result.stderr.endsWith("\n")).toBe(true);
      expect(lines(result.stderr)).toHaveLength(1);
      expect(result.stderr).toMatch(/^error: \S/);
    }
    expect(duplicate.stderr).toBe('error: pool "cli-pool" already exists (pool_exists)\n');
    expect(badToken.stderr).toContain("admin_token_invalid");
    expect(badToken.stderr).not.toContain("Q".repeat(43));
    expect(unknownKey.stderr).toContain("pool_key_not_found");
    expectNoSecrets(duplicate.stderr, badToken.stderr, unknownKey.stderr);
    // The failed create changed nothing.
    expect((await gw.admin("GET", "/pools")).body.data).toHaveLength(1);
  });

  it("turns a key's dashboard access on and off, disables and enables a pool, and deletes a key", async () => {
    expect((await gw.admin("POST", "/pools", { name: "cli-dash" })).status).toBe(201);
    const created = ok(await pooler(["key", "create", "--pool", "cli-dash", "--dashboard"]));
    const dashKey = lastLine(created);
    secrets.push(dashKey);
    const dashId = dashKey.slice("sk-cxp-".length, "sk-cxp-".length + 12);
    expect(created).toContain("  dashboard access: on (/observatory)\n");
    const signIn = () =>
      fetch(`${gw.url}/observatory/login`, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({ api_key: dashKey }).toString(),
        redirect: "manual",
      });
    expect((await signIn()).status).toBe(303);

    const off = ok(await pooler(["key", "update", dashId, "--dashboard", "off"]));
    expect(off).toContain("  dashboard access: off\n");
    expect((await signIn()).status).toBe(401);
    const listed = ok(await pooler(["key", "list", "--pool", "cli-dash"]));
    expect(row(listed, "ID", dashId)).toMatchObject({ DASHBOARD: "off", STATUS: "active" });

    expect(ok(await pooler(["pool", "disable", "cli-dash"]))).toBe('Disabled pool "cli-dash".\n');
    expect((await gw.admin("GET", "/pools/cli-dash")).body.pool.disabled).toBe(true);
    expect(row(ok(await pooler(["pool", "list"])), "NAME", "cli-dash")).toMatchObject({ STATE: "disabled" });
    expect(ok(await pooler(["pool", "enable", "cli-dash"]))).toBe('Enabled pool "cli-dash".\n');

    expect(ok(await pooler(["key", "delete", dashId]))).toBe(`Deleted key ${dashId}.\n`);

    const admission = ok(await pooler(["settings", "admission"]));
    expect(row(admission, "CLASS", "proxy_stream")).toMatchObject({
      CONCURRENCY: "24",
      QUEUE: "96",
      "TIMEOUT MS": "10000",
      RUNNING: "0",
      QUEUED: "0",
    });
    expect(table(admission).map((r) => r.CLASS)).toHaveLength(9);
    expect((await gw.admin("GET", "/keys?pool=cli-dash")).body.data).toEqual([]);
  });
});
