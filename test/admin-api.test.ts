// The admin API over real HTTP against the local host (embedded store, encrypted file secrets, fake
// upstream): auth, pools, account import and lifecycle, Pool API keys, MCP tokens, audit, request logs.
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AuthJson } from "./fake-upstream/index.ts";
import {
  readSse,
  type Seeded,
  startTestGateway,
  TEXT_TURN_BODY,
  type TestGateway,
  waitFor,
} from "./helpers/gateway.ts";

let gw: TestGateway;
/** Every raw secret this file has seen; none may ever show up in an admin answer or audit event. */
const secrets = new Set<string>();

beforeAll(async () => {
  gw = await startTestGateway({ POOLER_SSE_KEEPALIVE_MS: "0" });
  secrets.add(gw.adminToken);
});
afterAll(async () => {
  await gw?.stop();
});

const KEY_SECRET = /^sk-cxp-[0-9a-f]{12}-[A-Za-z0-9_-]{43}$/;
const MCP_SECRET = /^mcp-cxp-[0-9a-f]{12}-[A-Za-z0-9_-]{43}$/;
const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

/** Raw HTTP against /admin/v1 with any (or no) Authorization header; returns the body as text too. */
async function rawAdmin(path: string, init: { method?: string; auth?: string | null; body?: unknown } = {}) {
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (init.auth !== null) headers.authorization = init.auth ?? `Bearer ${gw.adminToken}`;
  const response = await fetch(`${gw.url}/admin/v1${path}`, {
    method: init.method ?? "GET",
    headers,
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
  });
  const text = await response.text();
  return { status: response.status, text, body: JSON.parse(text) };
}

const runtime = (key: string | undefined, body: unknown = TEXT_TURN_BODY) =>
  fetch(`${gw.url}/backend-api/codex/responses`, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      accept: "text/event-stream",
      ...(key ? { authorization: `Bearer ${key}` } : {}),
    },
    body: JSON.stringify(body),
  });

/** A served turn: 200 and a stream that ends in response.completed. */
async function served(key: string, body: unknown = TEXT_TURN_BODY) {
  const response = await runtime(key, body);
  expect(response.status).toBe(200);
  expect((await readSse(response)).at(-1)?.type).toBe("response.completed");
}

function expectError(
  res: { status: number; body: any },
  status: number,
  code: string,
  param: string | null = null,
) {
  expect(res.status).toBe(status);
  expect(Object.keys(res.body)).toEqual(["error"]);
  expect(res.body.error).toEqual({
    message: expect.any(String),
    type: "invalid_request_error",
    code,
    param,
  });
  expect(res.body.error.message.length).toBeGreaterThan(0);
}

function tokensOf(auth: AuthJson): string[] {
  return [auth.tokens.id_token, auth.tokens.access_token, auth.tokens.refresh_token];
}

function remember(auth: AuthJson): AuthJson {
  for (const token of tokensOf(auth)) secrets.add(token);
  return auth;
}

function expectNoSecrets(text: string, extra: readonly string[] = []) {
  for (const secret of [...secrets, ...extra]) expect(text).not.toContain(secret);
}

async function createPool(name: string) {
  const res = await gw.admin("POST", "/pools", { name });
  expect(res.status).toBe(201);
  return res.body.pool;
}

async function createKey(pool: string, label?: string) {
  const res = await gw.admin("POST", "/keys", { pool, label });
  expect(res.status).toBe(201);
  secrets.add(res.body.secret);
  return { id: res.body.key.id as string, secret: res.body.secret as string, view: res.body.key };
}

async function importAccount(pool: string, authJson: unknown, label?: string) {
  return rawAdmin("/accounts/import", { method: "POST", body: { pool, authJson, label } });
}

const secretFiles = () => readdirSync(join(gw.dataDir, "secrets")).filter((f) => f.endsWith(".json"));

async function allAuditEvents(): Promise<any[]> {
  const res = await gw.admin("GET", "/audit-events?limit=1000");
  expect(res.status).toBe(200);
  return res.body.data;
}

const adminActor = () => `admin:${gw.adminToken.slice("adm-cxp-".length, "adm-cxp-".length + 12)}`;

