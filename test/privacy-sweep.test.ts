// Privacy sweep: prompts, completions, file bytes, upstream error messages, session ids, Pool keys,
// MCP tokens, admin tokens and upstream tokens are seeded with unique canaries and driven through
// every surface (Codex SSE, /v1 chat and responses, files, WebSocket, MCP, admin API, failures and a
// token refresh). None may appear in the logs, the metrics (in memory and as CloudWatch EMF), the
// request logs, the audit events, MCP answers, admin API answers or the data directory, where only
// the encrypted secret store holds the tokens (and this test cannot read those either).
import { randomBytes } from "node:crypto";
import { readdirSync, readFileSync, rmSync } from "node:fs";
import { join, relative } from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { EmfMetrics } from "../src/adapters/observability/emf-metrics.ts";
import { MemoryMetrics } from "../src/adapters/observability/memory-metrics.ts";
import type { MetricDimensions, Metrics } from "../src/core/ports.ts";
import {
  readSse,
  type Seeded,
  startTestGateway,
  TEXT_TURN_BODY,
  type TestGateway,
  waitFor,
} from "./helpers/gateway.ts";
import { tableContents, walPayload } from "./helpers/leveldb.ts";
import { startRecordingProxy } from "./helpers/process.ts";

const tag = (name: string) => `${name}CANARY${randomBytes(12).toString("hex")}`;
const PROMPT = tag("PROMPT");
const INSTRUCTIONS = tag("INSTR");
const COMPLETION = tag("COMPLETION");
const FILE_BYTES = tag("FILEBYTES");
const SESSION = tag("SESSION");
const CACHE_KEY = tag("CACHEKEY");
const UPSTREAM_ERROR = tag("UPSTREAMERR");
const BAD_KEY = tag("BADKEY");

/** Name → secret; filled as the test runs. Every one is hunted for everywhere. */
const secrets = new Map<string, string>([
  ["prompt", PROMPT],
  ["instructions", INSTRUCTIONS],
  ["completion", COMPLETION],
  ["file bytes", FILE_BYTES],
  ["session id", SESSION],
  ["prompt cache key", CACHE_KEY],
  ["upstream error message", UPSTREAM_ERROR],
  ["bad key", BAD_KEY],
]);

function addToken(name: string, token: string) {
  secrets.set(name, token);
  // Credentials: the secret part alone. JWTs: the signature (headers repeat between tokens).
  const credential = /^[a-z]+-cxp-[0-9a-f]{12}-([A-Za-z0-9_-]{43})$/.exec(token);
  if (credential?.[1]) secrets.set(`${name} (secret part)`, credential[1]);
  const parts = token.split(".");
  if (parts.length === 3 && parts[2]) secrets.set(`${name} (signature)`, parts[2]);
}

/** Records every metric call, as memory counters and as the EMF lines the AWS host would print. */
class SweepMetrics implements Metrics {
  readonly memory = new MemoryMetrics();
  readonly emfLines: string[] = [];
  readonly #emf = new EmfMetrics({
    namespace: "CodexPooler/sweep",
    write: (line) => this.emfLines.push(line),
  });
  readonly raw: string[] = [];
  count(name: string, value?: number, dimensions?: MetricDimensions): void {
    this.raw.push(JSON.stringify({ name, dimensions }));
    this.memory.count(name, value, dimensions);
    this.#emf.count(name, value, dimensions);
  }
  timing(name: string, milliseconds: number, dimensions?: MetricDimensions): void {
    this.raw.push(JSON.stringify({ name, dimensions }));
    this.memory.timing(name, milliseconds, dimensions);
    this.#emf.timing(name, milliseconds, dimensions);
  }
}

let gw: TestGateway;
let seeded: Seeded;
let mcpToken: string;
let proxy: Awaited<ReturnType<typeof startRecordingProxy>>;
const metrics = new SweepMetrics();
let hostMetrics: MemoryMetrics;
/** Answers an operator could see: admin API reads and MCP tool results. */
const adminAnswers: string[] = [];
const mcpAnswers: string[] = [];
let stopped = false;

