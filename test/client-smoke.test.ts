// The real coding-agent clients from npm (pinned in test/helpers/clients.ts), configured with the
// files `pooler client-config` renders, through the real local gateway to the fake upstream: each
// prints the fake upstream's answer, and the request log shows the route family it was set up for.
//
// The Codex CLI and the Node OpenAI SDK come from devDependencies and always run. The npm clients run
// in CI (CI=true) or with POOLER_CLIENT_SMOKE=1 (POOLER_CLIENT_SMOKE=0 turns them off); they are
// installed once into .test-tmp/clients (about 3 GB, reused by later runs).
import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { stripVTControlCharacters } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type ClientConfig,
  ROUTE_PATHS,
  type RouteFamily,
  renderClientConfig,
} from "../src/client-configs/index.ts";
import {
  CLIENTS_DIR,
  type ClientHome,
  type ClientRun,
  clientHome,
  installClients,
  NODE24_BIN,
  runClient,
  writeConfigFile,
} from "./helpers/clients.ts";
import { REPO_ROOT, scratchDir, startTestGateway, type TestGateway, waitFor } from "./helpers/gateway.ts";

const ENABLED =
  process.env.POOLER_CLIENT_SMOKE === "1" ||
  (process.env.POOLER_CLIENT_SMOKE !== "0" && Boolean(process.env.CI) && process.env.CI !== "false");

const ANSWER = "Hello from fake upstream.";
const KEY_ENV = "CODEX_POOLER_API_KEY";
const PROMPT = "Say hi";
const RUN_TIMEOUT_MS = 120_000;

interface RunContext {
  config: ClientConfig;
  home: ClientHome;
  /** Environment with the Pool API key and the client's telemetry/update switches. */
  env: Record<string, string>;
}

interface SmokeClient {
  id: string;
  routes: RouteFamily[];
  /** Route families the client offers but cannot use through the gateway, with the reason. */
  skip?: Partial<Record<RouteFamily, string>>;
  /** What the client prints for the fake upstream's answer, when it is not the plain text. */
  answer?: Partial<Record<RouteFamily, RegExp>>;
  /** Switches from shared/reference/clients.md: no telemetry, no update checks. */
  quiet: Record<string, string>;
  run(ctx: RunContext): Promise<ClientRun>;
}

/** Writes every `~/…` file of the rendered config into the throwaway home. */
function writeHomeFiles(ctx: RunContext): Record<string, string> {
  const written: Record<string, string> = {};
  for (const file of ctx.config.files) {
    if (file.kind !== "file" || !file.path.startsWith("~/")) continue;
    written[file.path] = writeConfigFile(ctx.home.home, file);
  }
  return written;
}

function fileContent(config: ClientConfig, path: string): string {
  const file = config.files.find((f) => f.path === path);
  if (!file) throw new Error(`${config.client} renders no ${path}`);
  return file.content;
}

const run = (command: string, args: string[], ctx: RunContext, cwd = ctx.home.work) =>
  runClient(command, args, { cwd, env: ctx.env, timeoutMs: RUN_TIMEOUT_MS });

