// Runs the real local entry (`node --import tsx src/server/main.ts`) as a child process, with its
// stdout/stderr captured, and talks to it only over HTTP.
import { type ChildProcess, spawn } from "node:child_process";
import { createServer as createHttpServer, request as httpRequest } from "node:http";
import type { AddressInfo } from "node:net";
import { createParser } from "eventsource-parser";
import type { FakeUpstream } from "../fake-upstream/index.ts";
import { REPO_ROOT, waitFor } from "./gateway.ts";

const LISTENING = /Codex Pooler listening on (http:\/\/127\.0\.0\.1:\d+) /;
const BANNER_END = /then point Codex at \S+\/backend-api\/codex.*\n/;
const BOOTSTRAP_TOKEN = /export POOLER_ADMIN_TOKEN=(adm-cxp-[0-9a-f]{12}-[A-Za-z0-9_-]{43})/;

export interface PoolerProcess {
  child: ChildProcess;
  /** Everything written so far. */
  stdout(): string;
  stderr(): string;
  /** Resolves when the process has exited (never rejects). */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Resolves when the process has exited; `waitFor` rejects after timeoutMs. */
  waitForExit(timeoutMs?: number): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Waits for the listening line and returns the base URL. */
  listening(timeoutMs?: number): Promise<string>;
  /** The admin token printed on first start, if any. */
  bootstrapToken(): string | undefined;
  /** SIGKILL if still running (cleanup on failure). */
  kill(): void;
}

/** Environment for the child: the parent's, minus anything that configures the gateway, plus `env`. */
function childEnv(env: Record<string, string>): NodeJS.ProcessEnv {
  const base = Object.fromEntries(
    Object.entries(process.env).filter(
      ([k]) => !/^(POOLER_|CODEX_)/.test(k) && k !== "PORT" && k !== "HOST" && k !== "NODE_OPTIONS",
    ),
  );
  return { ...base, ...env };
}

/** Everything a child writes, kept as it arrives (stdio drained, so the child never blocks). */
function captureOutput(child: ChildProcess): { stdout(): string; stderr(): string } {
  let out = "";
  let err = "";
  child.stdout?.setEncoding("utf8").on("data", (chunk: string) => {
    out += chunk;
  });
  child.stderr?.setEncoding("utf8").on("data", (chunk: string) => {
    err += chunk;
  });
  return { stdout: () => out, stderr: () => err };
}

export function spawnPooler(env: Record<string, string>): PoolerProcess {
  const child = spawn(process.execPath, ["--import", "tsx", "src/server/main.ts"], {
    cwd: REPO_ROOT,
    env: childEnv(env),
    stdio: ["ignore", "pipe", "pipe"],
  });
  const { stdout, stderr } = captureOutput(child);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    // "close" fires after the stdio streams are drained, so stdout()/stderr() are complete.
    child.once("close", (code, signal) => resolve({ code, signal }));
  });
  let done = false;
  void exited.then(() => {
    done = true;
  });
  const proc: PoolerProcess = {
    child,
    stdout,
    stderr,
    exited,
    async waitForExit(timeoutMs = 20_000) {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`process did not exit within ${timeoutMs} ms`)), timeoutMs);
      });
      try {
        return await Promise.race([exited, timeout]);
      } finally {
        clearTimeout(timer);
      }
    },
    async listening(timeoutMs = 30_000) {
      const match = await waitFor(() => {
        if (done) {
          throw new Error(`process exited before listening:\nstdout: ${stdout()}\nstderr: ${stderr()}`);
        }
        return LISTENING.exec(stdout()) ?? undefined;
      }, timeoutMs);
      const url = match[1] as string;
      // The banner is written line by line right after the listening line, before the process answers
      // HTTP; a health round trip (plus a turn for the pipe) makes sure we have all of it.
      await waitFor(
        () =>
          fetch(`${url}/healthz`).then(
            (r) => r.ok || undefined,
            () => undefined,
          ),
        timeoutMs,
      );
      await new Promise((resolve) => setTimeout(resolve, 100));
      if (stdout().includes("First start"))
        await waitFor(() => BANNER_END.test(stdout()) || undefined, timeoutMs);
      return url;
    },
    bootstrapToken: () => BOOTSTRAP_TOKEN.exec(stdout())?.[1],
    kill() {
      if (!done && child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    },
  };
  return proc;
}

