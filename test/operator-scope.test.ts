// Scoped operators (docs/operators.md) over the whole surface: a Pool admin's token on every admin
// route and a Pool-scoped MCP token on every MCP tool, both enumerated from the running code (the
// admin app's route table, the server's tools/list) so a new route or tool without a case fails
// here. Each one either filters to the token's Pools or answers 403 `insufficient_scope` naming the
// scope that was missing; nothing of the other Pool leaks, and no refused change happened.

import { PassThrough } from "node:stream";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bearerAdminAuthenticator } from "../src/http/middleware/admin-auth.ts";
import { adminRoutes } from "../src/http/routes/admin/index.ts";
import { runPooler } from "./helpers/cli.ts";
import {
  type Seeded,
  startTestGateway,
  TEXT_TURN_BODY,
  type TestGateway,
  waitFor,
} from "./helpers/gateway.ts";

let gw: TestGateway;
let alpha: Seeded;
let bravo: Seeded;
/** The Pool admin of alpha. */
let poolAdmin: string;
/** Ids of bravo's things (and of owner-only things) the Pool admin must never see. */
const b = {} as {
  account: string;
  key: string;
  rule: string;
  incident: string;
  deviceFlow: string;
  browserFlow: string;
  invite: string;
  mcpToken: string;
  ownerMcpToken: string;
  ownerAdminToken: string;
  channel: string;
  log: string;
};

async function turn(key: string) {
  const response = await fetch(`${gw.url}/backend-api/codex/responses`, {
    method: "POST",
    headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
    body: JSON.stringify(TEXT_TURN_BODY),
  });
  await response.text();
  expect(response.status).toBe(200);
}

const owner = async <T = any>(method: string, path: string, body?: unknown) => {
  const answer = await gw.admin<T>(method, path, body);
  expect(answer.status, `${method} ${path}: ${JSON.stringify(answer.body)}`).toBeLessThan(300);
  return answer.body as any;
};

