// The admin contract (src/admin-contract/) against the running gateway: every answer the admin flows
// produce parses strictly with its operation's response schema, every operation is exercised, the
// OpenAPI document types every 2xx answer from the contract, the MCP tools answer with the API's
// records, and the CLI reads answers through the contract (leniently).
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { z } from "zod";
import { OPERATIONS, type Operation } from "../src/admin-contract/operations.ts";
import * as R from "../src/admin-contract/responses.ts";
import { runPooler } from "./helpers/cli.ts";
import { readSse, startTestGateway, TEXT_TURN_BODY, type TestGateway } from "./helpers/gateway.ts";

let gw: TestGateway;
let receiver: Server;
let receiverUrl: string;
let offsetMs = 0;
/** "method path" of each operation whose answer was parsed with its contract schema. */
const checked = new Set<string>();

beforeAll(async () => {
  receiver = createServer((req, res) => {
    req.resume();
    req.on("end", () => res.writeHead(200).end("ok"));
  });
  await new Promise<void>((resolve) => receiver.listen(0, "127.0.0.1", resolve));
  receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
  gw = await startTestGateway(
    { POOLER_SSE_KEEPALIVE_MS: "0", POOLER_ALERT_WEBHOOK_ALLOW_INSECURE: "1" },
    { clock: { now: () => Date.now() + offsetMs } },
  );
});
afterAll(async () => {
  await gw?.stop();
  await new Promise((resolve) => receiver?.close(resolve));
});

const opKey = (op: Operation) => `${op.method.toUpperCase()} ${op.path}`;

/** The contract's operation for a concrete request (a literal path segment wins over a parameter). */
function operationFor(method: string, path: string): Operation | undefined {
  const bare = path.split("?")[0] as string;
  const matches = OPERATIONS.filter(
    (op) =>
      op.method === method.toLowerCase() &&
      new RegExp(`^${op.path.replace(/\{\w+\}/g, "[^/]+")}$`).test(bare),
  );
  return matches.sort((a, b) => a.path.split("{").length - b.path.split("{").length)[0];
}

/** An admin call whose 2xx answer must parse strictly with the contract's schema for it. */
async function admin(method: string, path: string, body?: unknown) {
  const res = await gw.admin(method, path, body);
  expect(res.status, `${method} ${path}: ${JSON.stringify(res.body)}`).toBeLessThan(300);
  const op = operationFor(method, path);
  expect(op, `${method} ${path} is a contract operation`).toBeDefined();
  const schema = op?.ok[res.status] as z.ZodType | undefined;
  expect(schema, `${method} ${path} answers ${res.status} per the contract`).toBeDefined();
  const parsed = schema?.safeParse(res.body);
  expect(parsed?.success, `${method} ${path}: ${JSON.stringify(parsed?.error?.issues)}`).toBe(true);
  checked.add(opKey(op as Operation));
  return res.body;
}

async function turn(key: string) {
  const response = await fetch(`${gw.url}/backend-api/codex/responses`, {
    method: "POST",
    headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
    body: JSON.stringify(TEXT_TURN_BODY),
  });
  expect(response.status).toBe(200);
  await readSse(response);
}

