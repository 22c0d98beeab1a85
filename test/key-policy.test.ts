// Per-key policy through HTTP against the fake upstream: model allow-list, reasoning-effort ceiling,
// requests per minute, tokens per day and week (shared by two gateway instances on one store), the
// admin API (create, PATCH, usage, audit) and the `pooler key` commands.
import { rmSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type EmbeddedDynamo, startEmbeddedDynamo } from "../src/server/embedded-dynamo.ts";
import {
  NO_KEEPALIVE,
  readSse,
  type Seeded,
  scratchDir,
  startTestGateway,
  TEXT_TURN_BODY,
  type TestGateway,
  useTestGateway,
  waitFor,
} from "./helpers/gateway.ts";
import { runPoolerCli } from "./helpers/process.ts";

const MINUTE = 60_000;
const DAY = 86_400_000;
/** Wall clock plus a shift the tests control: they start at a minute's beginning and can skip ahead. */
let shift = 0;
const clock = { now: () => Date.now() + shift };
/** Moves the clock to 1 s past the next minute boundary, so a test has ~59 s in one RPM window. */
function startOfNextMinute(): void {
  const now = clock.now();
  shift += Math.ceil(now / MINUTE) * MINUTE + 1000 - now;
}

const { gw } = useTestGateway({ env: NO_KEEPALIVE, clock });

const turn = (overrides: Record<string, unknown> = {}) => ({ ...TEXT_TURN_BODY, ...overrides });

const upstreamTurns = (g: TestGateway = gw) =>
  g.fake.requests.filter((r) => r.path === "/backend-api/codex/responses");

/** A completed turn (reads the whole stream so its usage lands in the counters). */
async function served(response: Response): Promise<void> {
  expect(response.status, response.status === 200 ? "" : await response.clone().text()).toBe(200);
  expect((await readSse(response)).at(-1)?.type).toBe("response.completed");
}

/** A pool with one account and a key created with `policy` through the admin API. */
async function keyWithPolicy(policy: Record<string, unknown>): Promise<Seeded & { created: any }> {
  const seeded = await gw.seed({ accounts: 1 });
  const created = await gw.admin("POST", "/keys", { pool: seeded.pool, label: "limited", policy });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  return { ...seeded, key: created.body.secret, keyId: created.body.key.id, created: created.body };
}

async function usageOf(keyId: string, g: TestGateway = gw) {
  const { status, body } = await g.admin("GET", `/keys/${keyId}/usage`);
  expect(status).toBe(200);
  return body;
}