async function as(token: string, method: string, path: string, body?: unknown) {
  const response = await fetch(`${gw.url}/admin/v1${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, text, body: text ? JSON.parse(text) : undefined };
}

beforeAll(async () => {
  gw = await startTestGateway({ POOLER_SSE_KEEPALIVE_MS: "0" });
  alpha = await gw.seed({ pool: "alpha", accounts: 1 });
  bravo = await gw.seed({ pool: "bravo", accounts: 1 });
  await turn(alpha.key);
  await turn(bravo.key);
  b.account = bravo.accounts[0]?.id as string;
  b.key = bravo.keyId;
  b.log = await waitFor(async () => (await owner("GET", "/request-logs?pool=bravo")).data[0]?.id);
  await waitFor(async () => (await owner("GET", "/request-logs?pool=alpha")).data[0]?.id);

  b.channel = (
    await owner("POST", "/alert-channels", { name: "ops", url: "https://hooks.example.com/x" })
  ).channel.id;
  await owner("POST", "/alert-rules", { pool: "alpha", kind: "pool_no_usable_assignments" });
  b.rule = (
    await owner("POST", "/alert-rules", { pool: "bravo", kind: "pool_no_usable_assignments" })
  ).rule.id;
  // bravo's only account paused: its rule fires and leaves an incident.
  await owner("POST", `/accounts/${b.account}/pause`);
  await owner("POST", "/alerts/evaluate");
  b.incident = (await owner("GET", "/alert-incidents?pool=bravo")).data[0]?.id;
  expect(b.incident).toBeTruthy();

  b.deviceFlow = (await owner("POST", "/accounts/oauth/device", { pool: "bravo" })).flow.id;
  b.browserFlow = (await owner("POST", "/accounts/oauth/browser", { pool: "bravo" })).flow.id;
  b.invite = (await owner("POST", "/invites", { pool: "bravo", email: "teammate@example.com" })).invite.id;
  b.mcpToken = (await owner("POST", "/mcp-tokens", { label: "bravo-mcp", pools: ["bravo"] })).token.id;
  b.ownerMcpToken = (await owner("POST", "/mcp-tokens", { label: "owner-mcp" })).token.id;
  b.ownerAdminToken = (await owner("POST", "/admin-tokens", { label: "second-owner" })).token.id;

  const created = await owner("POST", "/admin-tokens", {
    label: "alpha-admin",
    role: "pool_admin",
    pools: ["alpha"],
  });
  expect(created.token).toMatchObject({ role: "pool_admin", pools: ["alpha"] });
  poolAdmin = created.secret;
}, 60_000);

afterAll(async () => {
  await gw?.stop();
});

/** Strings that would show something of bravo (or an owner-only credential) leaked. */
const bravoMarkers = () => ["bravo", ...Object.values(b)];

type Probe =
  | { expect: "owner" | "pool"; path?: string; body?: unknown }
  | { expect: "filter"; path?: string; body?: unknown; sees?: string }
  | { expect: "own"; path?: string };

const OWNER: Probe = { expect: "owner" };

/** One or more probes per `METHOD path` of the admin app. `:id`/`:name` are bravo's (or owner-only) ids. */
const cases = (): Record<string, Probe[]> => ({
  "GET /openapi.json": [{ expect: "own" }],
  "GET /whoami": [{ expect: "filter", sees: "alpha" }],
  "POST /pools": [{ expect: "owner", body: { name: "charlie" } }],
  "GET /pools": [{ expect: "filter", sees: "alpha" }],
  "PATCH /pools/:name": [{ expect: "pool", path: "/pools/bravo", body: { ringSize: 2 } }],
  "GET /pools/:name": [{ expect: "pool", path: "/pools/bravo" }],
  "POST /pools/:name/disable": [{ expect: "pool", path: "/pools/bravo/disable" }],
  "POST /pools/:name/enable": [{ expect: "pool", path: "/pools/bravo/enable" }],
  "POST /accounts/oauth/device": [{ expect: "pool", body: { pool: "bravo" } }],
  "POST /accounts/oauth/device/:id/poll": [
    { expect: "pool", path: `/accounts/oauth/device/${b.deviceFlow}/poll` },
  ],
  "POST /accounts/oauth/browser": [{ expect: "pool", body: { pool: "bravo" } }],
  "POST /accounts/oauth/browser/:id/callback": [
    {
      expect: "pool",
      path: `/accounts/oauth/browser/${b.browserFlow}/callback`,
      body: { callbackUrl: "http://localhost:1455/auth/callback?code=c&state=s" },
    },
  ],
  "POST /accounts/import": [
    { expect: "pool", body: { pool: "bravo", authJson: gw.fake.createAccount().authJson } },
  ],
  "GET /accounts": [
    { expect: "filter", sees: alpha.accounts[0]?.id },
    { expect: "pool", path: "/accounts?pool=bravo" },
  ],
  "GET /accounts/:id": [{ expect: "pool", path: `/accounts/${b.account}` }],
  "POST /accounts/:id/pause": [{ expect: "pool", path: `/accounts/${b.account}/pause` }],
  "POST /accounts/:id/resume": [{ expect: "pool", path: `/accounts/${b.account}/resume` }],
  "DELETE /accounts/:id": [{ expect: "pool", path: `/accounts/${b.account}` }],
  "POST /keys": [{ expect: "pool", body: { pool: "bravo", label: "x" } }],
  "GET /keys": [
    { expect: "filter", sees: alpha.keyId },
    { expect: "pool", path: "/keys?pool=bravo" },
  ],
  "POST /keys/:id/rotate": [{ expect: "pool", path: `/keys/${b.key}/rotate` }],
  "POST /keys/:id/pause": [{ expect: "pool", path: `/keys/${b.key}/pause` }],
  "POST /keys/:id/resume": [{ expect: "pool", path: `/keys/${b.key}/resume` }],
  "POST /keys/:id/revoke": [{ expect: "pool", path: `/keys/${b.key}/revoke` }],
  "PATCH /keys/:id": [{ expect: "pool", path: `/keys/${b.key}`, body: { label: "x" } }],
  "DELETE /keys/:id": [{ expect: "pool", path: `/keys/${b.key}` }],
  "GET /keys/:id/usage": [{ expect: "pool", path: `/keys/${b.key}/usage` }],
  "POST /mcp-tokens": [
    { expect: "pool", body: { label: "x", pools: ["alpha", "bravo"] } },
    { expect: "owner", body: { label: "x", role: "owner" } },
  ],
  "GET /mcp-tokens": [{ expect: "filter" }],
  "POST /mcp-tokens/:id/rotate": [
    { expect: "pool", path: `/mcp-tokens/${b.mcpToken}/rotate` },
    { expect: "owner", path: `/mcp-tokens/${b.ownerMcpToken}/rotate` },
  ],
  "POST /mcp-tokens/:id/revoke": [
    { expect: "pool", path: `/mcp-tokens/${b.mcpToken}/revoke` },
    { expect: "owner", path: `/mcp-tokens/${b.ownerMcpToken}/revoke` },
  ],
  "PATCH /mcp-tokens/:id": [
    { expect: "pool", path: `/mcp-tokens/${b.mcpToken}`, body: { label: "x" } },
    { expect: "owner", path: `/mcp-tokens/${b.ownerMcpToken}`, body: { label: "x" } },
  ],
  "POST /admin-tokens": [{ expect: "owner", body: { label: "x" } }],
  "GET /admin-tokens": [OWNER],
  "POST /admin-tokens/:id/rotate": [{ expect: "owner", path: `/admin-tokens/${b.ownerAdminToken}/rotate` }],
  "POST /admin-tokens/:id/revoke": [{ expect: "owner", path: `/admin-tokens/${b.ownerAdminToken}/revoke` }],
  "PATCH /admin-tokens/:id": [
    {
      expect: "owner",
      path: `/admin-tokens/${b.ownerAdminToken}`,
      body: { role: "pool_admin", pools: ["alpha"] },
    },
  ],
  "GET /request-logs": [
    { expect: "filter", sees: "alpha" },
    { expect: "pool", path: "/request-logs?pool=bravo" },
  ],
  "GET /audit-events": [OWNER],
  "GET /usage": [
    { expect: "filter", path: "/usage?groupBy=pool", sees: "alpha" },
    { expect: "filter", path: "/usage?groupBy=account", sees: alpha.accounts[0]?.id },
    { expect: "filter", path: "/usage?groupBy=key", sees: alpha.keyId },
    { expect: "pool", path: "/usage?pool=bravo" },
  ],
  "POST /alert-rules": [{ expect: "pool", body: { pool: "bravo", kind: "pool_no_usable_assignments" } }],
  "GET /alert-rules": [
    { expect: "filter", sees: "alpha" },
    { expect: "pool", path: "/alert-rules?pool=bravo" },
  ],
  "GET /alert-rules/:id": [{ expect: "pool", path: `/alert-rules/${b.rule}` }],
  "PATCH /alert-rules/:id": [{ expect: "pool", path: `/alert-rules/${b.rule}`, body: { displayName: "x" } }],
  "DELETE /alert-rules/:id": [{ expect: "pool", path: `/alert-rules/${b.rule}` }],
  "POST /alert-rules/:id/enable": [{ expect: "pool", path: `/alert-rules/${b.rule}/enable` }],
  "POST /alert-rules/:id/disable": [{ expect: "pool", path: `/alert-rules/${b.rule}/disable` }],
  "POST /alert-channels": [{ expect: "owner", body: { name: "x", url: "https://hooks.example.com/y" } }],
  "GET /alert-channels": [OWNER],
  "GET /alert-channels/:id": [{ expect: "owner", path: `/alert-channels/${b.channel}` }],
  "PATCH /alert-channels/:id": [
    { expect: "owner", path: `/alert-channels/${b.channel}`, body: { name: "y" } },
  ],
  "DELETE /alert-channels/:id": [{ expect: "owner", path: `/alert-channels/${b.channel}` }],
  "POST /alert-channels/:id/enable": [{ expect: "owner", path: `/alert-channels/${b.channel}/enable` }],
  "POST /alert-channels/:id/disable": [{ expect: "owner", path: `/alert-channels/${b.channel}/disable` }],
  "POST /alert-channels/:id/test": [{ expect: "owner", path: `/alert-channels/${b.channel}/test` }],
  "GET /alert-incidents": [{ expect: "filter" }, { expect: "pool", path: "/alert-incidents?pool=bravo" }],
  "GET /alert-incidents/:id": [{ expect: "pool", path: `/alert-incidents/${b.incident}` }],
  "POST /alert-incidents/:id/acknowledge": [
    { expect: "pool", path: `/alert-incidents/${b.incident}/acknowledge` },
  ],
  "POST /alert-incidents/:id/resolve": [{ expect: "pool", path: `/alert-incidents/${b.incident}/resolve` }],
  "POST /alerts/evaluate": [OWNER],
  "GET /settings": [OWNER],
  "GET /admission": [OWNER],
  "PATCH /settings": [{ expect: "owner", body: { mcpEnabled: false } }],
  "POST /invites": [{ expect: "pool", body: { pool: "bravo", email: "x@example.com" } }],
  "GET /invites": [{ expect: "filter" }, { expect: "pool", path: "/invites?pool=bravo" }],
  "GET /invites/:id": [{ expect: "pool", path: `/invites/${b.invite}` }],
  "POST /invites/:id/revoke": [{ expect: "pool", path: `/invites/${b.invite}/revoke` }],
});

/** Every `METHOD path` the admin app serves (middleware entries aside). */
function adminRouteTable(): string[] {
  const app = adminRoutes(gw.local.gateway, bearerAdminAuthenticator(gw.local.gateway), "test");
  return [...new Set(app.routes.filter((r) => r.method !== "ALL").map((r) => `${r.method} ${r.path}`))];
}

describe("a Pool admin's token on every admin route", () => {
  it("has a case for every route of the admin app, and no case for a route that is gone", () => {
    const table = adminRouteTable();
    expect(table.length).toBeGreaterThan(60);
    expect(Object.keys(cases()).sort()).toEqual([...table].sort());
  });

  it("describes every route in the OpenAPI document", async () => {
    const spec = (await as(poolAdmin, "GET", "/openapi.json")).body;
    const missing = adminRouteTable().filter((route) => {
      const [method, path] = route.split(" ") as [string, string];
      return path !== "/openapi.json" && !spec.paths[path.replace(/:(\w+)/g, "{$1}")]?.[method.toLowerCase()];
    });
    expect(missing).toEqual([]);
  });

  it("each route filters to the Pool admin's Pools or answers 403 naming the missing scope", async () => {
    const all = cases();
    const markers = bravoMarkers();
    for (const route of adminRouteTable()) {
      const [method, pattern] = route.split(" ") as [string, string];
      for (const probe of all[route] ?? []) {
        const path = probe.path ?? pattern;
        const body = "body" in probe ? probe.body : undefined;
        const answer = await as(poolAdmin, method, path, body ?? (method === "GET" ? undefined : {}));
        const where = `${route} (${method} ${path}): ${answer.text.slice(0, 300)}`;
        if (probe.expect === "owner" || probe.expect === "pool") {
          expect(answer.status, where).toBe(403);
          expect(answer.body.error, where).toMatchObject({
            type: "invalid_request_error",
            code: "insufficient_scope",
            param: probe.expect === "owner" ? "owner" : "pool:bravo",
          });
          expect(answer.body.error.message, where).toContain(
            probe.expect === "owner" ? "`owner`" : "`pool:bravo`",
          );
        } else if (probe.expect === "filter") {
          expect(answer.status, where).toBe(200);
          for (const marker of markers) expect(answer.text, `${where} leaks ${marker}`).not.toContain(marker);
          if (probe.sees) expect(answer.text, where).toContain(probe.sees);
        } else {
          expect(answer.status, where).toBe(200);
        }
      }
    }
  }, 60_000);

  it("changed nothing it refused", async () => {
    const account = await owner("GET", `/accounts/${b.account}`);
    expect(account.account.status).toBe("paused");
    const keys = (await owner("GET", "/keys?pool=bravo")).data;
    expect(keys.find((k: { id: string }) => k.id === b.key)?.status).toBe("active");
    expect((await owner("GET", `/invites/${b.invite}`)).invite.status).toBe("active");
    expect((await owner("GET", `/alert-rules/${b.rule}`)).rule.displayName).not.toBe("x");
    expect((await owner("GET", "/pools")).data.map((p: { name: string }) => p.name).sort()).toEqual([
      "alpha",
      "bravo",
    ]);
    expect((await owner("GET", "/settings")).settings.mcpEnabled).toBe(true);
    const ownerToken = (await owner("GET", "/admin-tokens")).data.find(
      (t: { id: string }) => t.id === b.ownerAdminToken,
    );
    expect(ownerToken).toMatchObject({ status: "active", role: "owner" });
  });

  it("manages its own Pool: keys, accounts, invites, MCP tokens, logs, with audit events", async () => {
    expect((await as(poolAdmin, "GET", "/whoami")).body).toMatchObject({
      role: "pool_admin",
      pools: ["alpha"],
    });
    const key = await as(poolAdmin, "POST", "/keys", { pool: "alpha", label: "from-admin" });
    expect(key.status).toBe(201);
    const accountId = alpha.accounts[0]?.id as string;
    expect((await as(poolAdmin, "POST", `/accounts/${accountId}/pause`)).status).toBe(200);
    expect((await as(poolAdmin, "POST", `/accounts/${accountId}/resume`)).status).toBe(200);
    expect((await as(poolAdmin, "PATCH", "/pools/alpha", { ringSize: 2 })).status).toBe(200);
    const invite = await as(poolAdmin, "POST", "/invites", { pool: "alpha", email: "pal@example.com" });
    expect(invite.status).toBe(201);
    expect(invite.body.url).toContain("/onboarding/invites/");
    // An MCP token made by a Pool admin is scoped to its Pools unless it names fewer.
    const mcp = await as(poolAdmin, "POST", "/mcp-tokens", { label: "alpha-mcp" });
    expect(mcp.status).toBe(201);
    expect(mcp.body.token).toMatchObject({ role: "pool_admin", pools: ["alpha"] });
    const listed = await as(poolAdmin, "GET", "/mcp-tokens");
    expect(listed.body.data.map((t: { id: string }) => t.id)).toEqual([mcp.body.token.id]);
    const logs = await as(poolAdmin, "GET", "/request-logs");
    expect(logs.body.data.length).toBeGreaterThan(0);
    expect(logs.body.data.every((l: { pool: string }) => l.pool === "alpha")).toBe(true);

    const audit = (await owner("GET", "/audit-events?limit=100")).data.filter(
      (e: { actor: string }) => e.actor.startsWith("admin:") && e.actor !== "admin:env",
    );
    const actions = audit.map((e: { action: string }) => e.action);
    expect(actions).toEqual(
      expect.arrayContaining([
        "api_key.create",
        "invite.create",
        "mcp_token.create",
        "upstream_account.pause",
      ]),
    );
  });

  it("an owner changes a token's scope, and the change applies to the next request", async () => {
    const created = await owner("POST", "/admin-tokens", {
      label: "movable",
      role: "pool_admin",
      pools: ["alpha"],
    });
    const token: string = created.secret;
    expect((await as(token, "GET", "/pools/bravo")).status).toBe(403);
    const patched = await owner("PATCH", `/admin-tokens/${created.token.id}`, { pools: ["alpha", "bravo"] });
    expect(patched.token).toMatchObject({ role: "pool_admin", pools: ["alpha", "bravo"] });
    expect((await as(token, "GET", "/pools/bravo")).status).toBe(200);
    expect((await as(token, "GET", "/settings")).status).toBe(403);
    await owner("PATCH", `/admin-tokens/${created.token.id}`, { role: "owner" });
    expect((await as(token, "GET", "/settings")).status).toBe(200);
    const audit = (await owner("GET", "/audit-events?limit=20")).data.find(
      (e: { action: string; targetId: string }) =>
        e.action === "admin_token.update" && e.targetId === created.token.id,
    );
    expect(audit.details).toMatchObject({ changed: "scope", scope: "owner" });
  });

  it("refuses scopes that cannot work", async () => {
    const noPools = await gw.admin("POST", "/admin-tokens", { label: "x", role: "pool_admin" });
    expect(noPools.status).toBe(400);
    expect(noPools.body.error.param).toBe("pools");
    const unknown = await gw.admin("POST", "/admin-tokens", {
      label: "x",
      role: "pool_admin",
      pools: ["nope"],
    });
    expect(unknown.status).toBe(404);
    const ownerWithPools = await gw.admin("POST", "/admin-tokens", {
      label: "x",
      role: "owner",
      pools: ["alpha"],
    });
    expect(ownerWithPools.status).toBe(400);
  });
});

describe("a Pool-scoped MCP token on every MCP tool", () => {
  let client: Client;
  let ownerClient: Client;
  const connect = async (raw: string) => {
    const c = new Client({ name: "scope-test", version: "1.0.0" });
    await c.connect(
      new StreamableHTTPClientTransport(new URL(`${gw.url}/mcp`), {
        requestInit: { headers: { authorization: `Bearer ${raw}` } },
      }),
    );
    return c;
  };
  beforeAll(async () => {
    const scoped = await as(poolAdmin, "POST", "/mcp-tokens", { label: "alpha-tools" });
    client = await connect(scoped.body.secret);
    ownerClient = await connect((await owner("POST", "/mcp-tokens", { label: "owner-tools" })).secret);
  });
  afterAll(async () => {
    await client?.close();
    await ownerClient?.close();
  });

  type ToolProbe = { args: Record<string, unknown>; expect: "pool" | "owner" | "filter"; sees?: string };
  const toolCases = (): Record<string, ToolProbe[]> => ({
    codex_pooler_get_instance_health: [{ args: {}, expect: "filter" }],
    codex_pooler_list_pools: [{ args: {}, expect: "filter", sees: "alpha" }],
    codex_pooler_get_pool: [
      { args: { pool: "bravo" }, expect: "pool" },
      { args: { pool: "alpha" }, expect: "filter", sees: "alpha" },
    ],
    codex_pooler_list_accounts: [
      { args: {}, expect: "filter", sees: alpha.accounts[0]?.id },
      { args: { pool: "bravo" }, expect: "pool" },
    ],
    codex_pooler_list_pool_api_keys: [
      { args: {}, expect: "filter", sees: alpha.keyId },
      { args: { pool: "bravo" }, expect: "pool" },
    ],
    codex_pooler_get_key_usage: [
      { args: { key: b.key }, expect: "pool" },
      { args: { key: alpha.keyId }, expect: "filter", sees: alpha.keyId },
    ],
    codex_pooler_search_request_logs: [
      { args: {}, expect: "filter", sees: "alpha" },
      { args: { pool: "bravo" }, expect: "pool" },
    ],
    codex_pooler_get_request_log: [{ args: { id: b.log }, expect: "pool" }],
    codex_pooler_get_pool_usage_summary: [
      { args: { pool: "bravo" }, expect: "pool" },
      { args: { pool: "alpha" }, expect: "filter", sees: "alpha" },
    ],
    codex_pooler_get_routing_health: [
      { args: {}, expect: "filter", sees: "alpha" },
      { args: { pool: "bravo" }, expect: "pool" },
    ],
    codex_pooler_list_alert_incidents: [
      { args: {}, expect: "filter" },
      { args: { pool: "bravo" }, expect: "pool" },
    ],
    codex_pooler_list_audit_events: [{ args: {}, expect: "owner" }],
    codex_pooler_list_invites: [
      { args: {}, expect: "filter", sees: "alpha" },
      { args: { pool: "bravo" }, expect: "pool" },
    ],
    codex_pooler_get_client_setup: [{ args: {}, expect: "filter" }],
  });

  it("has a case for every tool the server lists", async () => {
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name).sort()).toEqual(Object.keys(toolCases()).sort());
  });

  it("every tool answers only within the token's Pools", async () => {
    const { tools } = await client.listTools();
    const all = toolCases();
    const markers = bravoMarkers();
    for (const tool of tools) {
      for (const probe of all[tool.name] ?? []) {
        const result = (await client.callTool({ name: tool.name, arguments: probe.args })) as {
          isError?: boolean;
          content: { text: string }[];
        };
        const text = result.content.map((c) => c.text).join("\n");
        const where = `${tool.name}(${JSON.stringify(probe.args)}): ${text.slice(0, 300)}`;
        if (probe.expect === "filter") {
          expect(result.isError, where).toBeFalsy();
          for (const marker of markers) expect(text, `${where} leaks ${marker}`).not.toContain(marker);
          if (probe.sees) expect(text, where).toContain(probe.sees);
        } else {
          expect(result.isError, where).toBe(true);
          expect(text, where).toContain("insufficient_scope");
          expect(text, where).toContain(probe.expect === "owner" ? "`owner`" : "`pool:bravo`");
        }
      }
    }
  }, 60_000);

  it("the same calls with an owner-view token see bravo", async () => {
    const pools = (await ownerClient.callTool({ name: "codex_pooler_list_pools", arguments: {} })) as {
      content: { text: string }[];
    };
    expect(pools.content[0]?.text).toContain("bravo");
    const invites = (await ownerClient.callTool({ name: "codex_pooler_list_invites", arguments: {} })) as {
      content: { text: string }[];
    };
    expect(invites.content[0]?.text).toContain(b.invite);
    expect(invites.content[0]?.text).not.toContain("@example.com");
    const log = (await ownerClient.callTool({
      name: "codex_pooler_get_request_log",
      arguments: { id: b.log },
    })) as {
      isError?: boolean;
    };
    expect(log.isError).toBeFalsy();
  });
});

describe("the pooler CLI's operator, scope and invite commands", () => {
  async function cli(args: string[], token = gw.adminToken) {
    const run = await runPooler(args, {
      env: { POOLER_URL: gw.url, POOLER_ADMIN_TOKEN: token },
      stdin: new PassThrough(),
    });
    return { ...run, last: run.stdout.trimEnd().split("\n").at(-1) as string };
  }

  it("admin-token create --role pool-admin --pool prints a working scoped token last", async () => {
    const made = await cli([
      "admin-token",
      "create",
      "--label",
      "cli-admin",
      "--role",
      "pool-admin",
      "--pool",
      "alpha",
    ]);
    expect(made.code, made.stderr).toBe(0);
    expect(made.last).toMatch(/^adm-cxp-[0-9a-f]{12}-[A-Za-z0-9_-]{43}$/);
    expect(made.stdout).toContain("pool-admin: alpha");
    const who = await cli(["operator", "whoami"], made.last);
    expect(who.stdout).toContain("role:  pool-admin");
    expect(who.stdout).toContain("pools: alpha");
    const refused = await cli(["settings", "show"], made.last);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain("insufficient_scope");

    const id = /^adm-cxp-([0-9a-f]{12})-/.exec(made.last)?.[1] as string;
    const widened = await cli(["operator", "scope", id, "--pool", "alpha", "--pool", "bravo"]);
    expect(widened.stdout).toContain("pool-admin: alpha,bravo");
    expect((await cli(["operator", "list"])).stdout).toMatch(/cli-admin.*pool-admin: alpha,bravo/);
  });

  it("mcp-token create --pool scopes the token; invite create prints the one-time URL last", async () => {
    const mcp = await cli(["mcp-token", "create", "--label", "cli-mcp", "--pool", "alpha"]);
    expect(mcp.code, mcp.stderr).toBe(0);
    expect(mcp.last).toMatch(/^mcp-cxp-/);
    expect(mcp.stdout).toContain("pool-admin: alpha");

    const invite = await cli(
      ["invite", "create", "--pool", "alpha", "--email", "cli@example.com"],
      poolAdmin,
    );
    expect(invite.code, invite.stderr).toBe(0);
    expect(invite.last).toMatch(
      new RegExp(`^${gw.url}/onboarding/invites/inv_[0-9a-f]{16}-[A-Za-z0-9_-]{43}$`),
    );
    expect((await fetch(invite.last)).status).toBe(200);
    const listed = await cli(["invite", "list", "--pool", "alpha"], poolAdmin);
    expect(listed.stdout).toContain("c***@example.com");
    const id = /inv_[0-9a-f]{16}/.exec(invite.last)?.[0] as string;
    expect((await cli(["invite", "revoke", id], poolAdmin)).stdout).toContain("status: revoked");
    expect((await fetch(invite.last)).status).toBe(410);
    const elsewhere = await cli(
      ["invite", "create", "--pool", "bravo", "--email", "x@example.com"],
      poolAdmin,
    );
    expect(elsewhere.code).toBe(1);
    expect(elsewhere.stderr).toContain("pool:bravo");
  });
});