const CLIENTS: SmokeClient[] = [
  {
    id: "pi",
    routes: ["chat", "responses"],
    quiet: { PI_OFFLINE: "1", PI_SKIP_VERSION_CHECK: "1" },
    run(ctx) {
      writeHomeFiles(ctx);
      // No --model: settings.json makes the gateway model the default.
      return run(
        "pi",
        [
          "-p",
          "--offline",
          "--no-session",
          "--no-extensions",
          "--no-skills",
          "--no-prompt-templates",
          "--no-context-files",
          PROMPT,
        ],
        ctx,
      );
    },
  },
  {
    id: "omp",
    routes: ["chat", "responses", "codex"],
    quiet: {},
    run(ctx) {
      writeHomeFiles(ctx);
      return run(
        "omp",
        [
          "-p",
          "--no-session",
          "--no-title",
          "--no-lsp",
          "--no-extensions",
          "--no-skills",
          "--no-rules",
          "--model",
          `codex-pooler/${ctx.config.model}`,
          "--cwd",
          ctx.home.work,
          PROMPT,
        ],
        ctx,
      );
    },
  },
  {
    id: "continue",
    routes: ["chat", "responses"],
    skip: {
      chat: "cn 1.5.47 sends every gpt-5*/o* model to /v1/responses and ignores useResponsesApi: false (its streaming path tests only the model name); other model names use chat completions",
    },
    quiet: { CONTINUE_CLI_ENABLE_TELEMETRY: "0", CONTINUE_METRICS_ENABLED: "0" },
    run(ctx) {
      // The optional ~/.continue/.env is left out: Continue resolves the secret from the environment.
      const config = writeConfigFile(ctx.home.home, ctx.config.files[0]!);
      return run("cn", ["-p", "--config", config, PROMPT], {
        ...ctx,
        env: { ...ctx.env, CONTINUE_GLOBAL_DIR: join(ctx.home.home, ".continue") },
      });
    },
  },
  {
    id: "cline",
    routes: ["chat", "responses"],
    // Cline's openai-native provider always offers the hosted image_generation tool, and the fake
    // upstream answers any turn that offers it with a generated image instead of text.
    answer: { responses: /\[generated image\] .*generated\.png/ },
    // local: no background hub daemon (it would outlive the run in a session of its own).
    quiet: { CLINE_NO_AUTO_UPDATE: "1", CLINE_NO_INTERACTIVE: "1", CLINE_SESSION_BACKEND_MODE: "local" },
    run(ctx) {
      // The rendered snippet itself: `cline auth …` then one run.
      return run("bash", ["-e", "-c", fileContent(ctx.config, "shell")], ctx);
    },
  },
  {
    id: "opencode",
    routes: ["chat", "responses"],
    quiet: Object.fromEntries(
      [
        "AUTOUPDATE",
        "MODELS_FETCH",
        "LSP_DOWNLOAD",
        "DEFAULT_PLUGINS",
        "SHARE",
        "CLAUDE_CODE",
        "PROJECT_CONFIG",
      ].map((name) => [`OPENCODE_DISABLE_${name}`, "1"]),
    ),
    run(ctx) {
      writeHomeFiles(ctx);
      return run(
        "opencode",
        ["run", "--pure", "--model", `codex-pooler/${ctx.config.model}`, "--dir", ctx.home.work, PROMPT],
        ctx,
      );
    },
  },
  {
    id: "kilo",
    routes: ["chat", "responses"],
    quiet: {
      KILO_TELEMETRY_LEVEL: "off",
      ...Object.fromEntries(
        [
          "AUTOUPDATE",
          "MODELS_FETCH",
          "LSP_DOWNLOAD",
          "DEFAULT_PLUGINS",
          "SHARE",
          "CLAUDE_CODE",
          "PROJECT_CONFIG",
        ].map((name) => [`KILO_DISABLE_${name}`, "1"]),
      ),
    },
    run(ctx) {
      writeHomeFiles(ctx);
      return run(
        "kilo",
        ["run", "--pure", "--model", `codex-pooler/${ctx.config.model}`, "--dir", ctx.home.work, PROMPT],
        ctx,
      );
    },
  },
  {
    id: "openclaw",
    routes: ["chat", "responses"],
    quiet: { OPENCLAW_NO_AUTO_UPDATE: "1", OPENCLAW_SKIP_CHANNELS: "1" },
    run(ctx) {
      const files = writeHomeFiles(ctx);
      const entry = join(CLIENTS_DIR, "node_modules", "openclaw", "openclaw.mjs");
      return run(
        NODE24_BIN,
        [
          entry,
          "agent",
          "exec",
          "--config",
          files["~/.openclaw/openclaw.json"]!,
          "--model",
          `codex-pooler/${ctx.config.model}`,
          "--cwd",
          ctx.home.work,
          "--timeout",
          "90",
          PROMPT,
        ],
        ctx,
      );
    },
  },
];

