// The local host as a process: first start and restart, configuration errors, health, graceful stop.
// Readiness against an unreachable store is checked in-process (the store is embedded in the process).
import { randomBytes } from "node:crypto";
import { rmSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createGateway } from "../src/core/gateway.ts";
import { createApp } from "../src/http/app.ts";
import { type FakeUpstream, startFakeUpstream } from "./fake-upstream/index.ts";
import { scratchDir, TEXT_TURN_BODY, useTestGateway, waitFor } from "./helpers/gateway.ts";
import {
  adminClient,
  freshGet,
  type PoolerProcess,
  poolerEnv,
  SseReader,
  seedThroughAdmin,
  spawnPooler,
} from "./helpers/process.ts";

let fake: FakeUpstream;
const processes: PoolerProcess[] = [];
const dirs: string[] = [];

function start(env: Record<string, string>): PoolerProcess {
  const proc = spawnPooler(env);
  processes.push(proc);
  return proc;
}

function dataDir(name: string): string {
  const dir = scratchDir(name);
  dirs.push(dir);
  return dir;
}

async function terminate(proc: PoolerProcess, timeoutMs = 20_000) {
  proc.child.kill("SIGTERM");
  return proc.waitForExit(timeoutMs);
}

const envToken = () => `env-admin-token-${randomBytes(12).toString("hex")}`;

beforeAll(async () => {
  fake = await startFakeUpstream();
});

afterEach(() => {
  // A failed test must not leave a gateway running.
  for (const proc of processes.splice(0)) proc.kill();
});