describe("every admin answer parses strictly with its contract schema", () => {
  it("pools, accounts, keys, tokens, logs, usage, settings, invites, OAuth, alerts", async () => {
    await admin("GET", "/whoami");
    await admin("POST", "/pools", { name: "contract" });
    await admin("POST", "/pools", { name: "empty" });
    await admin("GET", "/pools");
    await admin("GET", "/pools/contract");
    await admin("PATCH", "/pools/contract", { ringSize: 2, allowImageGeneration: false });
    await admin("POST", "/pools/empty/disable");
    await admin("POST", "/pools/empty/enable");

    const upstream = gw.fake.createAccount({});
    const imported = await admin("POST", "/accounts/import", {
      pool: "contract",
      authJson: upstream.authJson,
      label: "one",
    });
    const accountId = imported.account.id as string;
    await admin("POST", "/accounts/import", { pool: "contract", authJson: upstream.authJson });
    await admin("GET", "/accounts?pool=contract");
    await admin("POST", `/accounts/${accountId}/pause`);
    await admin("POST", `/accounts/${accountId}/resume`);

    const key = await admin("POST", "/keys", {
      pool: "contract",
      label: "k",
      policy: { tokensPerDay: 1_000_000 },
    });
    await turn(key.secret);
    await admin("GET", `/accounts/${accountId}`);
    await admin("GET", "/keys?pool=contract");
    await admin("PATCH", `/keys/${key.key.id}`, { dashboardAccess: true, policy: { requestsPerMinute: 60 } });
    await admin("GET", `/keys/${key.key.id}/usage`);
    await admin("POST", `/keys/${key.key.id}/pause`);
    await admin("POST", `/keys/${key.key.id}/resume`);
    const spare = await admin("POST", "/keys", { pool: "contract" });
    await admin("POST", `/keys/${spare.key.id}/rotate`);
    await admin("POST", `/keys/${spare.key.id}/revoke`);
    await admin("DELETE", `/keys/${spare.key.id}`);

    for (const family of ["/mcp-tokens", "/admin-tokens"]) {
      const token = await admin("POST", family, { label: "t", role: "pool_admin", pools: ["contract"] });
      await admin("GET", family);
      await admin("PATCH", `${family}/${token.token.id}`, { label: "renamed" });
      await admin("POST", `${family}/${token.token.id}/rotate`);
      await admin("POST", `${family}/${token.token.id}/revoke`);
    }

    await admin("GET", "/request-logs?pool=contract");
    await admin("GET", "/audit-events?limit=5");
    await admin("GET", "/usage?groupBy=key");
    await admin("GET", "/settings");
    await admin("PATCH", "/settings", { mcpEnabled: true, firewall: { trustedProxies: ["10.0.0.0/8"] } });
    await admin("GET", "/admission");

    const invite = await admin("POST", "/invites", { pool: "contract", email: "someone@example.com" });
    await admin("GET", "/invites?pool=contract");
    await admin("GET", `/invites/${invite.invite.id}`);
    await admin("POST", `/invites/${invite.invite.id}/revoke`);

    // OAuth: a device login pending then complete, and a browser login.
    const device = await admin("POST", "/accounts/oauth/device", { pool: "contract", label: "dev" });
    expect((await admin("POST", `/accounts/oauth/device/${device.flow.id}/poll`)).status).toBe("pending");
    gw.fake.approveDevice(device.flow.userCode, { planType: "pro" });
    offsetMs += 2_000;
    expect((await admin("POST", `/accounts/oauth/device/${device.flow.id}/poll`)).status).toBe("complete");
    const browser = await admin("POST", "/accounts/oauth/browser", { pool: "contract", label: "web" });
    const signedIn = gw.fake.authorize(browser.flow.authorizeUrl, { planType: "team" });
    await admin("POST", `/accounts/oauth/browser/${browser.flow.id}/callback`, {
      callbackUrl: signedIn.callbackUrl,
    });

    const channel = await admin("POST", "/alert-channels", { name: "ops", url: `${receiverUrl}/hook` });
    const channelId = channel.channel.id as string;
    await admin("GET", "/alert-channels");
    await admin("GET", `/alert-channels/${channelId}`);
    await admin("PATCH", `/alert-channels/${channelId}`, { name: "ops-2", format: "slack" });
    await admin("POST", `/alert-channels/${channelId}/disable`);
    await admin("POST", `/alert-channels/${channelId}/enable`);
    await admin("POST", `/alert-channels/${channelId}/test`);
    // A Pool with no account fires pool_no_usable_assignments on the next evaluation.
    const rule = await admin("POST", "/alert-rules", {
      pool: "empty",
      kind: "pool_no_usable_assignments",
      channelIds: [channelId],
    });
    const ruleId = rule.rule.id as string;
    await admin("GET", "/alert-rules?pool=empty");
    await admin("GET", `/alert-rules/${ruleId}`);
    await admin("PATCH", `/alert-rules/${ruleId}`, { severity: "critical", cooldownMinutes: 30 });
    await admin("POST", "/alerts/evaluate");
    const incidents = await admin("GET", "/alert-incidents?pool=empty");
    const incidentId = incidents.data[0]?.id as string;
    expect(incidentId).toMatch(/^inc_/);
    await admin("GET", `/alert-incidents/${incidentId}`);
    await admin("POST", `/alert-incidents/${incidentId}/acknowledge`);
    await admin("POST", `/alert-incidents/${incidentId}/resolve`);
    await admin("POST", `/alert-rules/${ruleId}/disable`);
    await admin("POST", `/alert-rules/${ruleId}/enable`);
    await admin("DELETE", `/alert-rules/${ruleId}`);
    await admin("DELETE", `/alert-channels/${channelId}`);
    await admin("DELETE", `/accounts/${accountId}`);

    expect(OPERATIONS.map(opKey).filter((op) => !checked.has(op))).toEqual([]);
  });
});

