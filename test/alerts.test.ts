// Alerts against the real local host and the fake upstream: each rule kind opens an incident from a
// condition created through the public surface, repeats with back-off, and resolves when the
// condition clears; webhooks reach a local receiver signed with the channel's secret; failed
// deliveries are retried and recorded; URLs and secrets never show in views, logs, audit or the store.
import { createHmac, randomBytes } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runPooler } from "./helpers/cli.ts";
import { startTestGateway, TEXT_TURN_BODY, type TestGateway, waitFor } from "./helpers/gateway.ts";
import { tableContents, walPayload } from "./helpers/leveldb.ts";

const MINUTE = 60_000;

// The gateway's clock: real time plus an offset the tests move forward (cooldowns, back-off).
let offset = 0;
const clock = { now: () => Date.now() + offset };
const advance = (ms: number) => {
  offset += ms;
};

interface Received {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  json: any;
}

let gw: TestGateway;
let receiver: Server;
let receiverUrl: string;
const received: Received[] = [];
/** Per path: statuses to answer next (default 200). */
const answers = new Map<string, number[]>();
/** While set, requests to /stall wait for it. */
let stall: Promise<void> | undefined;
/** The random part of the main channel's URL: must never leave the SecretStore. */
const HOOK_TOKEN = randomBytes(12).toString("hex");
let channel: { id: string; secret: string };
/** Every admin answer and CLI output this file saw. */
const seen: string[] = [];

async function admin(method: string, path: string, body?: unknown) {
  const result = await gw.admin(method, path, body);
  seen.push(JSON.stringify(result.body));
  return result;
}

async function evaluate() {
  const { status, body } = await admin("POST", "/alerts/evaluate");
  expect(status, JSON.stringify(body)).toBe(200);
  return body;
}

async function createRule(body: Record<string, unknown>): Promise<string> {
  const { status, body: answer } = await admin("POST", "/alert-rules", {
    channelIds: [channel.id],
    cooldownMinutes: 5,
    ...body,
  });
  expect(status, JSON.stringify(answer)).toBe(201);
  return answer.rule.id;
}

async function incidentsOf(ruleId: string): Promise<any[]> {
  const { body } = await admin("GET", "/alert-incidents?limit=1000");
  return body.data.filter((i: any) => i.ruleId === ruleId);
}

/** Webhook deliveries of one rule, in arrival order. */
const webhooksOf = (ruleId: string) => received.filter((r) => r.json?.rule_id === ruleId);

function expectSigned(r: Received, secret = channel.secret) {
  const eventId = r.headers["x-codex-pooler-event-id"] as string;
  const attemptId = r.headers["x-codex-pooler-attempt-id"] as string;
  const expected = `sha256=${createHmac("sha256", secret).update(`${eventId}.${attemptId}.${r.body}`).digest("hex")}`;
  expect(r.headers["x-codex-pooler-signature"]).toBe(expected);
  expect(eventId).toMatch(/^evt_/);
  expect(attemptId).toMatch(/^att_/);
  if (r.json?.event_id !== undefined) {
    expect(r.json.event_id).toBe(eventId);
    expect(r.json.attempt_id).toBe(attemptId);
  }
}

async function turn(key: string): Promise<number> {
  const response = await fetch(`${gw.url}/backend-api/codex/responses`, {
    method: "POST",
    headers: {
      authorization: `Bearer ${key}`,
      "content-type": "application/json",
      accept: "text/event-stream",
    },
    body: JSON.stringify(TEXT_TURN_BODY),
  });
  await response.text();
  return response.status;
}

async function accountView(id: string) {
  return (await admin("GET", `/accounts/${id}`)).body.account;
}

beforeAll(async () => {
  receiver = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", async () => {
      const body = Buffer.concat(chunks).toString("utf8");
      let json: unknown;
      try {
        json = JSON.parse(body);
      } catch {
        json = undefined;
      }
      const path = req.url ?? "/";
      received.push({ path, headers: req.headers, body, json });
      if (path.startsWith("/stall") && stall) await stall;
      const status = answers.get(path)?.shift() ?? 200;
      res.writeHead(status, { "content-type": "text/plain" }).end(status === 200 ? "ok" : "nope");
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, "127.0.0.1", resolve));
  receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
  gw = await startTestGateway({ POOLER_ALERT_WEBHOOK_ALLOW_INSECURE: "1" }, { clock });
  const { status, body } = await admin("POST", "/alert-channels", {
    name: "ops",
    url: `${receiverUrl}/hooks/${HOOK_TOKEN}`,
  });
  expect(status).toBe(201);
  expect(body.secret).toMatch(/^whsec_[A-Za-z0-9_-]{43}$/);
  channel = { id: body.channel.id, secret: body.secret };
});

afterAll(async () => {
  stall = undefined;
  await gw?.stop();
  await new Promise((resolve) => receiver?.close(resolve));
});