describe("admin API", () => {
  it("creates a key with a policy and shows every field, null meaning no cap", async () => {
    const { created } = await keyWithPolicy({
      allowedModels: ["gpt-5.5", "gpt-5.5"],
      maxReasoningEffort: "high",
      requestsPerMinute: 60,
      tokensPerDay: null,
    });
    expect(created.key.policy).toEqual({
      allowedModels: ["gpt-5.5"],
      maxReasoningEffort: "high",
      requestsPerMinute: 60,
      tokensPerDay: null,
      tokensPerWeek: null,
    });
    const { body } = await gw.admin("GET", `/keys?pool=${created.key.pool}`);
    expect(body.data.find((k: any) => k.id === created.key.id).policy.requestsPerMinute).toBe(60);
    const plain = await gw.admin("POST", "/keys", { pool: created.key.pool });
    expect(plain.body.key.policy).toEqual({
      allowedModels: null,
      maxReasoningEffort: null,
      requestsPerMinute: null,
      tokensPerDay: null,
      tokensPerWeek: null,
    });
  });

  it.each([
    [{ requestsPerMinute: 0 }, "policy.requestsPerMinute"],
    [{ tokensPerDay: 1.5 }, "policy.tokensPerDay"],
    [{ maxReasoningEffort: "max" }, "policy.maxReasoningEffort"],
    [{ allowedModels: [""] }, "policy.allowedModels.0"],
    [{ allowedModels: Array.from({ length: 101 }, (_, i) => `m${i}`) }, "policy.allowedModels"],
    [{ maxTokens: 5 }, "policy"],
  ])("rejects the policy %j with a 400 naming %s", async (policy, param) => {
    const seeded = await gw.seed({ accounts: 0 });
    const response = await gw.admin("POST", "/keys", { pool: seeded.pool, policy });
    expect(response.status).toBe(400);
    expect(response.body.error).toMatchObject({ code: "invalid_request", param });
  });

  it("PATCH merges the policy (null removes a cap), changes the label, and audits field names only", async () => {
    const { keyId, created } = await keyWithPolicy({ requestsPerMinute: 10, tokensPerDay: 5000 });
    const patched = await gw.admin("PATCH", `/keys/${keyId}`, {
      label: "renamed",
      policy: { tokensPerDay: null, tokensPerWeek: 90_000, requestsPerMinute: 10 },
    });
    expect(patched.status, JSON.stringify(patched.body)).toBe(200);
    expect(patched.body.key).toMatchObject({ id: keyId, label: "renamed", pool: created.key.pool });
    expect(patched.body.key.policy).toEqual({
      allowedModels: null,
      maxReasoningEffort: null,
      requestsPerMinute: 10,
      tokensPerDay: null,
      tokensPerWeek: 90_000,
    });
    const { body } = await gw.admin("GET", "/audit-events?limit=20");
    const event = body.data.find((e: any) => e.action === "api_key.update" && e.targetId === keyId);
    // requestsPerMinute kept its value, so it is not named.
    expect(event.details).toEqual({ changed: "label,policy.tokensPerDay,policy.tokensPerWeek" });
    expect(event.actor).toMatch(/^admin:/);
  });

  it("PATCH answers 404 for an unknown key, 409 for a revoked one and 400 for unknown fields", async () => {
    expect((await gw.admin("PATCH", "/keys/000000000000", { label: "x" })).status).toBe(404);
    const { keyId } = await keyWithPolicy({});
    const moved = await gw.admin("PATCH", `/keys/${keyId}`, { pool: "other" });
    expect(moved.status).toBe(400);
    expect(moved.body.error.message).toContain('"pool"');
    await gw.admin("POST", `/keys/${keyId}/revoke`);
    const revoked = await gw.admin("PATCH", `/keys/${keyId}`, { policy: { requestsPerMinute: 1 } });
    expect(revoked.status).toBe(409);
    expect(revoked.body.error.code).toBe("credential_revoked");
  });

  it("describes PATCH /keys/{id} and GET /keys/{id}/usage in the OpenAPI document", async () => {
    const doc = await (await fetch(`${gw.url}/admin/v1/openapi.json`)).json();
    const schema = doc.paths["/keys/{id}"].patch.requestBody.content["application/json"].schema;
    expect(Object.keys(schema.properties.policy.properties).sort()).toEqual([
      "allowedModels",
      "maxReasoningEffort",
      "requestsPerMinute",
      "tokensPerDay",
      "tokensPerWeek",
    ]);
    expect(doc.paths["/keys/{id}/usage"].get).toBeDefined();
    expect(
      doc.paths["/keys"].post.requestBody.content["application/json"].schema.properties.policy,
    ).toBeDefined();
  });
});