/** Clients from the project's own devDependencies: no install, so these always run. */
const DEV_CLIENTS: SmokeClient[] = [
  {
    id: "codex-cli",
    routes: ["codex"],
    quiet: {},
    async run(ctx) {
      const codexHome = join(ctx.home.home, ".codex");
      writeHomeFiles(ctx);
      const codex = join(REPO_ROOT, "node_modules", ".bin", "codex");
      const args = ["exec", "--skip-git-repo-check", "--ephemeral"];
      const env = { ...ctx.env, CODEX_HOME: codexHome };
      // Both rendered providers: the HTTP one (the default), then the WebSocket one, which falls
      // back to HTTP while the gateway declines the upgrade.
      const http = await run(codex, [...args, PROMPT], { ...ctx, env });
      if (http.code !== 0 || !http.stdout.includes(ANSWER)) return http;
      const ws = await run(codex, [...args, "-c", "model_provider=codex-pooler-ws", PROMPT], { ...ctx, env });
      return { ...ws, ms: http.ms + ws.ms };
    },
  },
  {
    id: "openai-compatible",
    routes: ["chat", "responses"],
    quiet: {},
    run(ctx) {
      // The rendered Node example, run as is; `openai` resolves from the repository's node_modules.
      const file = ctx.config.files.find((f) => f.format === "javascript")!;
      const script = join(ctx.home.work, file.path);
      writeFileSync(script, file.content);
      return run(process.execPath, [script], ctx);
    },
  },
];

let gw: TestGateway;
let pool: string;
const timings: string[] = [];
/** Throwaway homes, removed at the end (the assertion messages carry each client's output). */
const homes: string[] = [];

beforeAll(async () => {
  gw = await startTestGateway();
  pool = (await gw.seed({ accounts: 2 })).pool;
});

afterAll(async () => {
  await gw?.stop();
  for (const dir of homes) rmSync(dir, { recursive: true, force: true });
  if (timings.length > 0) console.log(`client smoke timings:\n  ${timings.join("\n  ")}`);
});

function smokeTests(clients: SmokeClient[]): void {
  for (const client of clients) {
    for (const route of client.routes) {
      const reason = client.skip?.[route];
      const name = `${client.id} on ${ROUTE_PATHS[route]}`;
      if (reason) {
        it.skip(`${name} (skipped: ${reason})`, () => {});
        continue;
      }
      it(name, { timeout: 2 * RUN_TIMEOUT_MS + 30_000 }, async () => {
        const created = await gw.admin("POST", "/keys", { pool, label: `${client.id}-${route}` });
        expect(created.status).toBe(201);
        const key = created.body.secret as string;
        const keyId = created.body.key.id as string;
        const config = renderClientConfig(client.id, { url: gw.url, keyEnv: KEY_ENV, route });
        const root = scratchDir(`client-${client.id}-${route}`);
        homes.push(root);
        const home = clientHome(root);
        const result = await client.run({
          config,
          home,
          env: { ...home.env, ...client.quiet, [KEY_ENV]: key },
        });
        timings.push(`${name}: ${(result.ms / 1000).toFixed(1)} s`);

        const output = `exit ${result.code} ${result.signal ?? ""}\n--- stdout\n${result.stdout}\n--- stderr\n${result.stderr}`;
        expect(result.timedOut, output).toBe(false);
        expect(stripVTControlCharacters(result.stdout), output).toMatch(client.answer?.[route] ?? ANSWER);
        expect(result.code, output).toBe(0);
        // The key never shows up in what the client printed.
        expect(result.stdout + result.stderr).not.toContain(key);

        const logs = await waitFor(async () => {
          const { body } = await gw.admin("GET", `/request-logs?key=${keyId}`);
          return body.data.length > 0 ? (body.data as { route: string; status: number }[]) : undefined;
        });
        expect(logs.map((l) => l.route)).toEqual(logs.map(() => ROUTE_PATHS[route]));
        expect(logs.every((l) => l.status === 200)).toBe(true);
      });
    }
  }
}

describe("clients from the project's devDependencies through the gateway", () => {
  smokeTests(DEV_CLIENTS);
});

describe.skipIf(!ENABLED)("real clients from npm through the gateway", () => {
  beforeAll(async () => {
    const installMs = await installClients();
    timings.push(`install: ${installMs === 0 ? "cached" : `${(installMs / 1000).toFixed(0)} s`}`);
  }, 30 * 60_000);

  smokeTests(CLIENTS);
});