describe("admin auth", () => {
  let seeded: Seeded;
  beforeAll(async () => {
    seeded = await gw.seed({ pool: "auth-pool", accounts: 1 });
    secrets.add(seeded.key);
  });

  it.each([
    ["no Authorization header", () => null],
    ["a wrong admin token", () => `Bearer adm-cxp-000000000000-${"A".repeat(43)}`],
    ["a malformed token", () => "Bearer not-a-token"],
    ["the admin token without the Bearer scheme", () => gw.adminToken],
    ["a Pool API key", () => `Bearer ${seeded.key}`],
  ])("rejects %s with 401 admin_token_invalid", async (_name, auth) => {
    for (const [method, path] of [
      ["GET", "/pools"],
      ["POST", "/pools"],
      ["GET", "/audit-events"],
    ] as const) {
      const res = await rawAdmin(path, {
        method,
        auth: auth(),
        body: method === "POST" ? { name: "x" } : undefined,
      });
      expectError(res, 401, "admin_token_invalid");
      expectNoSecrets(res.text);
    }
    // Nothing was created by the refused POST.
    expect((await gw.admin("GET", "/pools/x")).status).toBe(404);
  });

  it("rejects an MCP token as an admin token", async () => {
    const mcp = await gw.admin("POST", "/mcp-tokens", { label: "not-admin" });
    secrets.add(mcp.body.secret);
    expectError(await rawAdmin("/pools", { auth: `Bearer ${mcp.body.secret}` }), 401, "admin_token_invalid");
  });

  it("accepts the admin token", async () => {
    const res = await rawAdmin("/pools");
    expect(res.status).toBe(200);
    expect(res.body.data.map((p: { name: string }) => p.name)).toContain("auth-pool");
  });

  it("serves the OpenAPI description without auth, listing every admin route", async () => {
    const res = await rawAdmin("/openapi.json", { auth: null });
    expect(res.status).toBe(200);
    const spec = res.body;
    expect(spec.openapi).toBe("3.1.0");
    expect(spec.servers).toEqual([{ url: "/admin/v1" }]);
    expect(spec.components.schemas.Error.properties.error.required).toEqual([
      "message",
      "type",
      "code",
      "param",
    ]);
    const routes: [string, string][] = [
      ["get", "/pools"],
      ["post", "/pools"],
      ["get", "/pools/{name}"],
      ["get", "/accounts"],
      ["post", "/accounts/import"],
      ["get", "/accounts/{id}"],
      ["delete", "/accounts/{id}"],
      ["post", "/accounts/{id}/pause"],
      ["post", "/accounts/{id}/resume"],
      ["get", "/keys"],
      ["post", "/keys"],
      ["post", "/keys/{id}/pause"],
      ["post", "/keys/{id}/resume"],
      ["post", "/keys/{id}/revoke"],
      ["post", "/keys/{id}/rotate"],
      ["get", "/mcp-tokens"],
      ["post", "/mcp-tokens"],
      ["post", "/mcp-tokens/{id}/revoke"],
      ["post", "/mcp-tokens/{id}/rotate"],
      ["get", "/request-logs"],
      ["get", "/audit-events"],
    ];
    const listed: [string, string][] = Object.entries(
      spec.paths as Record<string, Record<string, unknown>>,
    ).flatMap(([path, ops]) => Object.keys(ops).map((method): [string, string] => [method, path]));
    expect(listed.map(([m, p]) => `${m} ${p}`)).toEqual(
      expect.arrayContaining(routes.map(([m, p]) => `${m} ${p}`)),
    );
    for (const path of ["/pools", "/accounts/import", "/keys", "/mcp-tokens"]) {
      expect(spec.paths[path].post.requestBody.content["application/json"].schema.type).toBe("object");
    }
    // Every documented operation exists on the server (an unknown route answers code "not_found").
    for (const [method, path] of listed) {
      const concrete = path.replace("{name}", "no-such-pool").replace("{id}", "000000000000");
      const probe = await rawAdmin(concrete, {
        method: method.toUpperCase(),
        // An unknown field fails every create schema, so the probe mutates nothing.
        body: method === "post" ? { unexpected: true } : undefined,
      });
      expect(probe.status, `${method} ${path}`).not.toBe(401);
      expect(probe.body.error?.code, `${method} ${path}`).not.toBe("not_found");
    }
  });

  it("answers unknown admin routes with an OpenAI-shaped 404", async () => {
    expectError(await rawAdmin("/nope"), 404, "not_found");
  });
});

describe("pools", () => {
  it("creates a pool and returns its view", async () => {
    // The valid strategies, as the API documents them.
    const spec = (await rawAdmin("/openapi.json", { auth: null })).body;
    const strategies: string[] =
      spec.paths["/pools"].post.requestBody.content["application/json"].schema.properties.strategy.enum;
    expect(strategies.length).toBeGreaterThan(0);

    const res = await gw.admin("POST", "/pools", { name: "pool-alpha" });
    expect(res.status).toBe(201);
    expect(Object.keys(res.body)).toEqual(["pool"]);
    expect(res.body.pool).toMatchObject({
      name: "pool-alpha",
      createdAt: expect.stringMatching(ISO),
      updatedAt: expect.stringMatching(ISO),
      accountCount: 0,
      keyCount: 0,
    });
    expect(strategies).toContain(res.body.pool.strategy);
    expect(res.body.pool.updatedAt).toBe(res.body.pool.createdAt);
    expect((await gw.admin("GET", "/pools/pool-alpha")).body.pool).toEqual(res.body.pool);

    const chosen = strategies.at(-1)!;
    const explicit = await gw.admin("POST", "/pools", { name: "pool_beta-2", strategy: chosen });
    expect(explicit.status).toBe(201);
    expect(explicit.body.pool.strategy).toBe(chosen);
  });

  it("refuses a duplicate name with 409 pool_exists", async () => {
    await createPool("pool-dup");
    const again = await gw.admin("POST", "/pools", { name: "pool-dup" });
    expectError(again, 409, "pool_exists");
    expect(again.body.error.message).toContain("pool-dup");
  });

  it.each([
    ["upper case", "Pool"],
    ["a space", "my pool"],
    ["a leading dash", "-pool"],
    ["an empty name", ""],
    ["64 characters", "a".repeat(64)],
    ["a slash", "a/b"],
  ])("refuses a name with %s (400, param name)", async (_what, name) => {
    expectError(await gw.admin("POST", "/pools", { name }), 400, "invalid_request", "name");
  });

  it("refuses a missing name, an unknown strategy, an unknown field and a non-JSON body", async () => {
    expectError(await gw.admin("POST", "/pools", {}), 400, "invalid_request", "name");
    expectError(
      await gw.admin("POST", "/pools", { name: "pool-strat", strategy: "round_robin" }),
      400,
      "invalid_request",
      "strategy",
    );
    const extra = await gw.admin("POST", "/pools", { name: "pool-extra", owner: "me" });
    expectError(extra, 400, "invalid_request");
    expect(extra.body.error.message).toContain("owner");
    const notJson = await fetch(`${gw.url}/admin/v1/pools`, {
      method: "POST",
      headers: { authorization: `Bearer ${gw.adminToken}`, "content-type": "application/json" },
      body: "{nope",
    });
    expectError({ status: notJson.status, body: await notJson.json() }, 400, "invalid_request");
    for (const name of ["pool-strat", "pool-extra"])
      expect((await gw.admin("GET", `/pools/${name}`)).status).toBe(404);
  });

  it("lists pools with account and (non-revoked) key counts", async () => {
    const seeded = await gw.seed({ pool: "pool-counted", accounts: 2 });
    secrets.add(seeded.key);
    const second = await createKey("pool-counted");
    const revoked = await createKey("pool-counted");
    expect((await gw.admin("POST", `/keys/${revoked.id}/revoke`)).status).toBe(200);
    const list = await gw.admin("GET", "/pools");
    expect(list.status).toBe(200);
    const byName = new Map(list.body.data.map((p: { name: string }) => [p.name, p]));
    expect(byName.get("pool-counted")).toMatchObject({ name: "pool-counted", accountCount: 2, keyCount: 2 });
    expect(byName.get("pool-alpha")).toMatchObject({ accountCount: 0, keyCount: 0 });
    const detail = await gw.admin("GET", "/pools/pool-counted");
    expect(detail.status).toBe(200);
    expect(detail.body.pool).toEqual(byName.get("pool-counted"));
    expect(second.id).not.toBe(revoked.id);
  });

  it("answers 404 pool_not_found for an unknown pool", async () => {
    const res = await gw.admin("GET", "/pools/no-such-pool");
    expectError(res, 404, "pool_not_found");
    expect(res.body.error.message).toContain("no-such-pool");
  });
});