describe("model allow-list", () => {
  it("refuses a model outside the list with 403 before any upstream call, and logs the denial", async () => {
    const { key, keyId } = await keyWithPolicy({ allowedModels: ["gpt-5.4-mini"] });
    const before = upstreamTurns().length;
    const denied = await gw.turn(key, turn({ model: "gpt-5.5" }));
    expect(denied.status).toBe(403);
    const body = await denied.json();
    expect(body.error).toMatchObject({
      code: "model_not_allowed",
      type: "invalid_request_error",
      param: "model",
    });
    expect(body.error.message).toMatch(/^api key is not allowed to use this model/);
    expect(upstreamTurns()).toHaveLength(before);

    await served(await gw.turn(key, turn({ model: "gpt-5.4-mini" })));
    expect(upstreamTurns().at(-1)?.body).toMatchObject({ model: "gpt-5.4-mini" });

    const logs = await gw.requestLogs(keyId, 2);
    expect(logs.find((l) => l.status === 403)).toMatchObject({
      errorCode: "model_not_allowed",
      model: "gpt-5.5",
      attempts: 0,
      accountLabel: null,
    });
  });

  it("denies every model when the list is empty, until PATCH lifts it", async () => {
    const { key, keyId } = await keyWithPolicy({ allowedModels: [] });
    const before = upstreamTurns().length;
    for (const model of ["gpt-5.5", "gpt-5.4-mini"]) {
      const denied = await gw.turn(key, turn({ model }));
      expect(denied.status).toBe(403);
      expect((await denied.json()).error.code).toBe("model_not_allowed");
    }
    expect(upstreamTurns()).toHaveLength(before);
    // The change applies at once on the instance that made it.
    const lifted = await gw.admin("PATCH", `/keys/${keyId}`, { policy: { allowedModels: null } });
    expect(lifted.body.key.policy.allowedModels).toBeNull();
    await served(await gw.turn(key));
  });
});

describe("reasoning-effort ceiling", () => {
  it("refuses an effort above the ceiling with 400 and param reasoning.effort", async () => {
    const { key } = await keyWithPolicy({ maxReasoningEffort: "medium" });
    const before = upstreamTurns().length;
    for (const effort of ["high", "xhigh", "max", 3]) {
      const denied = await gw.turn(key, turn({ reasoning: { effort } }));
      expect(denied.status).toBe(400);
      expect((await denied.json()).error).toMatchObject({
        code: "reasoning_effort_not_allowed",
        param: "reasoning.effort",
        type: "invalid_request_error",
      });
    }
    expect(upstreamTurns()).toHaveLength(before);
  });

  it("passes an effort at or below the ceiling unchanged (never clamped)", async () => {
    const { key } = await keyWithPolicy({ maxReasoningEffort: "medium" });
    for (const effort of ["medium", "low", "none"]) {
      await served(await gw.turn(key, turn({ reasoning: { effort, summary: "auto" } })));
      expect(upstreamTurns().at(-1)?.body).toMatchObject({ reasoning: { effort, summary: "auto" } });
    }
    // No effort at all is the client's default: not this policy's business.
    await served(await gw.turn(key));
    const last = upstreamTurns().at(-1)?.body;
    expect(last).toMatchObject({ model: "gpt-5.5" });
    expect(last).not.toHaveProperty("reasoning");
  });

  it("checks the model before the effort", async () => {
    const { key } = await keyWithPolicy({ allowedModels: ["gpt-5.4-mini"], maxReasoningEffort: "low" });
    const denied = await gw.turn(key, turn({ model: "gpt-5.5", reasoning: { effort: "high" } }));
    expect(denied.status).toBe(403);
    expect((await denied.json()).error.code).toBe("model_not_allowed");
  });
});

describe("requests per minute", () => {
  it("admits N requests, then answers 429 with Retry-After until the minute ends", async () => {
    const { key, keyId } = await keyWithPolicy({ requestsPerMinute: 3 });
    startOfNextMinute();
    for (let i = 0; i < 3; i++) await served(await gw.turn(key));
    const before = upstreamTurns().length;
    const limited = await gw.turn(key);
    expect(limited.status).toBe(429);
    const retryAfter = Number(limited.headers.get("retry-after"));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    const { error } = await limited.json();
    expect(error).toMatchObject({ code: "rate_limit_exceeded", type: "invalid_request_error", param: null });
    expect(error.message).toContain("3 requests per minute");
    expect(error.message).toContain(`try again in ${retryAfter}s`);
    expect(upstreamTurns()).toHaveLength(before);
    const usage = await usageOf(keyId);
    expect(usage.minute).toMatchObject({ requests: 3, requestsLimit: 3 });

    const logs = await gw.requestLogs(keyId, 4);
    expect(logs.filter((l) => l.errorCode === "rate_limit_exceeded").map((l) => l.status)).toEqual([429]);

    // The next minute is a new window.
    shift += MINUTE;
    await served(await gw.turn(key));
  });
});

