// The `pooler` command-line tool: a thin client of the gateway's JSON admin API.
import { readFileSync } from "node:fs";
import { Command, CommanderError, Option } from "commander";
import { DEFAULT_GATEWAY_URL } from "./admin-client.ts";
import { registerAccountCommands } from "./commands/account.ts";
import { registerAlertCommands } from "./commands/alert/index.ts";
import { registerAuditCommand } from "./commands/audit.ts";
import { registerClientConfigCommand } from "./commands/client-config.ts";
import { registerInviteCommands } from "./commands/invite.ts";
import { registerKeyCommands } from "./commands/key.ts";
import { registerLogsCommand } from "./commands/logs.ts";
import { registerMcpTokenCommands } from "./commands/mcp-token.ts";
import { registerPoolCommands } from "./commands/pool.ts";
import { registerSettingsCommands } from "./commands/settings.ts";
import { registerUsageCommand } from "./commands/usage.ts";
import type { CliDeps } from "./context.ts";
import { defaultGatewayUrl } from "./context.ts";
import { CliError, oneLine, redactSecrets } from "./errors.ts";
import { processIO } from "./output.ts";

function packageVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as {
      version?: unknown;
    };
    return typeof pkg.version === "string" ? pkg.version : "0.0.0";
  } catch {
    return "0.0.0";
  }
}

export function defaultDeps(): CliDeps {
  return {
    io: processIO,
    env: process.env,
    stdin: process.stdin,
    stderrIsTTY: process.stderr.isTTY === true,
  };
}

export function buildProgram(deps: CliDeps): Command {
  const program = new Command("pooler");
  // Output/exit settings first: subcommands inherit them when they are created.
  program
    .configureOutput({
      writeOut: (text) => deps.io.stdout(text),
      writeErr: (text) => deps.io.stderr(text),
      // Usage errors follow the same one-line `error: …` contract as API errors.
      outputError: (text, write) => write(`error: ${oneLine(text)}\n`),
    })
    .configureHelp({ showGlobalOptions: true })
    .exitOverride()
    .showSuggestionAfterError(true);

  program
    .description("Manage a Codex Pooler gateway: pools, accounts, Pool API keys, MCP tokens, logs.")
    .version(packageVersion(), "-V, --version", "print the CLI version")
    .addOption(
      new Option("--url <url>", "gateway base URL").default(
        defaultGatewayUrl(deps.env),
        `$POOLER_URL or ${DEFAULT_GATEWAY_URL}`,
      ),
    )
    .addOption(
      new Option(
        "--admin-token <token>",
        "admin token; prefer the POOLER_ADMIN_TOKEN environment variable (arguments are visible to other local users)",
      ),
    )
    .option("--json", "print the API's JSON response instead of human-readable output")
    .option(
      "--aws",
      "sign requests with AWS SigV4 from the default AWS credential chain (the admin function URL on AWS; implied by a *.lambda-url.*.on.aws URL)",
    )
    .addHelpText(
      "after",
      [
        "",
        "Environment:",
        `  POOLER_URL          gateway base URL (default ${DEFAULT_GATEWAY_URL})`,
        "  POOLER_ADMIN_TOKEN  admin token (printed by `npm start` on first start)",
        "  AWS_PROFILE, AWS_REGION  credentials and region for --aws (SigV4)",
      ].join("\n"),
    );

  registerPoolCommands(program, deps);
  registerAccountCommands(program, deps);
  registerKeyCommands(program, deps);
  registerMcpTokenCommands(program, deps);
  registerInviteCommands(program, deps);
  registerLogsCommand(program, deps);
  registerAuditCommand(program, deps);
  registerUsageCommand(program, deps);
  registerAlertCommands(program, deps);
  registerSettingsCommands(program, deps);
  registerClientConfigCommand(program, deps);
  return program;
}

/** Runs the CLI with user arguments (no node/script prefix); resolves with the process exit code. */
export async function runCli(argv: readonly string[], deps: CliDeps = defaultDeps()): Promise<number> {
  const program = buildProgram(deps);
  try {
    await program.parseAsync([...argv], { from: "user" });
    return 0;
  } catch (err) {
    // Commander has already printed its (one-line) message or the help text.
    if (err instanceof CommanderError) return err.exitCode;
    const message = err instanceof Error ? err.message : String(err);
    deps.io.stderr(`error: ${redactSecrets(oneLine(message)) || "unexpected failure"}\n`);
    return err instanceof CliError ? err.exitCode : 1;
  }
}
