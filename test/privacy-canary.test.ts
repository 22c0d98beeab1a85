// Privacy canary: prompt text, Pool keys, admin tokens and upstream tokens must never reach the data
// directory, the request logs, the audit events or the process output. The real process runs against
// the fake upstream; everything is driven and read through the public surface.
import { randomBytes } from "node:crypto";
import { readdirSync, readFileSync, rmSync } from "node:fs";
import { join, relative } from "node:path";
import { gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type FakeUpstream, startFakeUpstream } from "./fake-upstream/index.ts";
import { readSse, scratchDir, TEXT_TURN_BODY, waitFor } from "./helpers/gateway.ts";
import { tableContents, walPayload } from "./helpers/leveldb.ts";
import {
  type AdminCall,
  adminClient,
  type PoolerProcess,
  poolerEnv,
  type SeededProcess,
  seedThroughAdmin,
  spawnPooler,
  startRecordingProxy,
} from "./helpers/process.ts";

const CANARY = `CANARY-${randomBytes(16).toString("hex")}`;
const POOL = `canary-pool-${randomBytes(4).toString("hex")}`;

let fake: FakeUpstream;
let proxy: Awaited<ReturnType<typeof startRecordingProxy>>;
let dataDir: string;
let proc: PoolerProcess | undefined;
let url: string;
let adminToken: string;
let admin: AdminCall;
let seeded: SeededProcess;
let requestLogs: any[];
let auditEvents: any[];

const turnBody = (extra: Record<string, unknown> = {}) => ({
  ...TEXT_TURN_BODY,
  input: [
    {
      type: "message",
      role: "user",
      content: [{ type: "input_text", text: `Please repeat this secret back: ${CANARY}` }],
    },
  ],
  instructions: `You are a helpful assistant. ${CANARY}`,
  prompt_cache_key: `pck-${CANARY}`,
  ...extra,
});

function post(body: BodyInit, headers: Record<string, string> = {}) {
  return fetch(`${url}/backend-api/codex/responses`, {
    method: "POST",
    headers: {
      authorization: `Bearer ${seeded.key}`,
      "content-type": "application/json",
      accept: "text/event-stream",
      // Client headers the gateway forwards upstream but must not record.
      "session-id": `sess-${CANARY}`,
      "x-codex-turn-metadata": JSON.stringify({ note: CANARY }),
      ...headers,
    },
    body,
  });
}

interface DataFile {
  path: string;
  bytes: Buffer;
  /** LevelDB files only: the records as written (log) or the decompressed keys and values (table). */
  decoded?: Buffer;
}

/** Every file under dir, recursively, as bytes; LevelDB files also decoded. */
function readTree(dir: string): DataFile[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => {
      const path = join(entry.parentPath, entry.name);
      const bytes = readFileSync(path);
      const file: DataFile = { path: relative(dir, path), bytes };
      if (/\.log$/.test(entry.name)) file.decoded = walPayload(bytes);
      if (/\.(ldb|sst)$/.test(entry.name)) file.decoded = tableContents(bytes);
      return file;
    });
}

/** Files whose raw bytes, or decoded LevelDB records, contain the UTF-8 bytes of needle. */
const filesContaining = (files: DataFile[], needle: string, { rawOnly = false } = {}) => {
  const bytes = Buffer.from(needle, "utf8");
  return files
    .filter((f) => f.bytes.includes(bytes) || (!rawOnly && f.decoded?.includes(bytes)))
    .map((f) => f.path);
};

const countOf = (haystack: string, needle: string) => haystack.split(needle).length - 1;

/** The secrets to hunt for, with a name for the failure message. Filled in as the test runs. */
const secrets = new Map<string, string>();

function addToken(name: string, token: string) {
  secrets.set(name, token);
  // A JWT's header repeats between tokens (and may be stored as a compressed back-reference), so
  // also hunt for its random signature, which cannot be.
  const parts = token.split(".");
  if (parts.length === 3 && parts[2]) secrets.set(`${name} (signature)`, parts[2]);
}

beforeAll(async () => {
  fake = await startFakeUpstream();
  proxy = await startRecordingProxy(fake.authBaseUrl);
  dataDir = scratchDir("privacy");
  proc = spawnPooler(poolerEnv(fake, dataDir, { CODEX_AUTH_BASE_URL: proxy.url }));
  url = await proc.listening();
  adminToken = proc.bootstrapToken() as string;
  expect(adminToken).toBeDefined();
  admin = adminClient(url, adminToken);
  seeded = await seedThroughAdmin(admin, fake, POOL, 2);

  secrets.set("canary", CANARY);
  secrets.set("pool key", seeded.key);
  const keyParts = /^sk-cxp-[0-9a-f]{12}-([A-Za-z0-9_-]{43})$/.exec(seeded.key);
  expect(keyParts).not.toBeNull();
  secrets.set("pool key secret", keyParts![1]!);
  const adminParts = /^adm-cxp-[0-9a-f]{12}-([A-Za-z0-9_-]{43})$/.exec(adminToken);
  secrets.set("admin token secret", adminParts![1]!);
  seeded.authTokens.forEach((token, i) => {
    addToken(`auth.json token #${i}`, token);
  });
}, 60_000);