describe("routes without a turn: transcriptions and file uploads", () => {
  const upstreamCalls = (path: RegExp) => gw.fake.requests.filter((r) => path.test(r.path)).length;
  const audio = (model?: string) => {
    const form = new FormData();
    form.append("file", new Blob([Buffer.from("fake audio")], { type: "audio/wav" }), "clip.wav");
    if (model) form.append("model", model);
    return form;
  };
  const send = (key: string, path: string, body: BodyInit, headers: Record<string, string> = {}) =>
    fetch(`${gw.url}${path}`, {
      method: "POST",
      headers: { authorization: `Bearer ${key}`, ...headers },
      body,
    });

  it("the allow-list applies to the transcription model the client names, not to Codex's model-less route", async () => {
    const { key, keyId } = await keyWithPolicy({ allowedModels: ["gpt-5.5"] });
    const before = upstreamCalls(/^\/backend-api\/transcribe$/);
    const refused = await send(key, "/v1/audio/transcriptions", audio("whisper-1"));
    expect(refused.status).toBe(403);
    expect((await refused.json()).error).toMatchObject({ code: "model_not_allowed", param: "model" });
    expect(upstreamCalls(/^\/backend-api\/transcribe$/)).toBe(before);
    // Codex's own transcription names no model: the list has nothing to judge, so it is served.
    const native = await send(key, "/backend-api/transcribe", audio());
    expect(native.status).toBe(200);
    await native.arrayBuffer();
    const logs = await gw.requestLogs(keyId, 2);
    expect(logs.find((l) => l.errorCode === "model_not_allowed")).toMatchObject({
      route: "/v1/audio/transcriptions",
      status: 403,
      model: "whisper-1",
    });
  });

  it("transcriptions and uploads count towards the key's requests per minute", async () => {
    const { key } = await keyWithPolicy({ requestsPerMinute: 3 });
    startOfNextMinute();
    expect((await send(key, "/v1/audio/transcriptions", audio("whisper-1"))).status).toBe(200);
    expect((await send(key, "/backend-api/transcribe", audio())).status).toBe(200);
    const upload = new FormData();
    upload.append("file", new Blob([Buffer.from("notes")]), "notes.txt");
    upload.append("purpose", "user_data");
    expect((await send(key, "/v1/files", upload)).status).toBe(200);
    const before = upstreamCalls(/^\/backend-api\/(files|transcribe)$/);
    const limited = await send(
      key,
      "/backend-api/files",
      JSON.stringify({ file_name: "shot.png", file_size: 4, use_case: "multimodal" }),
      { "content-type": "application/json" },
    );
    expect(limited.status).toBe(429);
    expect((await limited.json()).error.code).toBe("rate_limit_exceeded");
    expect(upstreamCalls(/^\/backend-api\/(files|transcribe)$/)).toBe(before);
  });
});

describe("tokens per day and per week", () => {
  it("admits while the day's tokens are under the limit, then 429 until the UTC day ends", async () => {
    // The fake's text turn reports 129 total tokens.
    const { key, keyId } = await keyWithPolicy({ tokensPerDay: 200 });
    await served(await gw.turn(key));
    await waitFor(async () => ((await usageOf(keyId)).day.tokens === 129 ? true : undefined));
    // 129 < 200: admitted, and it takes the total over the limit.
    await served(await gw.turn(key));
    await waitFor(async () => ((await usageOf(keyId)).day.tokens === 258 ? true : undefined));

    const before = upstreamTurns().length;
    const limited = await gw.turn(key);
    const now = clock.now();
    expect(limited.status).toBe(429);
    const { error } = await limited.json();
    expect(error.code).toBe("rate_limit_exceeded");
    expect(error.message).toContain("200 tokens per day");
    const toMidnight = Math.ceil((Math.floor(now / DAY) * DAY + DAY - now) / 1000);
    const retryAfter = Number(limited.headers.get("retry-after"));
    expect(retryAfter).toBeLessThanOrEqual(toMidnight + 1);
    expect(retryAfter).toBeGreaterThanOrEqual(toMidnight - 5);
    expect(upstreamTurns()).toHaveLength(before);

    const usage = await usageOf(keyId);
    expect(usage.day).toMatchObject({ tokens: 258, tokensLimit: 200, requests: 2 });
    expect(usage.week).toMatchObject({ tokens: 258, tokensLimit: null, requests: 2 });
    expect(usage.day.window).toBe(new Date(now).toISOString().slice(0, 10));
    expect(usage.week.window).toMatch(/^\d{4}-W\d{2}$/);
  });

  it("applies the weekly limit and names it in the message", async () => {
    const { key, keyId } = await keyWithPolicy({ tokensPerWeek: 100, tokensPerDay: 10_000 });
    await served(await gw.turn(key));
    await waitFor(async () => ((await usageOf(keyId)).week.tokens === 129 ? true : undefined));
    const limited = await gw.turn(key);
    expect(limited.status).toBe(429);
    const { error } = await limited.json();
    expect(error.message).toContain("100 tokens per week");
    // The day window admitted the request before the week refused it; that count is taken back.
    await waitFor(async () => ((await usageOf(keyId)).day.requests === 1 ? true : undefined));
  });
});

