// Runs the real Codex CLI (@openai/codex 0.169.0) against a gateway, in a CODEX_HOME under the repo.
import { spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { REPO_ROOT, scratchDir } from "./gateway.ts";

const CODEX = join(REPO_ROOT, "node_modules", ".bin", "codex");

export interface CodexRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** A CODEX_HOME whose config.toml points the `codex-pooler` provider at the gateway. */
export function codexHome(
  baseUrl: string,
  options: { websockets: boolean; streamMaxRetries?: number; provider?: string },
): string {
  const provider = options.provider ?? "codex-pooler";
  const home = scratchDir(options.websockets ? "codex-home-ws" : "codex-home");
  writeFileSync(
    join(home, "config.toml"),
    `model_provider = "${provider}"
model = "gpt-5.5"

[model_providers.${provider}]
name = "OpenAI"
base_url = "${baseUrl}/backend-api/codex"
env_key = "CODEX_POOLER_API_KEY"
wire_api = "responses"
supports_websockets = ${options.websockets}
request_max_retries = 0
stream_max_retries = ${options.streamMaxRetries ?? 0}
stream_idle_timeout_ms = 30000
`,
  );
  return home;
}

/** `codex exec … </dev/null`, as a user would run it. */
export function runCodex(home: string, key: string, args: string[]): Promise<CodexRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(CODEX, ["exec", "--skip-git-repo-check", "--ephemeral", ...args], {
      cwd: home,
      env: { PATH: process.env.PATH, HOME: home, CODEX_HOME: home, CODEX_POOLER_API_KEY: key },
      stdio: ["ignore", "pipe", "pipe"],
      timeout: 90_000,
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk) => {
      stdout += chunk;
    });
    child.stderr.on("data", (chunk) => {
      stderr += chunk;
    });
    child.on("error", reject);
    child.on("close", (code) => resolve({ code: code ?? 1, stdout, stderr }));
  });
}