describe("alert channels", () => {
  it("show only the URL's host, path start and fingerprint, and send a signed test event", async () => {
    const { body } = await admin("GET", `/alert-channels/${channel.id}`);
    expect(body.channel).toMatchObject({
      id: channel.id,
      name: "ops",
      kind: "webhook",
      format: "json",
      state: "active",
      url: {
        host: new URL(receiverUrl).host,
        pathPrefix: "/hooks…",
        fingerprint: expect.stringMatching(/^[0-9a-f]{16}$/),
      },
      secretConfigured: true,
    });
    const before = received.length;
    const test = await admin("POST", `/alert-channels/${channel.id}/test`);
    expect(test.status).toBe(200);
    expect(test.body).toMatchObject({ delivered: true, delivery: { status: "delivered", attemptCount: 1 } });
    expect(test.body.delivery.attempts).toEqual([
      expect.objectContaining({ outcome: "delivered", statusCode: 200, errorCode: null }),
    ]);
    const [hook] = received.slice(before);
    expect(hook?.path).toBe(`/hooks/${HOOK_TOKEN}`);
    expect(hook?.json).toMatchObject({ event_type: "channel.test", channel_id: channel.id });
    expectSigned(hook!);
    // A tampered body or another secret does not verify.
    const forged = createHmac("sha256", "not-the-secret")
      .update(`${hook!.json.event_id}.${hook!.json.attempt_id}.${hook!.body}`)
      .digest("hex");
    expect(hook!.headers["x-codex-pooler-signature"]).not.toBe(`sha256=${forged}`);
    const listed = (await admin("GET", "/alert-channels")).body.data.find((c: any) => c.id === channel.id);
    expect(listed.lastDelivery).toMatchObject({ outcome: "delivered", statusCode: 200 });
  });

  it("refuses metadata and link-local targets even in local development, and bad input", async () => {
    const refused = async (url: string, pattern: RegExp) => {
      const { status, body } = await admin("POST", "/alert-channels", { name: "x", url });
      expect(status, url).toBe(400);
      expect(body.error.param).toBe("url");
      expect(body.error.message).toMatch(pattern);
    };
    await refused("http://169.254.169.254/latest/meta-data", /forbidden address/);
    await refused("http://[fe80::1]/hook", /forbidden address/);
    await refused("http://[fd00:ec2::254]/hook", /forbidden address/);
    await refused("http://[::ffff:169.254.169.254]/hook", /forbidden address/);
    await refused("http://[64:ff9b::169.254.169.254]/hook", /forbidden address/);
    await refused("http://0.0.0.0:8080/hook", /forbidden address/);
    await refused("http://metadata.google.internal/computeMetadata", /metadata/);
    await refused("https://user:pass@example.com/hook", /credentials/);
    await refused("ftp://example.com/hook", /https/);
    await refused("not a url", /valid absolute URL/);
    const short = await admin("POST", "/alert-channels", {
      name: "x",
      url: "https://example.com/h",
      secret: "short",
    });
    expect(short.status).toBe(400);
    expect(short.body.error.param).toBe("secret");
    const update = await admin("PATCH", `/alert-channels/${channel.id}`, { url: "http://169.254.169.254/" });
    expect(update.status).toBe(400);
  });
});

describe("https only outside local development", () => {
  let strict: TestGateway;
  beforeAll(async () => {
    strict = await startTestGateway();
  });
  afterAll(async () => {
    await strict?.stop();
  });

  it("refuses http:// and loopback or private addresses, and accepts https://", async () => {
    for (const url of [
      `${receiverUrl}/hook`,
      "https://127.0.0.1/hook",
      "https://10.1.2.3/hook",
      "https://192.168.1.10/hook",
      "https://[::1]/hook",
      "https://localhost/hook",
    ]) {
      const { status, body } = await strict.admin("POST", "/alert-channels", { name: "x", url });
      expect(status, url).toBe(400);
      expect(body.error.param).toBe("url");
    }
    const ok = await strict.admin("POST", "/alert-channels", {
      name: "slack",
      url: "https://hooks.slack.example/services/T000/B000/XXXXSECRETXXXX",
      format: "slack",
    });
    expect(ok.status).toBe(201);
    expect(ok.body.channel.url).toMatchObject({ host: "hooks.slack.example", pathPrefix: "/services…" });
    expect(JSON.stringify(ok.body)).not.toContain("XXXXSECRETXXXX");
  });
});