describe("account import", () => {
  beforeAll(async () => {
    await createPool("imp-one");
    await createPool("imp-two");
  });

  it("imports an auth.json: 201, warnings, a masked email and no tokens or raw ids anywhere", async () => {
    const fake = gw.fake.createAccount({ email: "jane.doe@example.com", planType: "pro" });
    const auth = remember(fake.authJson);
    const res = await importAccount("imp-one", auth, "  jane  ");
    expect(res.status).toBe(201);
    expect(res.body.warnings).toEqual(expect.arrayContaining([expect.stringContaining("auth.json")]));
    expect(res.body.warnings.length).toBeGreaterThan(0);
    const account = res.body.account;
    expect(account).toEqual({
      id: expect.stringMatching(/^acc_[0-9a-f]{16}$/),
      label: "jane",
      pools: ["imp-one"],
      status: "active",
      planType: "pro",
      email: "j***@example.com",
      accessTokenExpiresAt: expect.stringMatching(ISO),
      lastRefreshAt: null,
      lastUsedAt: null,
      lastSuccessAt: null,
      refreshRetryAt: null,
      lastErrorCode: null,
      quota: null,
      unavailableModels: [],
      createdAt: expect.stringMatching(ISO),
      updatedAt: expect.stringMatching(ISO),
    });
    expect(Date.parse(account.accessTokenExpiresAt)).toBeGreaterThan(Date.now());
    const forbidden = [...tokensOf(auth), fake.accountId, "jane.doe"];
    expectNoSecrets(res.text, forbidden);

    const list = await rawAdmin("/accounts");
    expect(list.body.data.map((a: { id: string }) => a.id)).toContain(account.id);
    expectNoSecrets(list.text, forbidden);
    const detail = await rawAdmin(`/accounts/${account.id}`);
    expect(detail.status).toBe(200);
    expect(detail.body.account).toEqual(account);
    expectNoSecrets(detail.text, forbidden);
  });

  it("gives an unlabelled account a label from its plan", async () => {
    const auth = remember(gw.fake.createAccount({ planType: "team" }).authJson);
    const res = await importAccount("imp-one", auth);
    expect(res.status).toBe(201);
    expect(res.body.account.label).toMatch(/^team-[0-9a-f]{6}$/);
  });

  it("refuses an API-key-mode auth.json without echoing the key", async () => {
    const before = (await gw.admin("GET", "/accounts")).body.data.length;
    const apiKey = `sk-proj-${"Z9".repeat(24)}`;
    for (const authJson of [{ auth_mode: "apikey", OPENAI_API_KEY: apiKey }, { OPENAI_API_KEY: apiKey }]) {
      const res = await importAccount("imp-one", authJson);
      expectError(res, 400, "unsupported_auth_mode", "authJson");
      expect(res.text).not.toContain(apiKey);
      expect(res.body.error.message).toContain("codex login");
    }
    expect((await gw.admin("GET", "/accounts")).body.data.length).toBe(before);
  });

  it.each(["refresh_token", "access_token", "id_token"] as const)(
    "refuses an auth.json without tokens.%s, naming the field",
    async (field) => {
      const auth = remember(gw.fake.createAccount().authJson);
      const tokens: Record<string, string> = { ...auth.tokens };
      delete tokens[field];
      const res = await importAccount("imp-one", { ...auth, tokens });
      expectError(res, 400, "invalid_request", `authJson.tokens.${field}`);
      expect(res.body.error.message).toContain(field);
      expectNoSecrets(res.text);
    },
  );

  it("refuses an auth.json without a tokens object or any account id", async () => {
    expectError(
      await importAccount("imp-one", { auth_mode: "chatgpt", OPENAI_API_KEY: null }),
      400,
      "invalid_request",
      "authJson.tokens",
    );
    const res = await importAccount("imp-one", {
      auth_mode: "chatgpt",
      tokens: { id_token: "not-a-jwt", access_token: "also-not", refresh_token: "rt_x" },
    });
    expectError(res, 400, "invalid_request", "authJson.tokens.account_id");
    expect(res.text).not.toContain("also-not");
  });

  it("takes the account id from the id token when tokens.account_id is absent", async () => {
    const fake = gw.fake.createAccount();
    const auth = remember(fake.authJson);
    const { account_id: _omitted, ...tokens } = auth.tokens;
    const first = await importAccount("imp-one", { ...auth, tokens }, "from-claim");
    expect(first.status).toBe(201);
    expect(first.text).not.toContain(fake.accountId);
    // The same login, now with an explicit account_id, is recognised as that account.
    const again = await importAccount("imp-one", auth);
    expect(again.status).toBe(200);
    expect(again.body.account.id).toBe(first.body.account.id);
    // And the id is the one the upstream sees: a request through this account carries it.
    const key = await createKey("imp-one");
    const pool = (await gw.admin("GET", "/accounts?pool=imp-one")).body.data;
    for (const other of pool.filter((a: { id: string }) => a.id !== first.body.account.id)) {
      expect((await gw.admin("POST", `/accounts/${other.id}/pause`)).status).toBe(200);
    }
    await served(key.secret);
    expect(gw.fake.responsesFor(fake.accountId)).toHaveLength(1);
    expect(gw.fake.responsesFor(fake.accountId)[0]!.headers["chatgpt-account-id"]).toBe(fake.accountId);
  });

  it("replaces the tokens of a known login (200, replaced warning, same id, no duplicate)", async () => {
    const fake = gw.fake.createAccount();
    const auth = remember(fake.authJson);
    const first = await importAccount("imp-two", auth, "original");
    expect(first.status).toBe(201);
    const countBefore = (await gw.admin("GET", "/accounts")).body.data.length;
    const again = await importAccount("imp-two", auth);
    expect(again.status).toBe(200);
    expect(again.body.account.id).toBe(first.body.account.id);
    expect(again.body.account.label).toBe("original");
    expect(again.body.account.pools).toEqual(["imp-two"]);
    expect(again.body.warnings.some((w: string) => w.includes("replaced"))).toBe(true);
    expect(again.body.warnings.join(" ")).toContain(first.body.account.id);
    expectNoSecrets(again.text, [fake.accountId]);
    const after = (await gw.admin("GET", "/accounts")).body.data;
    expect(after.length).toBe(countBefore);
    expect(after.filter((a: { id: string }) => a.id === first.body.account.id)).toHaveLength(1);
    expect((await gw.admin("GET", "/pools/imp-two")).body.pool.accountCount).toBe(1);
  });

  it("refuses an import into a pool that does not exist (404), creating nothing", async () => {
    const before = (await gw.admin("GET", "/accounts")).body.data.length;
    const files = secretFiles().length;
    const auth = remember(gw.fake.createAccount().authJson);
    const res = await importAccount("no-such-pool", auth);
    expectError(res, 404, "pool_not_found");
    expectNoSecrets(res.text);
    expect((await gw.admin("GET", "/accounts")).body.data.length).toBe(before);
    expect(secretFiles().length).toBe(files);
  });

  it("refuses an invalid import body", async () => {
    const auth = remember(gw.fake.createAccount().authJson);
    expectError(await importAccount("Bad Pool", auth), 400, "invalid_request", "pool");
    expectError(
      await rawAdmin("/accounts/import", { method: "POST", body: { pool: "imp-one", authJson: "{}" } }),
      400,
      "invalid_request",
      "authJson",
    );
    const extra = await rawAdmin("/accounts/import", {
      method: "POST",
      body: { pool: "imp-one", authJson: auth, secret: true },
    });
    expectError(extra, 400, "invalid_request");
    expectNoSecrets(extra.text);
  });

  it("adds a second pool to an account imported again into it", async () => {
    await createPool("imp-three");
    const fake = gw.fake.createAccount();
    const auth = remember(fake.authJson);
    const first = await importAccount("imp-one", auth, "shared");
    expect(first.status).toBe(201);
    const second = await importAccount("imp-three", auth);
    expect(second.status).toBe(200);
    expect(second.body.account.id).toBe(first.body.account.id);
    expect(second.body.account.pools).toEqual(["imp-one", "imp-three"]);
    const inThree = (await gw.admin("GET", "/accounts?pool=imp-three")).body.data;
    expect(inThree.map((a: { id: string }) => a.id)).toEqual([first.body.account.id]);
    const inOne = (await gw.admin("GET", "/accounts?pool=imp-one")).body.data;
    expect(inOne.map((a: { id: string }) => a.id)).toContain(first.body.account.id);
    expect((await gw.admin("GET", "/pools/imp-three")).body.pool.accountCount).toBe(1);
  });
});