const headers = (key: string) => ({
  authorization: `Bearer ${key}`,
  "content-type": "application/json",
  "session-id": SESSION,
  "x-codex-turn-metadata": JSON.stringify({ note: PROMPT }),
});

describe("privacy sweep", () => {
  beforeAll(async () => {
    gw = await startTestGateway({ POOLER_SSE_KEEPALIVE_MS: "0" });
    // The auth server behind a recording proxy: the tokens a refresh hands out are seen here too.
    proxy = await startRecordingProxy(gw.fake.authBaseUrl);
    gw.local.gateway.ctx.config.authBaseUrl = proxy.url;
    // Metric calls from here on are recorded twice over (some routes hold the host's sink: kept too).
    hostMetrics = gw.local.gateway.ctx.metrics as MemoryMetrics;
    gw.local.gateway.ctx.metrics = metrics;
    // Pool, accounts (every auth.json token hunted for), key: through the admin API.
    const pool = `sweep-${randomBytes(3).toString("hex")}`;
    expect((await gw.admin("POST", "/pools", { name: pool })).status).toBe(201);
    const accounts: Seeded["accounts"] = [];
    for (let i = 0; i < 2; i++) {
      const account = gw.fake.createAccount();
      for (const name of ["id_token", "access_token", "refresh_token"] as const) {
        addToken(`auth.json ${name} #${i}`, account.authJson.tokens[name]);
      }
      const label = `${pool}-acct${i + 1}`;
      const imported = await gw.admin("POST", "/accounts/import", {
        pool,
        authJson: account.authJson,
        label,
      });
      expect(imported.status).toBe(201);
      accounts.push({
        id: imported.body.account.id,
        accountId: account.accountId,
        label,
        refreshToken: account.authJson.tokens.refresh_token,
      });
    }
    const key = await gw.admin("POST", "/keys", { pool, label: "sweep" });
    seeded = { pool, key: key.body.secret, keyId: key.body.key.id, accounts };
    addToken("pool key", seeded.key);
    addToken("admin token", gw.adminToken);
    const mcp = await gw.admin("POST", "/mcp-tokens", { label: "sweep" });
    mcpToken = mcp.body.secret;
    addToken("mcp token", mcpToken);
  }, 60_000);

  afterAll(async () => {
    if (!stopped) await gw?.local.stop();
    await proxy?.close();
    gw?.fake.releasePaused();
    await gw?.fake.close();
    if (gw?.dataDir) rmSync(gw.dataDir, { recursive: true, force: true });
  });

  it("drives canary traffic through every surface (each reaches the upstream or the client)", async () => {
    for (const account of seeded.accounts) {
      gw.fake.setDefaultBehavior(account.accountId, { kind: "text", text: `Here you go: ${COMPLETION}` });
    }
    const codexBody = {
      ...TEXT_TURN_BODY,
      instructions: INSTRUCTIONS,
      prompt_cache_key: CACHE_KEY,
      input: [{ type: "message", role: "user", content: [{ type: "input_text", text: PROMPT }] }],
    };
    const codex = await fetch(`${gw.url}/backend-api/codex/responses`, {
      method: "POST",
      headers: headers(seeded.key),
      body: JSON.stringify(codexBody),
    });
    const codexEvents = await readSse(codex);
    expect(JSON.stringify(codexEvents)).toContain(COMPLETION);

    const chatBody = {
      model: "gpt-5.5",
      messages: [
        { role: "system", content: INSTRUCTIONS },
        { role: "user", content: PROMPT },
      ],
    };
    const chat = await fetch(`${gw.url}/v1/chat/completions`, {
      method: "POST",
      headers: headers(seeded.key),
      body: JSON.stringify(chatBody),
    });
    expect(JSON.stringify(await chat.json())).toContain(COMPLETION);
    const chatStream = await fetch(`${gw.url}/v1/chat/completions`, {
      method: "POST",
      headers: headers(seeded.key),
      body: JSON.stringify({ ...chatBody, stream: true, stream_options: { include_usage: true } }),
    });
    expect(await chatStream.text()).toContain(COMPLETION.slice(0, 12));
    const responses = await fetch(`${gw.url}/v1/responses`, {
      method: "POST",
      headers: headers(seeded.key),
      body: JSON.stringify({ model: "gpt-5.5", instructions: INSTRUCTIONS, input: PROMPT, stream: true }),
    });
    expect(await responses.text()).toContain(COMPLETION.slice(0, 12));

    // A file: its bytes go upstream, only its metadata stays.
    const form = new FormData();
    form.append("purpose", "user_data");
    form.append("file", new Blob([`notes: ${FILE_BYTES}`], { type: "text/plain" }), "notes.txt");
    const file = await fetch(`${gw.url}/v1/files`, {
      method: "POST",
      headers: { authorization: `Bearer ${seeded.key}` },
      body: form,
    });
    expect(file.status).toBe(200);
    await file.text();

    // A WebSocket turn.
    const ws = new WebSocket(`${gw.url.replace("http", "ws")}/backend-api/codex/responses`, {
      headers: { authorization: `Bearer ${seeded.key}`, "session-id": SESSION },
    });
    await new Promise((resolve, reject) => {
      ws.once("open", resolve);
      ws.once("error", reject);
    });
    const wsText = await new Promise<string>((resolve) => {
      let seen = "";
      ws.on("message", (data) => {
        seen += data.toString();
        if (seen.includes('"response.completed"')) resolve(seen);
      });
      ws.send(JSON.stringify({ type: "response.create", ...codexBody }));
    });
    expect(wsText).toContain(COMPLETION.slice(0, 12));
    ws.close();

    // Failures: an upstream error whose message is a canary, a body that is not JSON, a bogus key,
    // a dropped stream, and a 401 that forces a refresh (new tokens through the recording proxy).
    const behave = (behavior: Parameters<typeof gw.fake.setDefaultBehavior>[1]) => {
      for (const account of seeded.accounts) gw.fake.setDefaultBehavior(account.accountId, behavior);
    };
    behave({ kind: "response_failed", code: "context_length_exceeded", message: UPSTREAM_ERROR });
    const failed = await fetch(`${gw.url}/v1/chat/completions`, {
      method: "POST",
      headers: headers(seeded.key),
      body: JSON.stringify(chatBody),
    });
    expect(failed.status).toBe(400);
    expect(await failed.text()).toContain(UPSTREAM_ERROR); // the client may see it; nothing else may
    behave({ kind: "text", text: `Here you go: ${COMPLETION}` });
    const notJson = await fetch(`${gw.url}/backend-api/codex/responses`, {
      method: "POST",
      headers: headers(seeded.key),
      body: `{"input": "${PROMPT}`,
    });
    expect(notJson.status).toBe(400);
    expect(await notJson.text()).not.toContain(PROMPT);
    for (const path of ["/backend-api/codex/responses", "/v1/chat/completions", "/mcp", "/admin/v1/pools"]) {
      const bad = await fetch(`${gw.url}${path}`, {
        method: "POST",
        headers: { ...headers(`sk-cxp-${BAD_KEY}`), accept: "application/json, text/event-stream" },
        body: JSON.stringify(codexBody),
      });
      expect(bad.status).toBe(401);
      expect(await bad.text()).not.toContain(BAD_KEY);
    }
    behave({ kind: "drop_mid_stream" });
    await (
      await fetch(`${gw.url}/backend-api/codex/responses`, {
        method: "POST",
        headers: headers(seeded.key),
        body: JSON.stringify(codexBody),
      })
    ).text();
    behave({ kind: "text", text: `Here you go: ${COMPLETION}` });
    for (const account of seeded.accounts) gw.fake.expireAccessToken(account.accountId);
    const refreshed = await fetch(`${gw.url}/backend-api/codex/responses`, {
      method: "POST",
      headers: headers(seeded.key),
      body: JSON.stringify(codexBody),
    });
    expect((await readSse(refreshed)).at(-1)?.type).toBe("response.completed");
    const issued = proxy.responses.filter((r) => r.path.startsWith("/oauth/token") && r.status === 200);
    expect(issued.length).toBeGreaterThanOrEqual(1);
    for (const [i, response] of issued.entries()) {
      const tokens = JSON.parse(response.body);
      for (const name of ["access_token", "refresh_token", "id_token"])
        addToken(`refreshed ${name} #${i}`, tokens[name]);
    }

    // An account whose login is gone (its refresh token was already used): the refresh fails and
    // the gateway logs it, so the log this test reads has lines in it.
    const broken = `sweep-broken-${randomBytes(3).toString("hex")}`;
    await gw.admin("POST", "/pools", { name: broken });
    const stale = gw.fake.createAccount({ initialAccessTokenTtlSeconds: 0 });
    for (const name of ["id_token", "access_token", "refresh_token"] as const) {
      addToken(`stale auth.json ${name}`, stale.authJson.tokens[name]);
    }
    const used = await fetch(`${gw.fake.authBaseUrl}/oauth/token`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        grant_type: "refresh_token",
        refresh_token: stale.authJson.tokens.refresh_token,
      }),
    });
    for (const [name, token] of Object.entries((await used.json()) as Record<string, string>)) {
      if (name.endsWith("_token")) addToken(`out-of-band ${name}`, token);
    }
    await gw.admin("POST", "/accounts/import", {
      pool: broken,
      authJson: stale.authJson,
      label: `${broken}-a`,
    });
    const brokenKey = (await gw.admin("POST", "/keys", { pool: broken, label: "broken" })).body.secret;
    addToken("broken pool key", brokenKey);
    const refused = await fetch(`${gw.url}/backend-api/codex/responses`, {
      method: "POST",
      headers: headers(brokenKey),
      body: JSON.stringify(codexBody),
    });
    expect(refused.status).toBeGreaterThanOrEqual(400);
    await refused.text();
    await waitFor(() => gw.logLines.length > 0 || undefined);

    // Every access token the upstream saw (the refreshed ones included).
    for (const [i, request] of gw.fake.requests.entries()) {
      const bearer = request.headers.authorization?.replace(/^Bearer /, "");
      if (bearer) addToken(`upstream bearer #${i}`, bearer);
    }
    // The canaries really went upstream, so their absence below means something.
    const upstreamText = JSON.stringify(gw.fake.requests.map((r) => [r.body, r.headers]));
    for (const value of [PROMPT, INSTRUCTIONS, SESSION]) expect(upstreamText).toContain(value);
    expect(gw.fake.requests.some((r) => JSON.stringify(r.body ?? "").includes("notes.txt"))).toBe(true);
    await waitFor(async () => {
      const { body } = await gw.admin("GET", `/request-logs?key=${seeded.keyId}&limit=100`);
      return body.data.length >= 8 || undefined;
    }, 10_000);
  });

  it("answers operators with metadata only, on the admin API and over MCP", async () => {
    for (const path of [
      "/pools",
      `/pools/${seeded.pool}`,
      "/accounts",
      `/accounts/${seeded.accounts[0]!.id}`,
      "/keys",
      `/keys/${seeded.keyId}`,
      "/mcp-tokens",
      "/admin-tokens",
      "/request-logs?limit=200",
      "/audit-events?limit=200",
      "/usage",
      `/keys/${seeded.keyId}/usage`,
      "/alert-incidents",
    ]) {
      const answer = await gw.admin("GET", path);
      if (answer.status === 200) adminAnswers.push(`${path} ${JSON.stringify(answer.body)}`);
    }
    expect(adminAnswers.length).toBeGreaterThanOrEqual(8);
    // Positive control: the answers do describe the traffic.
    expect(adminAnswers.join("\n")).toContain('"model":"gpt-5.5"');

    const client = new Client({ name: "sweep", version: "1.0.0" });
    await client.connect(
      new StreamableHTTPClientTransport(new URL(`${gw.url}/mcp`), {
        requestInit: { headers: { authorization: `Bearer ${mcpToken}` } },
      }),
    );
    try {
      const logs = await gw.admin("GET", `/request-logs?key=${seeded.keyId}&limit=1`);
      const { tools } = await client.listTools();
      expect(tools.length).toBeGreaterThanOrEqual(10);
      for (const tool of tools) {
        const props = Object.keys((tool.inputSchema as { properties?: object }).properties ?? {});
        const args: Record<string, unknown> = {};
        if (props.includes("pool")) args.pool = seeded.pool;
        if (props.includes("key")) args.key = seeded.keyId;
        if (props.includes("id")) args.id = logs.body.data[0]?.id;
        const result = await client.callTool({ name: tool.name, arguments: args });
        mcpAnswers.push(`${tool.name} ${JSON.stringify(result)}`);
      }
    } finally {
      await client.close();
    }
    expect(mcpAnswers.join("\n")).toContain(seeded.pool);
  });

  /** Every place this test reads, with its text. */
  function surfaces(): [string, string][] {
    return [
      ["logger output", gw.logLines.join("\n")],
      [
        "metrics (memory)",
        JSON.stringify([...metrics.memory.counters.keys(), ...hostMetrics.counters.keys()]),
      ],
      ["metrics (EMF lines)", metrics.emfLines.join("\n")],
      ["metrics (raw calls)", metrics.raw.join("\n")],
      ["admin API answers (request logs, audit events, views)", adminAnswers.join("\n")],
      ["MCP answers", mcpAnswers.join("\n")],
    ];
  }

  it("keeps every canary and secret out of logs, metrics, request logs, audit events and answers", () => {
    expect(secrets.size).toBeGreaterThanOrEqual(25);
    const all = surfaces();
    // Positive controls: each surface holds something (else its absence of secrets means nothing).
    for (const [name, text] of all) expect(text.length, name).toBeGreaterThan(100);
    expect(metrics.raw.some((line) => line.includes('"requests"'))).toBe(true);
    for (const [surface, text] of all) {
      for (const [name, value] of secrets) expect(text.includes(value), `${name} in ${surface}`).toBe(false);
    }
  });

  it("keeps every canary and secret out of the data directory, which does hold the stored state", async () => {
    await gw.local.stop();
    stopped = true;
    const files = readdirSync(gw.dataDir, { recursive: true, withFileTypes: true })
      .filter((entry) => entry.isFile())
      .map((entry) => {
        const path = join(entry.parentPath, entry.name);
        const bytes = readFileSync(path);
        let decoded: Buffer | undefined;
        if (entry.name.endsWith(".log")) decoded = walPayload(bytes);
        if (/\.(ldb|sst)$/.test(entry.name)) decoded = tableContents(bytes);
        return { path: relative(gw.dataDir, path), bytes, decoded };
      });
    expect(files.length).toBeGreaterThan(3);
    const everything = Buffer.concat(files.flatMap((f) => [f.bytes, f.decoded ?? Buffer.alloc(0)]));
    // Positive control: the store's records are readable here.
    for (const stored of [seeded.pool, seeded.accounts[0]!.label, "gpt-5.5", "notes.txt"]) {
      expect(everything.includes(Buffer.from(stored)), stored).toBe(true);
    }
    for (const [name, value] of secrets) {
      const hits = files
        .filter((f) => f.bytes.includes(Buffer.from(value)) || f.decoded?.includes(Buffer.from(value)))
        .map((f) => f.path);
      expect(hits, `${name} in data files`).toEqual([]);
    }
  });
});