describe("usage view", () => {
  it("counts tokens for a key without limits, but not its requests (no write before the relay)", async () => {
    const { key, keyId } = await keyWithPolicy({ allowedModels: ["gpt-5.5"] });
    await served(await gw.turn(key));
    await waitFor(async () => ((await usageOf(keyId)).week.tokens === 129 ? true : undefined));
    const usage = await usageOf(keyId);
    expect(usage.day).toMatchObject({ tokens: 129, requests: null, tokensLimit: null });
    expect(usage.minute).toMatchObject({ requests: null, requestsLimit: null });
    expect(new Date(usage.minute.resetsAt).getTime() % MINUTE).toBe(0);
    expect(new Date(usage.week.resetsAt).getUTCDay()).toBe(1); // the next Monday
  });

  it("answers 404 for an unknown key", async () => {
    const response = await gw.admin("GET", "/keys/000000000000/usage");
    expect(response.status).toBe(404);
  });
});

describe("two gateway instances sharing one store", () => {
  const ADMIN = "test-admin-token-key-policy-shared";
  let dynamo: EmbeddedDynamo;
  let dataDir: string;
  let a: TestGateway;
  let b: TestGateway;

  beforeAll(async () => {
    dynamo = await startEmbeddedDynamo();
    dataDir = scratchDir("key-policy-shared");
    const env = {
      POOLER_DYNAMODB_ENDPOINT: dynamo.endpoint,
      POOLER_DATA_DIR: dataDir,
      POOLER_ADMIN_TOKEN: ADMIN,
      ...NO_KEEPALIVE,
    };
    // One after the other: the first creates the tables and the secrets key the second reads.
    a = await startTestGateway(env, { clock });
    // Both talk to the first one's fake upstream, where the accounts live.
    b = await startTestGateway(
      { ...env, CODEX_UPSTREAM_BASE_URL: a.fake.upstreamBaseUrl, CODEX_AUTH_BASE_URL: a.fake.authBaseUrl },
      { clock },
    );
  });
  afterAll(async () => {
    await b?.stop();
    await a?.stop();
    await dynamo?.close();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it("admits exactly the RPM limit out of 20 parallel requests spread over both", async () => {
    const seeded = await a.seed({ accounts: 2 });
    const created = await a.admin("POST", "/keys", { pool: seeded.pool, policy: { requestsPerMinute: 5 } });
    const key = created.body.secret as string;
    // The second instance sees the key and its policy: one store.
    const seen = await b.admin("GET", `/keys?pool=${seeded.pool}`);
    expect(seen.body.data.find((k: any) => k.id === created.body.key.id).policy.requestsPerMinute).toBe(5);
    startOfNextMinute();

    const responses = await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 ? a : b).turn(key)));
    const statuses = responses.map((r) => r.status);
    await Promise.all(responses.map((r) => r.text()));
    expect(statuses.filter((s) => s === 200)).toHaveLength(5);
    expect(statuses.filter((s) => s === 429)).toHaveLength(15);
    expect(upstreamTurns(a)).toHaveLength(5);
    expect((await usageOf(created.body.key.id, b)).minute.requests).toBe(5);
  });
});