describe("rule kinds", () => {
  it("upstream_quota_threshold: opens per account from quota evidence and resolves when usage drops", async () => {
    const seeded = await gw.seed({ accounts: 1 });
    const [account] = seeded.accounts;
    const ruleId = await createRule({
      pool: seeded.pool,
      kind: "upstream_quota_threshold",
      windowSelector: "account_primary",
      thresholdUsedPercent: 90,
      severity: "critical",
    });
    gw.fake.setUsage(account!.accountId, { primaryUsedPercent: 95 });
    expect(await turn(seeded.key)).toBe(200);
    await waitFor(async () =>
      (await accountView(account!.id)).quota?.primaryUsedPercent === 95 ? true : undefined,
    );
    const run = await evaluate();
    expect(run.opened).toBeGreaterThanOrEqual(1);
    const [incident] = await incidentsOf(ruleId);
    expect(incident).toMatchObject({
      state: "open",
      severity: "critical",
      scopeType: "upstream_identity",
      accountId: account!.id,
      accountLabel: account!.label,
      dedupeKey: `${ruleId}:${account!.id}`,
      reasonCode: "quota_threshold_reached",
      evidence: { window: "account_primary", usedPercent: 95, thresholdUsedPercent: 90 },
    });
    const [opened] = webhooksOf(ruleId);
    expect(opened?.json).toMatchObject({
      event_type: "incident.opened",
      incident_id: incident.id,
      rule_kind: "upstream_quota_threshold",
      severity: "critical",
      reason_code: "quota_threshold_reached",
      occurrence_count: 1,
      scope_metadata: { scope_type: "upstream_identity", pool: seeded.pool, account_label: account!.label },
    });
    expectSigned(opened!);

    // Usage falls; the next recorded evidence (written at most every 30 s per account) clears it.
    gw.fake.setUsage(account!.accountId, { primaryUsedPercent: 10 });
    advance(31_000);
    expect(await turn(seeded.key)).toBe(200);
    await waitFor(async () =>
      (await accountView(account!.id)).quota?.primaryUsedPercent === 10 ? true : undefined,
    );
    expect((await evaluate()).resolved).toBeGreaterThanOrEqual(1);
    expect((await incidentsOf(ruleId))[0]).toMatchObject({
      state: "resolved",
      resolution: "condition_cleared",
    });
    expect(webhooksOf(ruleId).map((w) => w.json.event_type)).toEqual([
      "incident.opened",
      "incident.resolved",
    ]);
    await admin("DELETE", `/alert-rules/${ruleId}`);
  });

  it("pool_no_usable_assignments: opens, repeats with back-off, resolves when an account is usable again", async () => {
    const seeded = await gw.seed({ accounts: 1 });
    const [account] = seeded.accounts;
    const ruleId = await createRule({ pool: seeded.pool, kind: "pool_no_usable_assignments" });
    await evaluate();
    expect(await incidentsOf(ruleId)).toEqual([]);

    expect((await admin("POST", `/accounts/${account!.id}/pause`)).status).toBe(200);
    await evaluate();
    const [incident] = await incidentsOf(ruleId);
    expect(incident).toMatchObject({
      state: "open",
      scopeType: "pool",
      dedupeKey: `${ruleId}:pool`,
      reasonCode: "no_usable_assignments",
      evidence: { assignments: 1, usable: 0, paused: 1 },
      occurrenceCount: 1,
      notificationCount: 1,
    });
    expect(webhooksOf(ruleId)).toHaveLength(1);

    // Still failing, inside the cooldown: counted, not re-sent.
    advance(2 * MINUTE);
    await evaluate();
    expect((await incidentsOf(ruleId))[0]).toMatchObject({ occurrenceCount: 2, notificationCount: 1 });
    expect(webhooksOf(ruleId)).toHaveLength(1);
    // After the 5-minute cooldown: the first repeat; the next one waits twice as long (10 minutes).
    advance(3 * MINUTE + 1000);
    await evaluate();
    expect(webhooksOf(ruleId).map((w) => w.json.event_type)).toEqual([
      "incident.opened",
      "incident.repeated",
    ]);
    advance(6 * MINUTE);
    await evaluate();
    expect(webhooksOf(ruleId)).toHaveLength(2);
    advance(4 * MINUTE + 1000);
    await evaluate();
    const repeats = webhooksOf(ruleId);
    expect(repeats.map((w) => w.json.event_type)).toEqual([
      "incident.opened",
      "incident.repeated",
      "incident.repeated",
    ]);
    expect(repeats.at(-1)?.json).toMatchObject({ incident_id: incident.id, occurrence_count: 5 });
    expect((await incidentsOf(ruleId))[0]).toMatchObject({ notificationCount: 3, occurrenceCount: 5 });
    for (const hook of repeats) expectSigned(hook);

    expect((await admin("POST", `/accounts/${account!.id}/resume`)).status).toBe(200);
    await evaluate();
    const [resolved] = await incidentsOf(ruleId);
    expect(resolved).toMatchObject({ id: incident.id, state: "resolved", resolvedBy: "system" });
    expect(webhooksOf(ruleId).at(-1)?.json).toMatchObject({
      event_type: "incident.resolved",
      state: "resolved",
      incident_id: incident.id,
    });
    // Resolved stays resolved; a new occurrence would be a new incident.
    await evaluate();
    expect(await incidentsOf(ruleId)).toHaveLength(1);
    await admin("DELETE", `/alert-rules/${ruleId}`);
  });

  it("pool_low_usable_assignments: fires below the minimum but above zero", async () => {
    const seeded = await gw.seed({ accounts: 3 });
    const ruleId = await createRule({
      pool: seeded.pool,
      kind: "pool_low_usable_assignments",
      minUsableAssignments: 2,
    });
    await admin("POST", `/accounts/${seeded.accounts[0]!.id}/pause`);
    await evaluate();
    expect(await incidentsOf(ruleId)).toEqual([]); // 2 usable: not below 2
    await admin("POST", `/accounts/${seeded.accounts[1]!.id}/pause`);
    await evaluate();
    expect((await incidentsOf(ruleId))[0]).toMatchObject({
      state: "open",
      reasonCode: "low_usable_assignments",
      evidence: { usable: 1, minUsableAssignments: 2, paused: 2 },
    });
    await admin("POST", `/accounts/${seeded.accounts[1]!.id}/resume`);
    await evaluate();
    expect((await incidentsOf(ruleId))[0].state).toBe("resolved");
    await admin("DELETE", `/alert-rules/${ruleId}`);
  });

  it("pool_all_assignments_in_state: every enabled account exhausted, cleared when the limit resets", async () => {
    const seeded = await gw.seed({ accounts: 2 });
    const ruleId = await createRule({
      pool: seeded.pool,
      kind: "pool_all_assignments_in_state",
      targetState: "exhausted",
    });
    // The fake dates resets in real time and this gateway's clock runs ahead: a reset 6 h out.
    for (const a of seeded.accounts) {
      gw.fake.setDefaultBehavior(a.accountId, { kind: "usage_limit_429", resetsInSeconds: 6 * 3600 });
    }
    expect(await turn(seeded.key)).toBe(429);
    await waitFor(async () => {
      const views = await Promise.all(seeded.accounts.map((a) => accountView(a.id)));
      return views.every((v) => v.quota?.exhaustedUntil) ? true : undefined;
    });
    await evaluate();
    expect((await incidentsOf(ruleId))[0]).toMatchObject({
      state: "open",
      reasonCode: "all_assignments_exhausted",
      evidence: { enabledAssignments: 2, targetState: "exhausted" },
    });
    for (const a of seeded.accounts) gw.fake.setDefaultBehavior(a.accountId, { kind: "text" });
    // The limit ends (and the 100 % evidence goes stale) after the reset.
    advance(6 * 60 * MINUTE + MINUTE);
    await evaluate();
    expect((await incidentsOf(ruleId))[0].state).toBe("resolved");
    await admin("DELETE", `/alert-rules/${ruleId}`);
  });

  it("upstream_auth_state reauth_required: a refresh token reused elsewhere; cleared by a new login", async () => {
    const seeded = await gw.seed({ accounts: 1 });
    const [account] = seeded.accounts;
    const ruleId = await createRule({
      pool: seeded.pool,
      kind: "upstream_auth_state",
      targetState: "reauth_required",
    });
    // Someone else refreshed the same login (a laptop still using that auth.json).
    const elsewhere = await fetch(`${gw.fake.authBaseUrl}/oauth/token`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        grant_type: "refresh_token",
        refresh_token: account!.refreshToken,
        client_id: "x",
      }),
    });
    expect(elsewhere.status).toBe(200);
    const fresh = await elsewhere.json();
    gw.fake.expireAccessToken(account!.accountId);
    expect(await turn(seeded.key)).not.toBe(200);
    expect(await accountView(account!.id)).toMatchObject({
      status: "reauth_required",
      lastErrorCode: "refresh_token_reused",
    });
    await evaluate();
    const [incident] = await incidentsOf(ruleId);
    expect(incident).toMatchObject({
      state: "open",
      reasonCode: "account_reauth_required",
      accountId: account!.id,
      evidence: { status: "reauth_required", lastErrorCode: "refresh_token_reused" },
    });
    expect(incident.summary).toContain(account!.label);
    expect(webhooksOf(ruleId)[0]?.json.summary).toContain("needs a new login");

    // The operator imports the new login.
    const reimport = await admin("POST", "/accounts/import", {
      pool: seeded.pool,
      authJson: {
        auth_mode: "chatgpt",
        OPENAI_API_KEY: null,
        tokens: {
          id_token: fresh.id_token,
          access_token: fresh.access_token,
          refresh_token: fresh.refresh_token,
          account_id: account!.accountId,
        },
        last_refresh: new Date().toISOString(),
      },
    });
    expect(reimport.status).toBe(200);
    expect(reimport.body.account.status).toBe("active");
    await evaluate();
    expect((await incidentsOf(ruleId))[0].state).toBe("resolved");
    await admin("DELETE", `/alert-rules/${ruleId}`);
  });

  it("upstream_auth_state refresh_failed: the auth server fails; cleared by a later successful refresh", async () => {
    const seeded = await gw.seed({ accounts: 1, initialAccessTokenTtlSeconds: 0 });
    const [account] = seeded.accounts;
    const ruleId = await createRule({
      pool: seeded.pool,
      kind: "upstream_auth_state",
      targetState: "refresh_failed",
    });
    gw.fake.failRefresh(account!.accountId, 500);
    expect(await turn(seeded.key)).toBeGreaterThanOrEqual(500);
    expect(await accountView(account!.id)).toMatchObject({ status: "refresh_failed" });
    await evaluate();
    expect((await incidentsOf(ruleId))[0]).toMatchObject({
      state: "open",
      reasonCode: "account_refresh_failed",
      evidence: { status: "refresh_failed", refreshFailures: 1 },
    });
    gw.fake.failRefresh(account!.accountId, undefined);
    advance(31_000); // past the refresh back-off
    expect(await turn(seeded.key)).toBe(200);
    expect((await accountView(account!.id)).status).toBe("active");
    await evaluate();
    expect((await incidentsOf(ruleId))[0].state).toBe("resolved");
    await admin("DELETE", `/alert-rules/${ruleId}`);
  });

  it("pool_error_rate_spike: upstream failures over the threshold; cleared once the window passes", async () => {
    const seeded = await gw.seed({ accounts: 2 });
    const ruleId = await createRule({
      pool: seeded.pool,
      kind: "pool_error_rate_spike",
      windowMinutes: 15,
      thresholdErrorPercent: 50,
      minRequests: 4,
    });
    expect(await turn(seeded.key)).toBe(200);
    for (const a of seeded.accounts) gw.fake.setDefaultBehavior(a.accountId, { kind: "server_error_500" });
    await evaluate();
    expect(await incidentsOf(ruleId)).toEqual([]); // 1 request: below minRequests
    for (let i = 0; i < 4; i++) expect(await turn(seeded.key)).toBeGreaterThanOrEqual(500);
    await waitFor(async () => {
      const { body } = await admin("GET", `/request-logs?pool=${seeded.pool}&limit=10`);
      return body.data.length === 5 ? true : undefined;
    });
    await evaluate();
    const [incident] = await incidentsOf(ruleId);
    expect(incident).toMatchObject({
      state: "open",
      reasonCode: "error_rate_spike",
      evidence: { requests: 5, errors: 4, errorPercent: 80, windowMinutes: 15 },
    });
    for (const a of seeded.accounts) gw.fake.setDefaultBehavior(a.accountId, { kind: "text" });
    advance(20 * MINUTE);
    await evaluate();
    expect((await incidentsOf(ruleId))[0].state).toBe("resolved");
    await admin("DELETE", `/alert-rules/${ruleId}`);
  });
});

