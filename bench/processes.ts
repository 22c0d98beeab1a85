// The bench's processes: the fake upstream (forked, driven over IPC), the bare pipe proxy and the real
// gateway (`src/server/main.ts`), each in its own process on 127.0.0.1, plus their RSS.

import { type ChildProcess, fork, spawn } from "node:child_process";
import { createWriteStream, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import type { Behavior, FakeAccount } from "../test/fake-upstream/index.ts";

export const REPO_ROOT = resolve(import.meta.dirname, "..");

export interface FakeProcess {
  pid: number;
  url: string;
  upstreamBaseUrl: string;
  createAccount(): Promise<FakeAccount>;
  setDefaultBehavior(accountId: string, behavior: Behavior): Promise<void>;
  releasePaused(): Promise<void>;
  close(): Promise<void>;
}

// Every process a bench starts, so a bench stopped by a signal (Ctrl-C, `timeout`) takes them with it
// instead of leaving a fake upstream, a bare proxy or a gateway running on the machine.
const children = new Set<ChildProcess>();
function track(child: ChildProcess): void {
  if (children.size === 0) {
    for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
      process.once(signal, () => {
        for (const c of children) c.kill("SIGKILL");
        process.exit(128 + (signal === "SIGINT" ? 2 : signal === "SIGTERM" ? 15 : 1));
      });
    }
  }
  children.add(child);
  child.once("exit", () => children.delete(child));
}