afterAll(async () => {
  fake?.releasePaused();
  await fake?.close();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

describe("first start, restart and the admin token", () => {
  it("mints and prints an admin token once, keeps data and the token across a restart", async () => {
    const dir = dataDir("first-start");
    const first = start(poolerEnv(fake, dir));
    const url = await first.listening();
    const token = first.bootstrapToken();
    expect(token).toMatch(/^adm-cxp-[0-9a-f]{12}-[A-Za-z0-9_-]{43}$/);
    expect(first.stdout()).toContain("First start: an admin token was created");
    expect(first.stdout()).toContain("Next steps");
    expect(first.stdout()).toContain("npm run pooler -- pool create default");
    expect(first.stdout()).toContain(`then point Codex at ${url}/backend-api/codex`);
    expect(first.stderr()).toBe("");

    // A script asks "is this instance set up?" without a token: not until a Pool exists.
    const status = async (base: string) => {
      const res = await fetch(`${base}/bootstrap/status`);
      expect(res.status).toBe(200);
      expect(res.headers.get("cache-control")).toBe("no-store");
      return res.json();
    };
    expect(await status(url)).toEqual({ status: "ok", bootstrap: "pending" });

    const admin = adminClient(url, token!);
    const pools = await admin("GET", "/pools");
    expect(pools.status).toBe(200);
    const wrong = await adminClient(url, `adm-cxp-000000000000-${"A".repeat(43)}`)("GET", "/pools");
    expect(wrong.status).toBe(401);
    expect(await status(url)).toEqual({ status: "ok", bootstrap: "pending" });
    expect((await admin("POST", "/pools", { name: "persisted" })).status).toBe(201);
    expect(await status(url)).toEqual({ status: "ok", bootstrap: "complete" });
    const audit = await admin("GET", "/audit-events");
    expect(audit.body.data.map((e: { action: string }) => e.action)).toContain("admin_token.create");

    // Health, while we have a running process.
    const healthz = await fetch(`${url}/healthz`);
    expect(healthz.status).toBe(200);
    expect(await healthz.json()).toEqual({ status: "ok" });
    const readyz = await fetch(`${url}/readyz`);
    expect(readyz.status).toBe(200);
    expect(await readyz.json()).toEqual({ status: "ready" });

    expect(await terminate(first)).toEqual({ code: 0, signal: null });
    expect(first.stdout()).toContain("SIGTERM received");

    const second = start(poolerEnv(fake, dir));
    const url2 = await second.listening();
    expect(second.bootstrapToken()).toBeUndefined();
    expect(await status(url2)).toEqual({ status: "ok", bootstrap: "complete" });
    expect(second.stdout()).not.toContain("adm-cxp-");
    expect(second.stdout()).not.toContain("First start");
    const again = await adminClient(url2, token!)("GET", "/pools");
    expect(again.status).toBe(200);
    expect(JSON.stringify(again.body)).toContain('"persisted"');
    expect(await terminate(second)).toEqual({ code: 0, signal: null });
  });

  it("mints nothing when POOLER_ADMIN_TOKEN is set, and accepts that token", async () => {
    const token = envToken();
    const proc = start(poolerEnv(fake, dataDir("env-token"), { POOLER_ADMIN_TOKEN: token }));
    const url = await proc.listening();
    expect(proc.bootstrapToken()).toBeUndefined();
    expect(proc.stdout()).not.toContain("adm-cxp-");
    expect(proc.stdout()).not.toContain("First start");
    expect(proc.stdout()).not.toContain(token);
    const admin = adminClient(url, token);
    expect((await admin("GET", "/pools")).status).toBe(200);
    expect((await adminClient(url, `${token}x`)("GET", "/pools")).status).toBe(401);
    // Nothing was minted behind the scenes either; a pool created now is audited as the env token.
    expect((await admin("POST", "/pools", { name: "env" })).status).toBe(201);
    const audit = await admin("GET", "/audit-events");
    const actions = audit.body.data.map((e: { action: string }) => e.action);
    expect(actions).toContain("pool.create");
    expect(actions).not.toContain("admin_token.create");
    expect(await terminate(proc)).toEqual({ code: 0, signal: null });
  });
});

describe("invalid configuration fails fast", () => {
  it.each([
    ["PORT", "abc"],
    ["CODEX_UPSTREAM_BASE_URL", "notaurl"],
    ["POOLER_ADMIN_TOKEN", "short"],
    ["POOLER_MAX_UPSTREAM_EVENT_BYTES", "1024"],
    ["POOLER_MAX_BODY_BYTES", "1000"],
    ["POOLER_MAX_COMPRESSED_BODY_BYTES", "abc"],
  ])("%s=%s: one line naming the variable, non-zero exit", async (name, value) => {
    const proc = start(poolerEnv(fake, dataDir("bad-config"), { [name]: value }));
    const { code } = await proc.waitForExit();
    expect(code).not.toBe(0);
    expect(code).not.toBeNull();
    const lines = proc
      .stderr()
      .split("\n")
      .filter((l) => l !== "");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(new RegExp(`^invalid configuration: ${name}\\b`));
    expect(proc.stderr()).not.toMatch(/\n\s+at /);
    expect(proc.stdout()).not.toContain("listening");
  });

  it("a port already in use: one clear line mentioning the port", async () => {
    const blocker: Server = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, "127.0.0.1", resolve));
    try {
      const port = (blocker.address() as { port: number }).port;
      const proc = start(poolerEnv(fake, dataDir("port-in-use"), { PORT: String(port) }));
      const { code } = await proc.waitForExit();
      expect(code).not.toBe(0);
      expect(code).not.toBeNull();
      const lines = proc
        .stderr()
        .split("\n")
        .filter((l) => l !== "");
      expect(lines).toHaveLength(1);
      expect(lines[0]).toContain(`port ${port}`);
      expect(lines[0]).toContain("in use");
      expect(proc.stderr()).not.toMatch(/\n\s+at /);
      expect(proc.stdout()).not.toContain("listening");
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }
  });
});