describe("delivery", () => {
  it("retries a failing webhook with back-off and records every attempt", async () => {
    const path = `/flaky/${randomBytes(4).toString("hex")}`;
    answers.set(path, [500, 503]);
    const flaky = await admin("POST", "/alert-channels", { name: "flaky", url: `${receiverUrl}${path}` });
    expect(flaky.status).toBe(201);
    const seeded = await gw.seed({ accounts: 1 });
    const ruleId = await createRule({
      pool: seeded.pool,
      kind: "pool_no_usable_assignments",
      channelIds: [flaky.body.channel.id],
    });
    await admin("POST", `/accounts/${seeded.accounts[0]!.id}/pause`);
    const first = await evaluate();
    expect(first.deliveries).toMatchObject({ attempted: 1, retrying: 1, delivered: 0 });
    const [incident] = await incidentsOf(ruleId);
    const detail = async () => (await admin("GET", `/alert-incidents/${incident.id}`)).body;
    expect((await detail()).deliveries[0]).toMatchObject({ status: "pending", attemptCount: 1 });

    // Not due yet (30 s back-off): nothing is sent.
    await evaluate();
    expect(received.filter((r) => r.path === path)).toHaveLength(1);
    advance(31_000);
    expect((await evaluate()).deliveries).toMatchObject({ attempted: 1, retrying: 1 });
    advance(2 * MINUTE + 1000);
    expect((await evaluate()).deliveries).toMatchObject({ attempted: 1, delivered: 1 });

    const [delivery] = (await detail()).deliveries;
    expect(delivery).toMatchObject({
      status: "delivered",
      attemptCount: 3,
      errorCode: null,
      eventType: "incident.opened",
    });
    expect(delivery.attempts.map((a: any) => [a.outcome, a.statusCode])).toEqual([
      ["http_error", 500],
      ["http_error", 503],
      ["delivered", 200],
    ]);
    const hits = received.filter((r) => r.path === path);
    expect(hits).toHaveLength(3);
    expect(new Set(hits.map((h) => h.headers["x-codex-pooler-event-id"])).size).toBe(1);
    expect(new Set(hits.map((h) => h.headers["x-codex-pooler-attempt-id"])).size).toBe(3);
    expect(hits.map((h) => h.headers["x-codex-pooler-attempt-id"])).toEqual(
      delivery.attempts.map((a: any) => a.attemptId),
    );
    for (const hit of hits) expectSigned(hit, flaky.body.secret);
    await admin("DELETE", `/alert-rules/${ruleId}`);
  });

  it("gives up after the last attempt, and a refused or disabled channel fails without retrying", async () => {
    const seeded = await gw.seed({ accounts: 1 });
    const path = `/down/${randomBytes(4).toString("hex")}`;
    answers.set(path, Array(100).fill(500));
    const down = await admin("POST", "/alert-channels", {
      name: "down",
      url: `${receiverUrl}${path}`,
      format: "slack",
    });
    const ruleId = await createRule({
      pool: seeded.pool,
      kind: "pool_no_usable_assignments",
      channelIds: [down.body.channel.id],
    });
    await admin("POST", `/accounts/${seeded.accounts[0]!.id}/pause`);
    await evaluate();
    for (const wait of [30_000, 120_000, 600_000, 1_800_000, 7_200_000]) {
      advance(wait + 1000);
      await evaluate();
    }
    const [incident] = (await incidentsOf(ruleId)).filter((i) => i.state !== "resolved");
    const { deliveries } = (await admin("GET", `/alert-incidents/${incident.id}`)).body;
    const opened = deliveries.find((d: any) => d.eventType === "incident.opened");
    expect(opened).toMatchObject({
      status: "failed",
      attemptCount: 6,
      errorCode: "http_500",
      nextAttemptAt: null,
    });
    // The Slack format is a {text} message; it is signed all the same.
    const slack = received.filter((r) => r.path === path);
    expect(Object.keys(slack[0]!.json)).toEqual(["text"]);
    expect(slack[0]!.json.text).toContain(seeded.pool);
    expectSigned(slack[0]!, down.body.secret);

    // Disabled: no new notification is queued for it, and pending retries fail without a send.
    await admin("POST", `/alert-channels/${down.body.channel.id}/disable`);
    const sentBefore = received.filter((r) => r.path === path).length;
    advance(24 * 60 * MINUTE);
    await evaluate();
    const after = (await admin("GET", `/alert-incidents/${incident.id}`)).body.deliveries;
    expect(received.filter((r) => r.path === path)).toHaveLength(sentBefore);
    expect(after).toHaveLength(deliveries.length);
    expect(after.filter((d: any) => d.status === "pending")).toEqual([]);
    expect(after.some((d: any) => d.errorCode === "channel_disabled")).toBe(true);
    await admin("DELETE", `/alert-rules/${ruleId}`);
  });

  it("answers 409 to a manual run while another one is going", async () => {
    const seeded = await gw.seed({ accounts: 1 });
    const slow = await admin("POST", "/alert-channels", { name: "slow", url: `${receiverUrl}/stall` });
    const ruleId = await createRule({
      pool: seeded.pool,
      kind: "pool_no_usable_assignments",
      channelIds: [slow.body.channel.id],
    });
    await admin("POST", `/accounts/${seeded.accounts[0]!.id}/pause`);
    let release: () => void = () => undefined;
    stall = new Promise((resolve) => {
      release = resolve;
    });
    const arrived = received.length;
    const running = admin("POST", "/alerts/evaluate");
    await waitFor(() => (received.slice(arrived).some((r) => r.path === "/stall") ? true : undefined));
    const second = await admin("POST", "/alerts/evaluate");
    expect(second.status).toBe(409);
    expect(second.body.error.code).toBe("alert_evaluation_in_progress");
    release();
    stall = undefined;
    expect((await running).status).toBe(200);
    await admin("DELETE", `/alert-rules/${ruleId}`);
  });
});