describe("account pause, resume and remove", () => {
  let seeded: Seeded;
  beforeAll(async () => {
    seeded = await gw.seed({ pool: "life-pool", accounts: 2 });
    secrets.add(seeded.key);
  });

  it("serves a pool's requests from the other account while one is paused, and from both once resumed", async () => {
    const [a, b] = seeded.accounts;
    const countA = () => gw.fake.responsesFor(a!.accountId).length;
    const countB = () => gw.fake.responsesFor(b!.accountId).length;
    const paused = await gw.admin("POST", `/accounts/${a!.id}/pause`);
    expect(paused.status).toBe(200);
    expect(paused.body.account).toMatchObject({ id: a!.id, status: "paused", label: a!.label });
    expect((await gw.admin("GET", `/accounts/${a!.id}`)).body.account.status).toBe("paused");

    const [beforeA, beforeB] = [countA(), countB()];
    for (let i = 0; i < 4; i++) await served(seeded.key);
    expect(countA()).toBe(beforeA);
    expect(countB()).toBe(beforeB + 4);
    const logs = await waitFor(async () => {
      const { body } = await gw.admin("GET", `/request-logs?key=${seeded.keyId}&limit=50`);
      return body.data.length >= 4 ? body.data : undefined;
    });
    expect(new Set(logs.map((l: { accountLabel: string }) => l.accountLabel))).toEqual(new Set([b!.label]));

    const resumed = await gw.admin("POST", `/accounts/${a!.id}/resume`);
    expect(resumed.status).toBe(200);
    expect(resumed.body.account.status).toBe("active");
    // A is routable again: with B paused in turn, A serves everything.
    expect((await gw.admin("POST", `/accounts/${b!.id}/pause`)).status).toBe(200);
    for (let i = 0; i < 2; i++) await served(seeded.key);
    expect(countA()).toBe(beforeA + 2);
    expect(countB()).toBe(beforeB + 4);
    expect((await gw.admin("POST", `/accounts/${b!.id}/resume`)).body.account.status).toBe("active");
  });

  it("answers 404 for pause/resume/get of an unknown account", async () => {
    for (const [method, path] of [
      ["POST", "/accounts/acc_0000000000000000/pause"],
      ["POST", "/accounts/acc_0000000000000000/resume"],
      ["GET", "/accounts/acc_0000000000000000"],
      ["DELETE", "/accounts/acc_0000000000000000"],
    ] as const) {
      expectError(await gw.admin(method, path), 404, "account_not_found");
    }
  });

  it("removes an account and its secret; it is gone everywhere afterwards", async () => {
    const [a, b] = seeded.accounts;
    const filesBefore = secretFiles();
    const removed = await gw.admin("DELETE", `/accounts/${a!.id}`);
    expect(removed.status).toBe(200);
    expect(removed.body).toEqual({ id: a!.id, deleted: true });
    const filesAfter = secretFiles();
    expect(filesAfter.length).toBe(filesBefore.length - 1);
    expect(filesAfter.every((f) => filesBefore.includes(f))).toBe(true);

    expectError(await gw.admin("GET", `/accounts/${a!.id}`), 404, "account_not_found");
    expectError(await gw.admin("DELETE", `/accounts/${a!.id}`), 404, "account_not_found");
    expectError(await gw.admin("POST", `/accounts/${a!.id}/resume`), 404, "account_not_found");
    const ids = (await gw.admin("GET", "/accounts")).body.data.map((x: { id: string }) => x.id);
    expect(ids).not.toContain(a!.id);
    expect(ids).toContain(b!.id);
    expect((await gw.admin("GET", "/pools/life-pool")).body.pool.accountCount).toBe(1);

    const beforeA = gw.fake.responsesFor(a!.accountId).length;
    for (let i = 0; i < 3; i++) await served(seeded.key);
    expect(gw.fake.responsesFor(a!.accountId).length).toBe(beforeA);
  });
});