afterAll(async () => {
  proc?.kill();
  await proxy?.close();
  fake?.releasePaused();
  await fake?.close();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

describe("privacy canary", () => {
  it("drives canary traffic through a usage-limit 429, success, a dropped stream and a refresh", async () => {
    const [a, b] = seeded.accounts;
    // A is out of quota. With B paused, A is the only choice: its 429 goes back to the client.
    fake.setDefaultBehavior(a!.accountId, { kind: "usage_limit_429" });
    expect((await admin("POST", `/accounts/${b!.id}/pause`)).status).toBe(200);
    const limited = await post(JSON.stringify(turnBody()));
    expect(limited.status).toBe(429);
    expect((await limited.json()).error.type).toBe("usage_limit_reached");
    expect(fake.responsesFor(a!.accountId)).toHaveLength(1);
    expect((await admin("POST", `/accounts/${b!.id}/resume`)).status).toBe(200);

    // A is now skipped until its reset; B serves the rest.
    const ok = await post(JSON.stringify(turnBody()));
    expect(ok.status).toBe(200);
    expect((await readSse(ok)).at(-1)?.type).toBe("response.completed");

    // Only B is routable now. A stream the upstream drops mid-way:
    fake.enqueue(b!.accountId, { kind: "drop_mid_stream" });
    const dropped = await post(JSON.stringify(turnBody()));
    expect(dropped.status).toBe(200);
    const droppedEvents = await readSse(dropped);
    expect(droppedEvents.at(-1)?.type).toBe("response.failed");

    // A 401 on B's access token: refresh, retry.
    fake.expireAccessToken(b!.accountId);
    const refreshed = await post(JSON.stringify(turnBody()));
    expect(refreshed.status).toBe(200);
    expect((await readSse(refreshed)).at(-1)?.type).toBe("response.completed");
    expect(fake.refreshCount(b!.accountId)).toBe(1);

    // A gzip body, an upstream 400 (stream:false), a body that is not JSON, a bogus bearer.
    const gz = await post(new Uint8Array(gzipSync(JSON.stringify(turnBody()))), {
      "content-encoding": "gzip",
    });
    expect(gz.status).toBe(200);
    await gz.text();
    const rejected = await post(JSON.stringify(turnBody({ stream: false })));
    expect(rejected.status).toBe(400);
    await rejected.text();
    const notJson = await post(`{"input": "${CANARY}`);
    expect(notJson.status).toBe(400);
    expect(await notJson.text()).not.toContain(CANARY);
    const badKey = await post(JSON.stringify(turnBody()), { authorization: `Bearer sk-cxp-${CANARY}` });
    expect(badKey.status).toBe(401);
    expect(await badKey.text()).not.toContain(CANARY);

    const models = await fetch(`${url}/backend-api/codex/models?client_version=0.169.0`, {
      headers: { authorization: `Bearer ${seeded.key}` },
    });
    expect(models.status).toBe(200);
    await models.text();
    const usage = await fetch(`${url}/backend-api/wham/usage`, {
      headers: { authorization: `Bearer ${seeded.key}` },
    });
    expect(usage.status).toBe(200);
    await usage.text();

    // The canary really went through the gateway to the upstream (so its absence below means something).
    const upstreamSaw = fake.requests.filter((r) => JSON.stringify(r.body ?? "").includes(CANARY));
    expect(upstreamSaw.length).toBeGreaterThanOrEqual(5);

    // Tokens the refresh issued, as the auth server returned them.
    const issued = proxy.responses.filter((r) => r.path.startsWith("/oauth/token") && r.status === 200);
    expect(issued).toHaveLength(1);
    const tokens = JSON.parse(issued[0]!.body);
    for (const name of ["access_token", "refresh_token", "id_token"]) {
      expect(typeof tokens[name]).toBe("string");
      addToken(`refreshed ${name}`, tokens[name]);
    }

    // Request logs for everything that reached the relay (429, ok, drop, refresh, gzip, 400).
    requestLogs = await waitFor(async () => {
      const { body } = await admin("GET", "/request-logs?limit=1000");
      const relayed = body.data.filter((l: { route: string }) => l.route === "/backend-api/codex/responses");
      return relayed.some((l: { errorCode: string }) => l.errorCode === "stream_interrupted") &&
        relayed.length >= 6
        ? body.data
        : undefined;
    }, 10_000);
    const audit = await admin("GET", "/audit-events?limit=1000");
    expect(audit.status).toBe(200);
    auditEvents = audit.body.data;
  });

  it("keeps every secret out of the request logs, with the model name as positive control", () => {
    expect(requestLogs, "request logs were read by the traffic test").toBeDefined();
    const text = JSON.stringify(requestLogs);
    expect(text).toContain('"model":"gpt-5.5"');
    expect(text).toContain(seeded.accounts[1]!.label);
    expect(secrets.size).toBeGreaterThanOrEqual(15);
    for (const [name, value] of secrets) expect(text, `${name} in request logs`).not.toContain(value);
  });

  it("keeps every secret out of the audit events", () => {
    expect(auditEvents, "audit events were read by the traffic test").toBeDefined();
    const text = JSON.stringify(auditEvents);
    // Positive control: the audit trail does record what was done and to what.
    expect(auditEvents.map((e) => e.action)).toEqual(
      expect.arrayContaining([
        "admin_token.create",
        "pool.create",
        "upstream_account.import",
        "api_key.create",
      ]),
    );
    expect(text).toContain(POOL);
    for (const [name, value] of secrets) expect(text, `${name} in audit events`).not.toContain(value);
  });

  it("keeps every secret out of stdout and stderr (the first-start banner aside)", async () => {
    proc!.child.kill("SIGTERM");
    expect(await proc!.waitForExit()).toEqual({ code: 0, signal: null });
    const stdout = proc!.stdout();
    const stderr = proc!.stderr();
    // Positive control: the output is captured (banner and stop line).
    expect(stdout).toContain("Codex Pooler listening on");
    expect(stdout).toContain("SIGTERM received");
    // The bootstrap admin token is shown exactly once, on its export line, by design; nowhere else.
    expect(countOf(stdout, adminToken)).toBe(1);
    expect(stdout).toContain(`export POOLER_ADMIN_TOKEN=${adminToken}\n`);
    const withoutBanner = stdout.replace(`export POOLER_ADMIN_TOKEN=${adminToken}`, "");
    for (const [name, value] of secrets) {
      expect(withoutBanner, `${name} in stdout`).not.toContain(value);
      expect(stderr, `${name} in stderr`).not.toContain(value);
    }
  });

  it("keeps every secret out of the data directory, which does hold the stored state", async () => {
    const assertNoSecrets = (files: DataFile[], when: string) => {
      expect(files.length).toBeGreaterThan(3);
      for (const [name, value] of secrets) {
        expect(filesContaining(files, value), `${name} in data files (${when})`).toEqual([]);
      }
    };
    const stored = [POOL, seeded.accounts[0]!.label, seeded.accounts[1]!.label, '"gpt-5.5"'];

    // After one run the store's data is in LevelDB's uncompressed write-ahead log: a plain byte search
    // sees stored strings (positive control), and must not see any secret.
    const firstRun = readTree(dataDir);
    for (const value of stored) {
      expect(filesContaining(firstRun, value, { rawOnly: true }), `${value} in raw data files`).toEqual([
        expect.stringMatching(/^dynamodb\/\d+\.log$/),
      ]);
    }
    assertNoSecrets(firstRun, "first run");

    // A restart replays the log into a snappy-compressed table file, where a raw search is no longer
    // reliable (copies break strings up); the decoded records must still show the stored strings and
    // no secret.
    proc = spawnPooler(poolerEnv(fake, dataDir, { CODEX_AUTH_BASE_URL: proxy.url }));
    const url2 = await proc.listening();
    expect(proc.bootstrapToken()).toBeUndefined();
    const pools = await adminClient(url2, adminToken)("GET", "/pools");
    expect(JSON.stringify(pools.body)).toContain(POOL);
    proc.child.kill("SIGTERM");
    expect(await proc.waitForExit()).toEqual({ code: 0, signal: null });
    const secondRun = readTree(dataDir);
    const tables = secondRun.filter((f) => /\.(ldb|sst)$/.test(f.path));
    expect(tables.length).toBeGreaterThan(0);
    for (const value of stored) {
      expect(
        tables.some((t) => t.decoded?.includes(Buffer.from(value))),
        `${value} in decoded tables`,
      ).toBe(true);
    }
    assertNoSecrets(secondRun, "after restart");
  });
});