describe("operators", () => {
  it("acknowledge silences repeats, resolve notifies, and every change is audited with the original's actions", async () => {
    const seeded = await gw.seed({ accounts: 1 });
    const ruleId = await createRule({ pool: seeded.pool, kind: "pool_no_usable_assignments" });
    expect(
      (await admin("PATCH", `/alert-rules/${ruleId}`, { severity: "critical", cooldownMinutes: 10 })).body
        .rule,
    ).toMatchObject({
      severity: "critical",
      cooldownMinutes: 10,
    });
    const wrong = await admin("PATCH", `/alert-rules/${ruleId}`, { thresholdUsedPercent: 50 });
    expect(wrong.status).toBe(400);
    expect(wrong.body.error.message).toMatch(/does not apply/);
    expect((await admin("POST", `/alert-rules/${ruleId}/disable`)).body.rule.state).toBe("disabled");
    expect((await admin("POST", `/alert-rules/${ruleId}/disable`)).status).toBe(409);
    await admin("POST", `/accounts/${seeded.accounts[0]!.id}/pause`);
    await evaluate();
    expect(await incidentsOf(ruleId)).toEqual([]); // disabled rules are not evaluated
    await admin("POST", `/alert-rules/${ruleId}/enable`);
    await evaluate();
    const [incident] = await incidentsOf(ruleId);
    const ack = await admin("POST", `/alert-incidents/${incident.id}/acknowledge`);
    expect(ack.body.incident).toMatchObject({
      state: "acknowledged",
      acknowledgedBy: expect.stringMatching(/^admin:/),
    });
    expect((await admin("POST", `/alert-incidents/${incident.id}/acknowledge`)).status).toBe(409);
    advance(60 * MINUTE);
    await evaluate();
    expect(webhooksOf(ruleId).map((w) => w.json.event_type)).toEqual(["incident.opened"]);
    expect((await incidentsOf(ruleId))[0]).toMatchObject({ state: "acknowledged", occurrenceCount: 2 });

    const resolved = await admin("POST", `/alert-incidents/${incident.id}/resolve`);
    expect(resolved.body.incident).toMatchObject({ state: "resolved", resolution: "operator" });
    await waitFor(() => (webhooksOf(ruleId).length === 2 ? true : undefined));
    expect(webhooksOf(ruleId)[1]?.json.event_type).toBe("incident.resolved");
    expect((await admin("POST", `/alert-incidents/${incident.id}/resolve`)).status).toBe(409);

    const temp = await admin("POST", "/alert-channels", { name: "temp", url: `${receiverUrl}/temp` });
    await admin("PATCH", `/alert-channels/${temp.body.channel.id}`, { name: "temp2", rotateSecret: true });
    await admin("POST", `/alert-channels/${temp.body.channel.id}/disable`);
    await admin("POST", `/alert-channels/${temp.body.channel.id}/enable`);
    await admin("DELETE", `/alert-channels/${temp.body.channel.id}`);
    await admin("DELETE", `/alert-rules/${ruleId}`);
    expect((await admin("GET", `/alert-rules/${ruleId}`)).body.error.code).toBe("alert_rule_not_found");

    const { body } = await admin("GET", "/audit-events?limit=1000");
    const actions = (target: string) =>
      body.data
        .filter((e: any) => e.targetId === target)
        .map((e: any) => e.action)
        .reverse();
    expect(actions(ruleId)).toEqual([
      "alert_rule.create",
      "alert_rule.update",
      "alert_rule.disable",
      "alert_rule.enable",
      "alert_rule.delete",
    ]);
    expect(actions(incident.id)).toEqual(["alert_incident.acknowledge", "alert_incident.resolve"]);
    expect(actions(temp.body.channel.id)).toEqual([
      "alert_channel.create",
      "alert_channel.update",
      "alert_channel.disable",
      "alert_channel.enable",
      "alert_channel.delete",
    ]);
    expect(
      body.data.find((e: any) => e.action === "alert_channel.update" && e.targetId === temp.body.channel.id)
        .details,
    ).toMatchObject({
      changed: "name,secret",
    });
  });

  it("manages alerts through `pooler alert …`", async () => {
    const seeded = await gw.seed({ accounts: 1 });
    const cli = async (args: string[], env: Record<string, string> = {}) => {
      const run = await runPooler(args, {
        env: { POOLER_URL: gw.url, POOLER_ADMIN_TOKEN: gw.adminToken, ...env },
        stdin: process.stdin,
      });
      seen.push(run.stdout, run.stderr);
      return run;
    };
    const token = randomBytes(8).toString("hex");
    const created = await cli(["alert", "channel", "create", "--name", "cli", "--webhook-url-env", "HOOK"], {
      HOOK: `${receiverUrl}/cli/${token}`,
    });
    expect(created.code, created.stderr).toBe(0);
    const secret = created.stdout.trim().split("\n").at(-1)!;
    expect(secret).toMatch(/^whsec_/);
    const channelId = /id:\s+(alc_[0-9a-f]{16})/.exec(created.stdout)?.[1] as string;
    expect(created.stdout).not.toContain(token);

    const rule = await cli([
      "alert",
      "rule",
      "create",
      "--pool",
      seeded.pool,
      "--kind",
      "upstream_auth_state",
      "--target-state",
      "paused",
      "--channel",
      channelId,
      "--severity",
      "info",
    ]);
    expect(rule.code, rule.stderr).toBe(0);
    const ruleId = /id:\s+(alr_[0-9a-f]{16})/.exec(rule.stdout)?.[1] as string;
    expect(rule.stdout).toMatch(/params:\s+state=paused/);
    const listed = await cli(["alert", "rule", "list", "--pool", seeded.pool]);
    expect(listed.stdout).toContain(ruleId);

    await admin("POST", `/accounts/${seeded.accounts[0]!.id}/pause`);
    const run = await cli(["alert", "evaluate"]);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/Evaluated \d+ rule\(s\): 1 opened/);
    const hook = received.find((r) => r.path === `/cli/${token}`);
    expectSigned(hook!, secret);

    const incidents = await cli(["alert", "incident", "list", "--state", "open", "--pool", seeded.pool]);
    const lines = incidents.stdout.trim().split("\n");
    expect(lines[0]).toMatch(/^ID\s+STATE\s+SEVERITY\s+POOL\s+KIND\s+SEEN\s+OPENED\s+SUMMARY$/);
    expect(lines).toHaveLength(2);
    const incidentId = lines[1]!.split(/\s+/)[0]!;
    expect(lines[1]).toContain("upstream_auth_state");
    const ack = await cli(["alert", "incident", "ack", incidentId]);
    expect(ack.stdout).toMatch(/^Acknowledged incident inc_/);
    const show = await cli(["alert", "incident", "show", incidentId]);
    expect(show.stdout).toMatch(/state:\s+acknowledged/);
    expect(show.stdout).toMatch(/EVENT\s+TYPE\s+CHANNEL\s+STATUS/);
    const test = await cli(["alert", "channel", "test", channelId]);
    expect(test.stdout).toMatch(/^Delivered test event evt_\S+: delivered \(HTTP 200\)\.$/m);
    const channels = await cli(["alert", "channel", "list"]);
    expect(channels.stdout).toContain(channelId);
    expect(channels.stdout).not.toContain(token);
    const bad = await cli([
      "alert",
      "channel",
      "create",
      "--name",
      "x",
      "--webhook-url",
      "http://169.254.169.254/",
    ]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/^error: .*forbidden address/);
    expect((await cli(["alert", "rule", "delete", ruleId])).code).toBe(0);
    expect((await cli(["alert", "channel", "delete", channelId])).code).toBe(0);
  });

  it("lists real incidents through the MCP tool, metadata only", async () => {
    const token = await admin("POST", "/mcp-tokens", { label: "alerts" });
    const client = new Client({ name: "alerts-test", version: "1.0.0" });
    await client.connect(
      new StreamableHTTPClientTransport(new URL(`${gw.url}/mcp`), {
        requestInit: { headers: { authorization: `Bearer ${token.body.secret}` } },
      }),
    );
    const result = (await client.callTool({
      name: "codex_pooler_list_alert_incidents",
      arguments: { limit: 100 },
    })) as any;
    await client.close();
    const data = result.structuredContent;
    seen.push(JSON.stringify(result));
    expect(data.available).toBe(true);
    expect(data.incidents.length).toBeGreaterThanOrEqual(5);
    const kinds = new Set(data.incidents.map((i: any) => i.ruleKind));
    for (const kind of [
      "pool_no_usable_assignments",
      "pool_low_usable_assignments",
      "pool_all_assignments_in_state",
      "upstream_quota_threshold",
      "upstream_auth_state",
      "pool_error_rate_spike",
    ]) {
      expect(kinds.has(kind), kind).toBe(true);
    }
    expect(data.incidents[0]).toEqual(
      expect.objectContaining({
        id: expect.stringMatching(/^inc_/),
        state: expect.any(String),
        summary: expect.any(String),
      }),
    );
  });
});

