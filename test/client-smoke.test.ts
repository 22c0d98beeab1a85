// The real coding-agent clients from npm (pinned in test/helpers/clients.ts), configured with the
// files `pooler client-config` renders, through the real local gateway to the fake upstream: each
// prints the fake upstream's answer, and the request log shows the route family it was set up for.
//
// Runs in CI (CI=true) or with POOLER_CLIENT_SMOKE=1; POOLER_CLIENT_SMOKE=0 turns it off. The clients
// are installed once into .test-tmp/clients (about 3 GB, cached across runs).
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type ClientConfig,
  ROUTE_PATHS,
  type RouteFamily,
  renderClientConfig,
} from "../src/core/client-configs/index.ts";
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
import { scratchDir, startTestGateway, type TestGateway, waitFor } from "./helpers/gateway.ts";

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
  /** Switches from shared/reference/clients.md: no telemetry, no update checks. */
  quiet: Record<string, string>;
  run(ctx: RunContext): Promise<ClientRun>;
}

/** Writes every `~/…` file of the rendered config into the throwaway home. */
function writeHomeFiles(ctx: RunContext, replace: Record<string, string> = {}): Record<string, string> {
  const written: Record<string, string> = {};
  for (const file of ctx.config.files) {
    if (file.kind !== "file" || !file.path.startsWith("~/")) continue;
    written[file.path] = writeConfigFile(ctx.home.home, file, replace[file.path] ?? file.content);
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
    quiet: { CONTINUE_CLI_ENABLE_TELEMETRY: "0", CONTINUE_METRICS_ENABLED: "0" },
    run(ctx) {
      const files = writeHomeFiles(ctx, { "~/.continue/.env": `${KEY_ENV}=${ctx.env[KEY_ENV]}\n` });
      return run("cn", ["-p", "--config", files["~/.continue/config.yaml"]!, PROMPT], {
        ...ctx,
        env: { ...ctx.env, CONTINUE_GLOBAL_DIR: join(ctx.home.home, ".continue") },
      });
    },
  },
  {
    id: "cline",
    routes: ["chat", "responses"],
    quiet: { CLINE_NO_AUTO_UPDATE: "1", CLINE_NO_INTERACTIVE: "1" },
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

let gw: TestGateway;
let pool: string;
const timings: string[] = [];

describe.skipIf(!ENABLED)("real clients through the gateway", () => {
  beforeAll(async () => {
    const installMs = await installClients();
    timings.push(`install: ${installMs === 0 ? "cached" : `${(installMs / 1000).toFixed(0)} s`}`);
    gw = await startTestGateway();
    pool = (await gw.seed({ accounts: 2 })).pool;
  }, 30 * 60_000);

  afterAll(async () => {
    await gw?.stop();
    if (timings.length > 0) console.log(`client smoke timings:\n  ${timings.join("\n  ")}`);
  });

  for (const client of CLIENTS) {
    for (const route of client.routes) {
      const reason = client.skip?.[route];
      const name = `${client.id} on ${ROUTE_PATHS[route]}`;
      if (reason) {
        it.skip(`${name} (skipped: ${reason})`, () => {});
        continue;
      }
      it(name, { timeout: RUN_TIMEOUT_MS + 30_000 }, async () => {
        const created = await gw.admin("POST", "/keys", { pool, label: `${client.id}-${route}` });
        expect(created.status).toBe(201);
        const key = created.body.secret as string;
        const keyId = created.body.key.id as string;
        const config = renderClientConfig(client.id, { url: gw.url, keyEnv: KEY_ENV, route });
        const home = clientHome(scratchDir(`client-${client.id}-${route}`));
        const result = await client.run({
          config,
          home,
          env: { ...home.env, ...client.quiet, [KEY_ENV]: key },
        });
        timings.push(`${name}: ${(result.ms / 1000).toFixed(1)} s`);

        const output = `exit ${result.code} ${result.signal ?? ""}\n--- stdout\n${result.stdout}\n--- stderr\n${result.stderr}`;
        expect(result.timedOut, output).toBe(false);
        expect(result.stdout, output).toContain(ANSWER);
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
});