describe("Pool API keys", () => {
  beforeAll(async () => {
    await gw.seed({ pool: "keys-one", accounts: 1 }).then((s) => secrets.add(s.key));
    await createPool("keys-two");
  });

  it("creates a key: 201, the raw key once, a view without it", async () => {
    const res = await rawAdmin("/keys", { method: "POST", body: { pool: "keys-one", label: "ci" } });
    expect(res.status).toBe(201);
    const { key, secret } = res.body;
    secrets.add(secret);
    expect(secret).toMatch(KEY_SECRET);
    expect(key).toEqual({
      id: expect.stringMatching(/^[0-9a-f]{12}$/),
      prefix: `sk-cxp-${key.id}`,
      pool: "keys-one",
      policy: {
        allowedModels: null,
        maxReasoningEffort: null,
        requestsPerMinute: null,
        tokensPerDay: null,
        tokensPerWeek: null,
      },
      dashboardAccess: false,
      label: "ci",
      status: "active",
      createdAt: expect.stringMatching(ISO),
      updatedAt: expect.stringMatching(ISO),
      lastUsedAt: null,
      revokedAt: null,
    });
    expect(secret.startsWith(`${key.prefix}-`)).toBe(true);
    await served(secret);

    const list = await rawAdmin("/keys");
    expect(list.status).toBe(200);
    expect(list.body.data.map((k: { id: string }) => k.id)).toContain(key.id);
    expect(list.text).not.toContain(secret);
    expect(list.text).not.toContain(secret.slice(-43));
    expectNoSecrets(list.text);
    const listed = list.body.data.find((k: { id: string }) => k.id === key.id);
    expect(Object.keys(listed).sort()).toEqual(Object.keys(key).sort());
  });

  it("lists keys filtered by pool", async () => {
    const one = await createKey("keys-one", "one");
    const two = await createKey("keys-two", "two");
    const filtered = await gw.admin("GET", "/keys?pool=keys-two");
    expect(filtered.status).toBe(200);
    expect(filtered.body.data.map((k: { id: string }) => k.id)).toEqual([two.id]);
    const other = (await gw.admin("GET", "/keys?pool=keys-one")).body.data;
    expect(other.map((k: { id: string }) => k.id)).toContain(one.id);
    expect(other.every((k: { pool: string }) => k.pool === "keys-one")).toBe(true);
    const all = (await gw.admin("GET", "/keys")).body.data.map((k: { id: string }) => k.id);
    expect(all).toEqual(expect.arrayContaining([one.id, two.id]));
    expect((await gw.admin("GET", "/keys?pool=no-such-pool")).body.data).toEqual([]);
  });

  it("pauses, resumes, rotates and revokes a key", async () => {
    const key = await createKey("keys-one", "life");
    const paused = await gw.admin("POST", `/keys/${key.id}/pause`);
    expect(paused.status).toBe(200);
    expect(Object.keys(paused.body)).toEqual(["key"]);
    expect(paused.body.key).toMatchObject({ id: key.id, status: "paused", revokedAt: null });
    const refused = await runtime(key.secret);
    expect(refused.status).toBe(401);
    expect((await refused.json()).error.code).toBe("api_key_disabled");

    const resumed = await gw.admin("POST", `/keys/${key.id}/resume`);
    expect(resumed.status).toBe(200);
    expect(resumed.body.key).toMatchObject({ id: key.id, status: "active" });
    await served(key.secret);

    const rotated = await gw.admin("POST", `/keys/${key.id}/rotate`);
    expect(rotated.status).toBe(200);
    expect(Object.keys(rotated.body).sort()).toEqual(["key", "secret"]);
    secrets.add(rotated.body.secret);
    expect(rotated.body.secret).toMatch(KEY_SECRET);
    expect(rotated.body.secret).not.toBe(key.secret);
    expect(rotated.body.secret.startsWith(`sk-cxp-${key.id}-`)).toBe(true);
    expect(rotated.body.key).toMatchObject({ id: key.id, status: "active", label: "life", pool: "keys-one" });
    expect((await runtime(key.secret)).status).toBe(401);
    await served(rotated.body.secret);
    const list = await rawAdmin("/keys?pool=keys-one");
    expect(list.text).not.toContain(rotated.body.secret);

    const revoked = await gw.admin("POST", `/keys/${key.id}/revoke`);
    expect(revoked.status).toBe(200);
    expect(revoked.body.key).toMatchObject({
      id: key.id,
      status: "revoked",
      revokedAt: expect.stringMatching(ISO),
    });
    expect((await runtime(rotated.body.secret)).status).toBe(401);
  });

  it("refuses every action on a revoked key with 409", async () => {
    const key = await createKey("keys-one");
    expect((await gw.admin("POST", `/keys/${key.id}/revoke`)).status).toBe(200);
    for (const action of ["pause", "resume", "revoke", "rotate"]) {
      const res = await gw.admin("POST", `/keys/${key.id}/${action}`);
      expectError(res, 409, "credential_revoked");
      expect(res.body.secret).toBeUndefined();
    }
    const view = (await gw.admin("GET", "/keys")).body.data.find((k: { id: string }) => k.id === key.id);
    expect(view.status).toBe("revoked");
    expect((await runtime(key.secret)).status).toBe(401);
  });

  it("answers 404 for an unknown key and 400/404 for bad create input", async () => {
    for (const action of ["pause", "resume", "revoke", "rotate"]) {
      expectError(await gw.admin("POST", `/keys/0123456789ab/${action}`), 404, "pool_key_not_found");
    }
    expectError(await gw.admin("POST", "/keys", { label: "x" }), 400, "invalid_request", "pool");
    expectError(await gw.admin("POST", "/keys", { pool: "no-such-pool" }), 404, "pool_not_found");
    expectError(
      await gw.admin("POST", "/keys", { pool: "keys-one", label: "x".repeat(161) }),
      400,
      "invalid_request",
      "label",
    );
    expectError(await gw.admin("POST", "/keys", { pool: "keys-one", scope: "all" }), 400, "invalid_request");
  });
});