describe("graceful stop", () => {
  async function startStreaming(graceMs: number, name: string) {
    const token = envToken();
    const proc = start(
      poolerEnv(fake, dataDir(name), {
        POOLER_ADMIN_TOKEN: token,
        POOLER_SHUTDOWN_GRACE_MS: String(graceMs),
      }),
    );
    const url = await proc.listening();
    const seeded = await seedThroughAdmin(adminClient(url, token), fake, name);
    const [account] = seeded.accounts;
    fake.enqueue(account!.accountId, { kind: "text", pauseAfterEvent: 3 });
    const response = await fetch(`${url}/backend-api/codex/responses`, {
      method: "POST",
      headers: {
        authorization: `Bearer ${seeded.key}`,
        "content-type": "application/json",
        accept: "text/event-stream",
      },
      body: JSON.stringify(TEXT_TURN_BODY),
    });
    expect(response.status).toBe(200);
    const sse = new SseReader(response);
    await sse.until(4);
    expect(sse.events.map((e) => e.type)).toContain("response.created");
    expect(sse.ended).toBe(false);
    return { proc, url, sse };
  }

  it("refuses new connections, lets the open stream finish, then exits 0", async () => {
    const graceMs = 10_000;
    const { proc, url, sse } = await startStreaming(graceMs, "drain");
    try {
      const stoppedAt = Date.now();
      proc.child.kill("SIGTERM");
      await waitFor(() => proc.stdout().includes("SIGTERM received"));
      // The listening socket is closed at once: a fresh connection is refused.
      const refused = await waitFor(async () => {
        const result = await freshGet(`${url}/readyz`);
        return "error" in result && result.error === "ECONNREFUSED" ? result : undefined;
      }, 3_000);
      expect(refused.error).toBe("ECONNREFUSED");
      // ...while the open stream is still open and the process still running.
      expect(sse.ended).toBe(false);
      expect(proc.child.exitCode).toBeNull();

      fake.releasePaused();
      await sse.rest();
      expect(sse.events.at(-1)?.type).toBe("response.completed");
      const exit = await proc.waitForExit(graceMs + 5_000);
      expect(exit).toEqual({ code: 0, signal: null });
      expect(Date.now() - stoppedAt).toBeLessThan(graceMs);
    } finally {
      fake.releasePaused();
      await sse.cancel();
    }
  });

  it("cuts a stream that never finishes after POOLER_SHUTDOWN_GRACE_MS and still exits", async () => {
    const graceMs = 1_000;
    const { proc, sse } = await startStreaming(graceMs, "cut");
    try {
      const stoppedAt = Date.now();
      proc.child.kill("SIGTERM");
      const rest = sse.rest().then(
        () => "ended",
        () => "cut",
      );
      const exit = await proc.waitForExit(graceMs + 10_000);
      const elapsed = Date.now() - stoppedAt;
      expect(exit).toEqual({ code: 0, signal: null });
      expect(elapsed).toBeGreaterThanOrEqual(graceMs - 100);
      expect(elapsed).toBeLessThan(graceMs + 8_000);
      await rest;
      expect(sse.events.some((e) => e.type === "response.completed")).toBe(false);
    } finally {
      fake.releasePaused();
      await sse.cancel();
    }
  });
});

describe("/readyz in-process", () => {
  const { gw } = useTestGateway();

  const appFor = (ping: () => Promise<void>, isDraining?: () => boolean) => {
    const ctx = gw.local.gateway.ctx;
    const gateway = createGateway({ ...ctx, store: { ...ctx.store, ping } });
    return createApp(gateway, { adminAuthenticator: async () => undefined, version: "test", isDraining });
  };

  it("is ready when the store answers", async () => {
    const app = appFor(() => gw.local.gateway.ctx.store.ping());
    const response = await app.request("/readyz");
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: "ready" });
  });

  it("answers 503 when the store is unreachable", async () => {
    const app = appFor(() => Promise.reject(new Error("connect ECONNREFUSED 127.0.0.1:1")));
    const response = await app.request("/readyz");
    expect(response.status).toBe(503);
    const body = await response.json();
    expect(body).toMatchObject({ status: "unavailable", reason: "store_unreachable" });
    expect(JSON.stringify(body)).not.toContain("ECONNREFUSED");
    // Liveness does not depend on the store.
    expect((await app.request("/healthz")).status).toBe(200);
  });

  it("answers 503 within its timeout when the store hangs", async () => {
    const app = appFor(() => new Promise<void>(() => {}));
    const startedAt = Date.now();
    const response = await app.request("/readyz");
    expect(response.status).toBe(503);
    expect(await response.json()).toMatchObject({ status: "unavailable", reason: "store_unreachable" });
    expect(Date.now() - startedAt).toBeLessThan(3_000);
  });

  it("answers 503 draining while the host drains", async () => {
    const app = appFor(
      () => Promise.resolve(),
      () => true,
    );
    const response = await app.request("/readyz");
    expect(response.status).toBe(503);
    expect(await response.json()).toEqual({ status: "unavailable", reason: "draining" });
  });
});