/** The environment that points a child at a fake upstream, with a data directory. */
export function poolerEnv(
  fake: FakeUpstream,
  dataDir: string,
  extra: Record<string, string> = {},
): Record<string, string> {
  return {
    PORT: "0",
    POOLER_DATA_DIR: dataDir,
    CODEX_UPSTREAM_BASE_URL: fake.upstreamBaseUrl,
    CODEX_AUTH_BASE_URL: fake.authBaseUrl,
    POOLER_SSE_KEEPALIVE_MS: "0",
    ...extra,
  };
}

export type AdminCall = <T = any>(
  method: string,
  path: string,
  body?: unknown,
) => Promise<{ status: number; body: T }>;

export function adminClient(url: string, token: string): AdminCall {
  return async (method, path, body) => {
    const response = await fetch(`${url}/admin/v1${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: response.status, body: await response.json() };
  };
}

export interface SeededProcess {
  pool: string;
  key: string;
  keyId: string;
  accounts: { id: string; accountId: string; label: string }[];
  /** Every token in the imported auth.json files. */
  authTokens: string[];
}

/** Pool + imported accounts + one key, through the admin API only. */
export async function seedThroughAdmin(
  admin: AdminCall,
  fake: FakeUpstream,
  pool: string,
  accounts = 1,
): Promise<SeededProcess> {
  const created = await admin("POST", "/pools", { name: pool });
  if (created.status !== 201) throw new Error(`pool create failed: ${JSON.stringify(created.body)}`);
  const seeded: SeededProcess = { pool, key: "", keyId: "", accounts: [], authTokens: [] };
  for (let i = 0; i < accounts; i++) {
    const account = fake.createAccount();
    const label = `${pool}-acct${i + 1}`;
    const imported = await admin("POST", "/accounts/import", { pool, authJson: account.authJson, label });
    if (imported.status !== 201) throw new Error(`import failed: ${JSON.stringify(imported.body)}`);
    seeded.accounts.push({ id: imported.body.account.id, accountId: account.accountId, label });
    const { id_token, access_token, refresh_token } = account.authJson.tokens;
    seeded.authTokens.push(id_token, access_token, refresh_token);
  }
  const key = await admin("POST", "/keys", { pool, label: "process-test" });
  if (key.status !== 201) throw new Error(`key create failed: ${JSON.stringify(key.body)}`);
  seeded.key = key.body.secret;
  seeded.keyId = key.body.key.id;
  return seeded;
}

/**
 * One GET on a fresh TCP connection (no keep-alive pool), so "refused" really means the listening
 * socket is gone. Resolves to the status and body, or to the connection error code.
 */
export function freshGet(url: string): Promise<{ status: number; body: string } | { error: string }> {
  return new Promise((resolve) => {
    const req = httpRequest(url, { agent: false, timeout: 5_000 }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => {
        body += chunk;
      });
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
      res.on("error", (error: NodeJS.ErrnoException) => resolve({ error: error.code ?? error.message }));
    });
    req.on("timeout", () => req.destroy(Object.assign(new Error("timeout"), { code: "ETIMEDOUT" })));
    req.on("error", (error: NodeJS.ErrnoException) => resolve({ error: error.code ?? error.message }));
    req.end();
  });
}

/** Incremental SSE reader: events as they arrive, so a test can act mid-stream. */
export class SseReader {
  readonly events: { type: string; data: any }[] = [];
  #reader: ReadableStreamDefaultReader<Uint8Array>;
  #decoder = new TextDecoder();
  #parser = createParser({
    onEvent: ({ data }) => {
      const parsed = JSON.parse(data);
      this.events.push({ type: parsed.type as string, data: parsed });
    },
  });
  ended = false;

  constructor(response: Response) {
    if (!response.body) throw new Error("response has no body");
    this.#reader = response.body.getReader();
  }

  /** Reads until `count` events have arrived (or the stream ends). */
  async until(count: number): Promise<void> {
    while (this.events.length < count && !this.ended) await this.#readOnce();
  }

  /** Reads to the end of the stream; rejects if the connection is cut. */
  async rest(): Promise<void> {
    while (!this.ended) await this.#readOnce();
  }

  async #readOnce(): Promise<void> {
    const { done, value } = await this.#reader.read();
    if (done) {
      this.ended = true;
      this.#parser.feed(this.#decoder.decode());
    } else {
      this.#parser.feed(this.#decoder.decode(value, { stream: true }));
    }
  }

  cancel(): Promise<void> {
    return this.#reader.cancel().catch(() => undefined);
  }
}

/**
 * A pass-through HTTP proxy that records every response body, so a test can see values the
 * upstream issued (e.g. refreshed tokens) without reaching into the fake.
 */
export async function startRecordingProxy(target: string): Promise<{
  url: string;
  responses: { path: string; status: number; body: string }[];
  close(): Promise<void>;
}> {
  const responses: { path: string; status: number; body: string }[] = [];
  const server = createHttpServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const headers = new Headers();
    for (const [name, value] of Object.entries(req.headers)) {
      if (value === undefined || ["host", "connection", "content-length"].includes(name)) continue;
      headers.set(name, Array.isArray(value) ? value.join(", ") : value);
    }
    try {
      const upstream = await fetch(`${target}${req.url ?? "/"}`, {
        method: req.method,
        headers,
        body: chunks.length > 0 ? Buffer.concat(chunks) : undefined,
      });
      const body = await upstream.text();
      responses.push({ path: req.url ?? "/", status: upstream.status, body });
      res.writeHead(upstream.status, {
        "content-type": upstream.headers.get("content-type") ?? "application/octet-stream",
      });
      res.end(body);
    } catch (error) {
      res.writeHead(502).end(String(error));
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    responses,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A `pooler` run as a user starts it: `node --import tsx bin/pooler-cli.ts …` from the repo root. */
export interface PoolerCli {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  exit: Promise<number | null>;
}

/**
 * Starts the CLI against a gateway, configured through the environment only (the test's own
 * POOLER_* variables and NODE_OPTIONS are left out); stdin stays open for interactive commands.
 */
export function startPoolerCli(
  gateway: { url: string; adminToken: string },
  args: string[],
  env: Record<string, string> = {},
): PoolerCli {
  const base = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !k.startsWith("POOLER_") && k !== "NODE_OPTIONS"),
  );
  const child = spawn(process.execPath, ["--import", "tsx", "bin/pooler-cli.ts", ...args], {
    cwd: REPO_ROOT,
    env: { ...base, POOLER_URL: gateway.url, POOLER_ADMIN_TOKEN: gateway.adminToken, ...env },
    stdio: ["pipe", "pipe", "pipe"],
  });
  const output = captureOutput(child);
  const exit = new Promise<number | null>((resolve, reject) => {
    child.once("error", reject);
    child.once("close", (code) => resolve(code));
  });
  return { child, ...output, exit };
}

/** Runs the CLI to its end (stdin closed) and returns its exit code and output. */
export async function runPoolerCli(
  gateway: { url: string; adminToken: string },
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const cli = startPoolerCli(gateway, args, env);
  cli.child.stdin?.end();
  const code = await cli.exit;
  return { code, stdout: cli.stdout(), stderr: cli.stderr() };
}