describe("secrets", () => {
  it("never appear in views, CLI output, logs, audit events or the store; only in the SecretStore", async () => {
    const { body: audit } = await admin("GET", "/audit-events?limit=1000");
    const { body: incidents } = await admin("GET", "/alert-incidents?limit=1000");
    for (const incident of incidents.data) await admin("GET", `/alert-incidents/${incident.id}`);
    const haystacks = [...seen, JSON.stringify(audit), ...gw.logLines];
    for (const needle of [HOOK_TOKEN, channel.secret]) {
      expect(haystacks.filter((h) => h.includes(needle))).toEqual(
        // The channel's own create answer carried the generated secret, once.
        needle === channel.secret ? [expect.stringContaining('"secret":"whsec_')] : [],
      );
    }
    // The embedded DynamoDB files, raw and decoded: neither the URL token nor the secret.
    const dir = join(gw.dataDir, "dynamodb");
    for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
      if (!entry.isFile()) continue;
      const bytes = readFileSync(join(entry.parentPath, entry.name));
      const decoded = /\.log$/.test(entry.name)
        ? walPayload(bytes)
        : /\.(ldb|sst)$/.test(entry.name)
          ? tableContents(bytes)
          : bytes;
      for (const needle of [HOOK_TOKEN, channel.secret]) {
        expect(bytes.includes(Buffer.from(needle)), entry.name).toBe(false);
        expect(decoded.includes(Buffer.from(needle)), entry.name).toBe(false);
      }
    }
  });
});