describe("pooler key commands", () => {
  const pooler = (args: string[]) => runPoolerCli(gw, args);

  const keyPolicy = async (pool: string, id: string) =>
    (await gw.admin("GET", `/keys?pool=${pool}`)).body.data.find((k: any) => k.id === id).policy;

  it("create sets the policy from flags; update changes and clears caps; list shows it", async () => {
    const { pool } = await gw.seed({ accounts: 0 });
    const created = await pooler([
      "key",
      "create",
      "--pool",
      pool,
      "--models",
      "gpt-5.5, gpt-5.4-mini",
      "--max-effort",
      "high",
      "--rpm",
      "30",
      "--tokens-per-day",
      "100000",
      "--tokens-per-week",
      "500000",
    ]);
    expect(created.code, created.stderr).toBe(0);
    const id = /id:\s+([0-9a-f]{12})/.exec(created.stdout)?.[1] as string;
    expect(created.stdout).toContain(
      "policy: models=gpt-5.5,gpt-5.4-mini effort<=high rpm=30 tpd=100000 tpw=500000",
    );
    expect(await keyPolicy(pool, id)).toEqual({
      allowedModels: ["gpt-5.5", "gpt-5.4-mini"],
      maxReasoningEffort: "high",
      requestsPerMinute: 30,
      tokensPerDay: 100_000,
      tokensPerWeek: 500_000,
    });

    const updated = await pooler([
      "key",
      "update",
      id,
      "--label",
      "ci",
      "--no-models-limit",
      "--no-rpm",
      "--max-effort",
      "low",
    ]);
    expect(updated.code, updated.stderr).toBe(0);
    expect(updated.stdout).toContain(`Updated key ${id}.`);
    expect(await keyPolicy(pool, id)).toEqual({
      allowedModels: null,
      maxReasoningEffort: "low",
      requestsPerMinute: null,
      tokensPerDay: 100_000,
      tokensPerWeek: 500_000,
    });

    // An empty list allows no model.
    expect((await pooler(["key", "update", id, "--models", ""])).code).toBe(0);
    expect((await keyPolicy(pool, id)).allowedModels).toEqual([]);

    const list = await pooler(["key", "list", "--pool", pool]);
    expect(list.code, list.stderr).toBe(0);
    const [header, ...rows] = list.stdout.split("\n");
    expect(header).toMatch(/\bPOLICY\b/);
    expect(rows.find((r) => r.startsWith(id))).toContain("models=none effort<=low tpd=100000 tpw=500000");
  });

  it("refuses bad values and an empty update with a one-line error", async () => {
    const { keyId } = await keyWithPolicy({});
    const bad = await pooler(["key", "update", keyId, "--rpm", "0"]);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain("positive integer");
    const effort = await pooler(["key", "update", keyId, "--max-effort", "extreme"]);
    expect(effort.code).not.toBe(0);
    expect(effort.stderr).toContain("Allowed choices are none, minimal, low, medium, high, xhigh");
    const both = await pooler(["key", "update", keyId, "--models", "gpt-5.5", "--no-models-limit"]);
    expect(both.code).not.toBe(0);
    const empty = await pooler(["key", "update", keyId]);
    expect(empty.code).toBe(1);
    expect(empty.stderr).toContain("nothing to change");
  });

  it("usage prints the key's counters", async () => {
    const { key, keyId } = await keyWithPolicy({ tokensPerDay: 1_000_000 });
    await served(await gw.turn(key));
    await waitFor(async () => ((await usageOf(keyId)).day.tokens === 129 ? true : undefined));
    const usage = await pooler(["key", "usage", keyId]);
    expect(usage.code, usage.stderr).toBe(0);
    expect(usage.stdout).toMatch(/day\s+\d{4}-\d{2}-\d{2}: 129 of 1,000,000 tokens, 1 requests/);
  });
});