export async function startFakeProcess(): Promise<FakeProcess> {
  const child = fork(join(REPO_ROOT, "bench/fake-child.ts"), [], {
    execArgv: ["--import", "tsx"],
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  track(child);
  const waiting = new Map<number, (result: unknown) => void>();
  child.on("message", (message: { id: number; result: unknown }) => {
    waiting.get(message.id)?.(message.result);
    waiting.delete(message.id);
  });
  let seq = 0;
  const call = <T>(command: Record<string, unknown>): Promise<T> =>
    new Promise((resolve) => {
      const id = ++seq;
      waiting.set(id, resolve as (result: unknown) => void);
      child.send({ id, ...command });
    });
  const ready = await new Promise<{ url: string; upstreamBaseUrl: string }>((resolve, reject) => {
    waiting.set(0, resolve as (result: unknown) => void);
    child.once("exit", (code) => reject(new Error(`fake upstream exited (${code})`)));
  });
  return {
    pid: child.pid as number,
    ...ready,
    createAccount: () => call({ op: "createAccount" }),
    setDefaultBehavior: (accountId, behavior) => call({ op: "setDefaultBehavior", accountId, behavior }),
    releasePaused: () => call({ op: "releasePaused" }),
    async close() {
      await Promise.race([call({ op: "close" }), new Promise((r) => setTimeout(r, 5000))]);
      child.kill("SIGKILL");
    },
  };
}

export interface ServerProcess {
  pid: number;
  url: string;
  child: ChildProcess;
  stop(): Promise<void>;
}

/** Spawns `node [--import tsx] <args>` and waits for a URL on stdout matching `listening`. */
async function startServer(
  args: string[],
  env: NodeJS.ProcessEnv,
  listening: RegExp,
  nodeFlags: string[] = ["--import", "tsx"],
  cwd = REPO_ROOT,
): Promise<ServerProcess> {
  const child = spawn(process.execPath, [...nodeFlags, ...args], {
    cwd,
    env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  track(child);
  let out = "";
  let err = "";
  // BENCH_GATEWAY_STDOUT=<file>: the gateway's whole stdout (e.g. --trace-gc) goes to that file too.
  const tee =
    process.env.BENCH_GATEWAY_STDOUT && args[0] === "scripts/start.mjs"
      ? createWriteStream(process.env.BENCH_GATEWAY_STDOUT)
      : undefined;
  if (tee) child.stdout?.pipe(tee);
  // Drained so a chatty child never blocks on a full pipe; only the start is kept.
  child.stdout?.setEncoding("utf8").on("data", (chunk: string) => {
    if (out.length < 64 * 1024) out += chunk;
  });
  child.stderr?.setEncoding("utf8").on("data", (chunk: string) => {
    if (err.length < 64 * 1024) err += chunk;
  });
  const url = await new Promise<string>((resolve, reject) => {
    const deadline = setTimeout(() => reject(new Error(`no listening line:\n${out}\n${err}`)), 30_000);
    const check = () => {
      const match = listening.exec(out);
      if (match) {
        clearTimeout(deadline);
        child.stdout?.off("data", check);
        resolve(match[1] as string);
      }
    };
    child.stdout?.on("data", check);
    child.once("exit", (code) => reject(new Error(`exited (${code}) before listening:\n${out}\n${err}`)));
  });
  return {
    pid: child.pid as number,
    url,
    child,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((r) => child.once("exit", r));
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 20_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** The environment without anything that configures a gateway. */
function cleanEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(
    Object.entries(process.env).filter(
      ([k]) => !/^(POOLER_|CODEX_)/.test(k) && !["PORT", "HOST", "NODE_OPTIONS"].includes(k),
    ),
  );
}

export function startBareProxy(upstreamOrigin: string): Promise<ServerProcess> {
  return startServer(["bench/bare-proxy.ts", upstreamOrigin], cleanEnv(), /listening (http:\S+)/, [
    "--import",
    "tsx",
    ...(process.env.BENCH_BARE_NODE_FLAGS?.split(" ").filter(Boolean) ?? []),
  ]);
}

/** A free TCP port on 127.0.0.1 (so a restarted gateway keeps its URL). */
export async function freePort(): Promise<number> {
  const { createServer } = await import("node:net");
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/**
 * The relay phases measure the relay, not a policy: the gateway runs them with bulkheads far above
 * the load (the default stream class admits 24 at once); the admission phase sets small ones.
 */
export const UNLIMITED_ADMISSION = {
  POOLER_ADMISSION_PROXY_STREAM: "100000,0,10000",
  POOLER_ADMISSION_PROXY_HTTP: "100000,0,10000",
};

export function startGatewayProcess(options: {
  upstreamBaseUrl: string;
  authBaseUrl: string;
  dataDir: string;
  adminToken: string;
  port?: number;
  profileDir?: string;
  /** More environment (admission limits). */
  env?: Record<string, string>;
  /** Another checkout to run the gateway from (bench/ab-flags.ts compares two versions). */
  root?: string;
  /**
   * Node or V8 flags for the gateway alone (bench/ab-flags.ts); default: BENCH_GATEWAY_NODE_FLAGS
   * (e.g. `--max-semi-space-size=4`), space-separated.
   */
  nodeFlags?: string;
}): Promise<ServerProcess> {
  const flags = options.profileDir ? ["--cpu-prof", `--cpu-prof-dir=${options.profileDir}`] : [];
  const extra = options.nodeFlags ?? process.env.BENCH_GATEWAY_NODE_FLAGS ?? "";
  flags.push(...extra.split(" ").filter(Boolean));
  // What `npm start` runs: the bundled local host (scripts/start.mjs), not tsx.
  return startServer(
    ["scripts/start.mjs"],
    {
      ...cleanEnv(),
      PORT: String(options.port ?? 0),
      POOLER_DATA_DIR: options.dataDir,
      POOLER_ADMIN_TOKEN: options.adminToken,
      CODEX_UPSTREAM_BASE_URL: options.upstreamBaseUrl,
      CODEX_AUTH_BASE_URL: options.authBaseUrl,
      POOLER_USAGE_POLL_SECONDS: "0",
      POOLER_SHUTDOWN_GRACE_MS: "2000",
      ...options.env,
    },
    /Codex Pooler listening on (http:\/\/127\.0\.0\.1:\d+) /,
    flags,
    options.root,
  );
}

/** Clock ticks per second in /proc's CPU times (USER_HZ, 100 on Linux). */
const TICKS_PER_SECOND = 100;

/** CPU time (ms) and name in a /proc `stat` file: a process's, or one thread's under `task/`. */
export function statCpu(path: string): { ms: number; name: string } {
  const raw = readFileSync(path, "utf8");
  // Fields after the parenthesised name; utime and stime are the 14th and 15th of the line.
  const fields = raw.slice(raw.lastIndexOf(") ") + 2).split(" ");
  return {
    ms: ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS_PER_SECOND,
    name: raw.slice(raw.indexOf("(") + 1, raw.lastIndexOf(")")),
  };
}

/** CPU time used so far by a process, in ms: all its threads, and its main thread alone (Linux /proc). */
export function cpuTimes(pid: number): { all: number; main: number } {
  return { all: statCpu(`/proc/${pid}/stat`).ms, main: statCpu(`/proc/${pid}/task/${pid}/stat`).ms };
}

/** Resident set size of a process, in MB (Linux /proc). */
export function rssMb(pid: number): number {
  return rssParts(pid).rss;
}

/**
 * RSS split into anonymous memory (heaps, buffers) and file-backed pages: the node binary, and the
 * embedded store's LevelDB table files, which LevelDB maps into memory as it reads them.
 */
export function rssParts(pid: number): { rss: number; anon: number; file: number } {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const mb = (field: string) =>
    Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)?.[1] ?? Number.NaN) / 1024;
  return { rss: mb("VmRSS"), anon: mb("RssAnon"), file: mb("RssFile") + mb("RssShmem") };
}

/** The gateway's admin API for a bench's set-up; a refusal throws with the answer. */
export function adminClient(gatewayUrl: string, adminToken: string) {
  return async (method: string, path: string, body?: unknown): Promise<Record<string, unknown>> => {
    const response = await fetch(`${gatewayUrl}/admin/v1${path}`, {
      method,
      headers: { authorization: `Bearer ${adminToken}`, "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const json = (await response.json()) as Record<string, unknown>;
    if (!response.ok) throw new Error(`admin ${method} ${path}: ${response.status} ${JSON.stringify(json)}`);
    return json;
  };
}

/** A Pool with `accounts` fake accounts and one key, through the admin API. */
export async function seedPool(
  admin: ReturnType<typeof adminClient>,
  fake: FakeProcess,
  pool: string,
  accounts: number,
): Promise<{ key: string; accounts: FakeAccount[] }> {
  await admin("POST", "/pools", { name: pool });
  const seeded: FakeAccount[] = [];
  for (let i = 0; i < accounts; i++) {
    const account = await fake.createAccount();
    await admin("POST", "/accounts/import", { pool, authJson: account.authJson, label: `${pool}-${i + 1}` });
    seeded.push(account);
  }
  const key = (await admin("POST", "/keys", { pool, label: pool })).secret as string;
  return { key, accounts: seeded };
}