describe("the OpenAPI document", () => {
  it("types a 2xx answer of every admin operation from the contract's components", async () => {
    const doc = await (await fetch(`${gw.url}/admin/v1/openapi.json`)).json();
    const resolve = (schema: any): any =>
      schema?.$ref ? doc.components.schemas[schema.$ref.replace("#/components/schemas/", "")] : schema;
    const typed = (schema: any): boolean => {
      const s = resolve(schema);
      if (!s) return false;
      if (Array.isArray(s.anyOf ?? s.oneOf)) return (s.anyOf ?? s.oneOf).every(typed);
      return s.type === "object" && Object.keys(s.properties ?? {}).length > 0;
    };
    const untyped: string[] = [];
    for (const op of OPERATIONS) {
      const responses = doc.paths[op.path]?.[op.method]?.responses ?? {};
      const ok = Object.keys(responses).filter((status) => status.startsWith("2"));
      expect(ok.length, opKey(op)).toBeGreaterThan(0);
      for (const status of ok) {
        const schema = responses[status].content["application/json"].schema;
        if (!schema.$ref || !typed(schema)) untyped.push(`${opKey(op)} ${status}`);
      }
    }
    expect(untyped).toEqual([]);
    // The records themselves carry their fields (a $ref to Pool from PoolResponse, and so on).
    expect(Object.keys(doc.components.schemas.Pool.properties)).toEqual(Object.keys(R.Pool.shape));
    expect(resolve(doc.components.schemas.PoolResponse.properties.pool)).toEqual(doc.components.schemas.Pool);
  });
});

describe("MCP answers use the API's records", () => {
  let client: Client;
  beforeAll(async () => {
    const seeded = await gw.seed({ pool: "mcp-contract", accounts: 1 });
    await turn(seeded.key);
    await admin("POST", "/alert-rules", { pool: "mcp-contract", kind: "pool_error_rate_spike" });
    await admin("POST", "/alert-rules", { pool: "empty", kind: "pool_no_usable_assignments" });
    await admin("POST", "/alerts/evaluate");
    const token = await admin("POST", "/mcp-tokens", { label: "contract" });
    client = new Client({ name: "contract-test", version: "1.0.0" });
    await client.connect(
      new StreamableHTTPClientTransport(new URL(`${gw.url}/mcp`), {
        requestInit: { headers: { authorization: `Bearer ${token.secret}` } },
      }),
    );
  });
  afterAll(async () => {
    await client?.close();
  });

  const answer = async (name: string, args: Record<string, unknown> = {}) => {
    const result = (await client.callTool({ name, arguments: args })) as any;
    expect(result.isError, JSON.stringify(result.content)).toBeFalsy();
    return result.structuredContent;
  };

  it.each([
    ["codex_pooler_list_pools", "pools", R.McpPoolSummary],
    ["codex_pooler_list_accounts", "accounts", R.McpAccount],
    ["codex_pooler_list_pool_api_keys", "keys", R.ApiKey],
    ["codex_pooler_search_request_logs", "logs", R.RequestLog],
    ["codex_pooler_list_alert_incidents", "incidents", R.AlertIncident],
  ] as const)("%s lists %s with the contract's field names", async (tool, field, schema) => {
    const items = (await answer(tool))[field] as Record<string, unknown>[];
    expect(items.length).toBeGreaterThan(0);
    for (const item of items) {
      expect(Object.keys(item).sort()).toEqual(Object.keys(schema.shape).sort());
      const parsed = schema.safeParse(item);
      expect(parsed.success, JSON.stringify(parsed.error?.issues)).toBe(true);
    }
  });

  it("an MCP account is the API's account minus the masked email", async () => {
    const [account] = (await answer("codex_pooler_list_accounts", { pool: "mcp-contract" })).accounts;
    const { email, ...api } = (await admin("GET", `/accounts/${account.id}`)).account;
    expect(email).toMatch(/\*\*\*@/);
    expect(Object.keys(account).sort()).toEqual(Object.keys(api).sort());
    expect(account).toMatchObject({ id: api.id, label: api.label, planType: api.planType });
  });
});

describe("the CLI reads answers through the contract", () => {
  /** `pooler <args>` in-process against a stub answering `body` to every request. */
  function cliAgainst(body: unknown, args: string[]) {
    return runPooler(args, {
      env: { POOLER_URL: "http://127.0.0.1:9", POOLER_ADMIN_TOKEN: "adm-cxp-test" },
      fetch: (async () => Response.json(body)) as typeof fetch,
    });
  }

  it("reads a real answer, and one from a newer gateway (new fields, a new enum value)", async () => {
    const real = await admin("GET", "/pools");
    const ok = await cliAgainst(real, ["pool", "list"]);
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toContain("contract");
    const newer = {
      data: [{ ...real.data[0], strategy: "some_future_strategy", aFieldAddedLater: { x: 1 } }],
    };
    const forward = await cliAgainst(newer, ["pool", "list"]);
    expect(forward.code, forward.stderr).toBe(0);
    expect(forward.stdout).toContain("some_future_strategy");
  });

  it("refuses an answer without what the contract's lenient reading keeps (a Pool's name)", async () => {
    const res = await cliAgainst({ data: [{ strategy: "bridge_ring" }] }, ["pool", "list"]);
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/unexpected response to pool list at data\.0\.name/);
  });
});