describe("MCP tokens", () => {
  it("creates a token (raw value once), lists it without the secret, and revokes it", async () => {
    const created = await rawAdmin("/mcp-tokens", { method: "POST", body: { label: "agent" } });
    expect(created.status).toBe(201);
    const { token, secret } = created.body;
    secrets.add(secret);
    expect(secret).toMatch(MCP_SECRET);
    expect(token).toEqual({
      id: expect.stringMatching(/^[0-9a-f]{12}$/),
      prefix: `mcp-cxp-${token.id}`,
      label: "agent",
      // No Pools named: the owner view (docs/operators.md).
      role: "owner",
      pools: [],
      status: "active",
      createdAt: expect.stringMatching(ISO),
      updatedAt: expect.stringMatching(ISO),
      lastUsedAt: null,
      revokedAt: null,
    });
    expect(secret.startsWith(`${token.prefix}-`)).toBe(true);

    const list = await rawAdmin("/mcp-tokens");
    expect(list.status).toBe(200);
    expect(list.body.data.find((t: { id: string }) => t.id === token.id)).toEqual(token);
    expect(list.text).not.toContain(secret);
    // MCP tokens are not Pool API keys and do not show up among them.
    expect((await gw.admin("GET", "/keys")).body.data.map((k: { id: string }) => k.id)).not.toContain(
      token.id,
    );

    const revoked = await gw.admin("POST", `/mcp-tokens/${token.id}/revoke`);
    expect(revoked.status).toBe(200);
    expect(revoked.body.token).toMatchObject({ id: token.id, status: "revoked" });
    expectError(await gw.admin("POST", `/mcp-tokens/${token.id}/revoke`), 409, "credential_revoked");
    expectError(await gw.admin("POST", "/mcp-tokens/0123456789ab/revoke"), 404, "mcp_token_not_found");
    // Pool-key-only actions do not exist for MCP tokens.
    expectError(await gw.admin("POST", `/mcp-tokens/${token.id}/pause`), 404, "not_found");
  });

  it("refuses an MCP token used as a Pool API key", async () => {
    const created = await gw.admin("POST", "/mcp-tokens", {});
    secrets.add(created.body.secret);
    expect(created.body.token.label).toBeNull();
    const before = gw.fake.requests.length;
    const res = await runtime(created.body.secret);
    expect(res.status).toBe(401);
    const body = await res.json();
    expect(body.error).toMatchObject({ code: "invalid_api_key", type: "invalid_request_error" });
    expect(JSON.stringify(body)).not.toContain(created.body.secret);
    expect(gw.fake.requests.length).toBe(before);
  });
});

describe("audit events", () => {
  it("records every mutation with action, actor, target and outcome, and never a secret", async () => {
    const pool = await createPool("audit-pool");
    const fake = gw.fake.createAccount();
    const auth = remember(fake.authJson);
    const imported = (await importAccount("audit-pool", auth, "audited")).body.account;
    await gw.admin("POST", `/accounts/${imported.id}/pause`);
    await gw.admin("POST", `/accounts/${imported.id}/resume`);
    await gw.admin("DELETE", `/accounts/${imported.id}`);
    const key = await createKey("audit-pool", "audited");
    await gw.admin("POST", `/keys/${key.id}/pause`);
    await gw.admin("POST", `/keys/${key.id}/resume`);
    const rotated = await gw.admin("POST", `/keys/${key.id}/rotate`);
    secrets.add(rotated.body.secret);
    await gw.admin("POST", `/keys/${key.id}/revoke`);
    const mcp = await gw.admin("POST", "/mcp-tokens", { label: "audited" });
    secrets.add(mcp.body.secret);
    await gw.admin("POST", `/mcp-tokens/${mcp.body.token.id}/revoke`);

    const events = await allAuditEvents();
    const find = (action: string, targetId: string) => {
      const matches = events.filter((e) => e.action === action && e.targetId === targetId);
      expect(matches, `${action} ${targetId}`).toHaveLength(1);
      return matches[0];
    };
    const expected: [string, string, string, Record<string, unknown>?][] = [
      ["pool.create", "pool", pool.name, { strategy: pool.strategy }],
      ["upstream_account.import", "upstream_account", imported.id, { pool: "audit-pool", replaced: false }],
      ["upstream_account.pause", "upstream_account", imported.id, { from: "active", to: "paused" }],
      ["upstream_account.reactivate", "upstream_account", imported.id, { from: "paused", to: "active" }],
      ["upstream_account.delete", "upstream_account", imported.id, { label: "audited" }],
      ["api_key.create", "api_key", key.id, { pool: "audit-pool", label: "audited" }],
      ["api_key.pause", "api_key", key.id, { from: "active", to: "paused" }],
      ["api_key.resume", "api_key", key.id, { from: "paused", to: "active" }],
      ["api_key.rotate", "api_key", key.id],
      ["api_key.revoke", "api_key", key.id, { from: "active", to: "revoked" }],
      ["mcp_token.create", "mcp_token", mcp.body.token.id, { label: "audited" }],
      ["mcp_token.revoke", "mcp_token", mcp.body.token.id, { from: "active", to: "revoked" }],
    ];
    const ours = expected.map(([action, targetType, targetId, details]) => {
      const event = find(action, targetId);
      expect(event).toMatchObject({ actor: adminActor(), targetType, outcome: "success" });
      expect(event.id).toMatch(/^aud_/);
      expect(event.at).toMatch(ISO);
      if (details) expect(event.details).toMatchObject(details);
      return event;
    });
    // Newest first: our events appear in reverse order of the mutations.
    const positions = ours.map((e) => events.indexOf(e));
    expect([...positions].sort((x, y) => y - x)).toEqual(positions);

    // No event, across everything this file did, carries a raw key, token or auth.json token.
    const text = JSON.stringify(events);
    expect(secrets.size).toBeGreaterThan(10);
    expectNoSecrets(text, [fake.accountId]);
    for (const secret of secrets) expect(text).not.toContain(secret.slice(-43));
  });

  it("pages newest first with an opaque cursor", async () => {
    const all = await allAuditEvents();
    expect(all.length).toBeGreaterThan(5);
    const first = await gw.admin("GET", "/audit-events?limit=2");
    expect(first.status).toBe(200);
    expect(first.body.data).toHaveLength(2);
    expect(typeof first.body.nextCursor).toBe("string");
    const second = await gw.admin(
      "GET",
      `/audit-events?limit=2&cursor=${encodeURIComponent(first.body.nextCursor)}`,
    );
    expect(second.status).toBe(200);
    expect(second.body.data).toHaveLength(2);
    const ids = [...first.body.data, ...second.body.data].map((e: { id: string }) => e.id);
    expect(new Set(ids).size).toBe(4);
    expect(ids).toEqual(all.slice(0, 4).map((e) => e.id));
    // The last page says so.
    const last = await gw.admin("GET", `/audit-events?limit=1000`);
    expect(last.body.nextCursor).toBeNull();
  });

  it.each([
    ["not base64 JSON", "garbage"],
    ["a JSON number", Buffer.from("1").toString("base64url")],
    ["JSON null", Buffer.from("null").toString("base64url")],
    ["a JSON string", Buffer.from('"x"').toString("base64url")],
    ["an object that is not a page key", Buffer.from('{"pk":"X"}').toString("base64url")],
  ])("refuses a cursor that is %s with 400", async (_what, cursor) => {
    expectError(
      await gw.admin("GET", `/audit-events?limit=2&cursor=${encodeURIComponent(cursor)}`),
      400,
      "invalid_request",
      "cursor",
    );
  });

  it("refuses an out-of-range limit", async () => {
    for (const limit of ["0", "1001", "abc", "1.5"]) {
      expectError(await gw.admin("GET", `/audit-events?limit=${limit}`), 400, "invalid_request", "limit");
    }
  });
});

describe("request logs", () => {
  let seeded: Seeded;
  let other: { id: string; secret: string };
  const tags = ["tag-1", "tag-2", "tag-3", "tag-4", "tag-5"];

  beforeAll(async () => {
    seeded = await gw.seed({ pool: "logs-pool", accounts: 1 });
    secrets.add(seeded.key);
    other = await createKey("logs-pool", "other");
    const noise = await gw.seed({ pool: "logs-noise", accounts: 1 });
    secrets.add(noise.key);
    // Alternate keys and pools, one request at a time, each logged before the next starts; the pauses
    // keep start times (the log order) distinct to the millisecond.
    const tick = () => new Promise((r) => setTimeout(r, 3));
    const plan = [seeded.key, seeded.key, other.secret, seeded.key, other.secret];
    for (const [i, key] of plan.entries()) {
      await tick();
      await served(key, { ...TEXT_TURN_BODY, model: tags[i] });
      await waitFor(async () => {
        const { body } = await gw.admin("GET", "/request-logs?pool=logs-pool&limit=10");
        return body.data.length === i + 1 ? true : undefined;
      });
      await tick();
      await served(noise.key);
    }
    await waitFor(async () => {
      const { body } = await gw.admin("GET", "/request-logs?pool=logs-noise&limit=10");
      return body.data.length === 5 ? true : undefined;
    });
  });

  it("pages a pool's logs newest first without overlap", async () => {
    const pages: any[][] = [];
    let cursor: string | null = null;
    for (let i = 0; i < 3; i++) {
      const query: string = `/request-logs?pool=logs-pool&limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`;
      const { status, body } = await gw.admin("GET", query);
      expect(status).toBe(200);
      pages.push(body.data);
      cursor = body.nextCursor;
      if (i < 2) expect(typeof cursor).toBe("string");
    }
    expect(pages.map((p) => p.length)).toEqual([2, 2, 1]);
    const models = pages.flat().map((l) => l.model);
    expect(models).toEqual([...tags].reverse());
    const ats = pages.flat().map((l) => Date.parse(l.at));
    expect([...ats].sort((x, y) => y - x)).toEqual(ats);
    expect(new Set(pages.flat().map((l) => l.id)).size).toBe(5);
    const [newest] = pages[0]!;
    expect(newest).toMatchObject({
      pool: "logs-pool",
      keyId: other.id,
      accountLabel: seeded.accounts[0]!.label,
      route: "/backend-api/codex/responses",
      method: "POST",
      transport: "http_sse",
      model: "tag-5",
      status: 200,
      errorCode: null,
      attempts: 1,
    });
    expectNoSecrets(JSON.stringify(pages));
  });

  it("pages across pools newest first", async () => {
    const first = await gw.admin("GET", "/request-logs?limit=3");
    expect(first.body.data).toHaveLength(3);
    expect(first.body.data[0]).toMatchObject({ pool: "logs-noise" });
    expect(first.body.data[1]).toMatchObject({ pool: "logs-pool", model: "tag-5" });
    const next = await gw.admin(
      "GET",
      `/request-logs?limit=3&cursor=${encodeURIComponent(first.body.nextCursor)}`,
    );
    expect(next.body.data).toHaveLength(3);
    expect(next.body.data[1]).toMatchObject({ pool: "logs-noise" });
    expect(next.body.data[0]).toMatchObject({ pool: "logs-pool", model: "tag-4" });
    const ids = [...first.body.data, ...next.body.data].map((l: { id: string }) => l.id);
    expect(new Set(ids).size).toBe(6);
  });

  it("filters by pool and by key", async () => {
    const pool = (await gw.admin("GET", "/request-logs?pool=logs-noise&limit=50")).body.data;
    expect(pool).toHaveLength(5);
    expect(pool.every((l: { pool: string }) => l.pool === "logs-noise")).toBe(true);

    const mine = (await gw.admin("GET", `/request-logs?key=${seeded.keyId}&limit=50`)).body.data;
    expect(mine.map((l: { model: string }) => l.model)).toEqual(["tag-4", "tag-2", "tag-1"]);
    expect(mine.every((l: { keyId: string }) => l.keyId === seeded.keyId)).toBe(true);
    const theirs = (await gw.admin("GET", `/request-logs?key=${other.id}&limit=1`)).body;
    expect(theirs.data.map((l: { model: string }) => l.model)).toEqual(["tag-5"]);
    const rest = await gw.admin(
      "GET",
      `/request-logs?key=${other.id}&limit=1&cursor=${encodeURIComponent(theirs.nextCursor)}`,
    );
    expect(rest.body.data.map((l: { model: string }) => l.model)).toEqual(["tag-3"]);
    const both = await gw.admin("GET", `/request-logs?key=${other.id}&pool=logs-noise&limit=50`);
    expect(both.body.data).toEqual([]);
    expect((await gw.admin("GET", "/request-logs?key=0123456789ab&limit=5")).body.data).toEqual([]);
  });

  it("refuses an invalid key filter, limit or cursor with 400", async () => {
    for (const key of ["nothex", "ABCDEF012345", seeded.key, "0123456789abc"]) {
      const res = await rawAdmin(`/request-logs?key=${encodeURIComponent(key)}`);
      expectError(res, 400, "invalid_request", "key");
      expect(res.text).not.toContain(seeded.key);
    }
    expectError(await gw.admin("GET", "/request-logs?limit=0"), 400, "invalid_request", "limit");
    for (const cursor of [
      "garbage",
      Buffer.from("1").toString("base64url"),
      Buffer.from('{"day":"x"}').toString("base64url"),
    ]) {
      expectError(
        await gw.admin("GET", `/request-logs?cursor=${encodeURIComponent(cursor)}`),
        400,
        "invalid_request",
        "cursor",
      );
    }
  });
});
