// `pooler client-config <client>`: prints ready config files for a client. Local only (no admin
// API call, no token needed); the text holds env var references, never a key.
import { type Command, InvalidArgumentError, Option } from "commander";
import {
  CLIENT_TEMPLATES,
  type ClientConfig,
  ClientConfigError,
  type ClientConfigFile,
  clientCatalog,
  DEFAULT_KEY_ENV,
  isRouteFamily,
  ROUTE_FAMILIES,
  ROUTE_PATHS,
  type RouteFamily,
  renderClientConfig,
} from "../../client-configs/index.ts";
import type { CliDeps, GlobalOptions } from "../context.ts";
import { CliError } from "../errors.ts";
import { type CliIO, printJson, printLines, printTable } from "../output.ts";

interface ClientConfigOpts {
  keyEnv: string;
  route?: RouteFamily;
  model?: string;
}

function parseRoute(value: string): RouteFamily {
  const route = value.trim().toLowerCase();
  if (!isRouteFamily(route)) throw new InvalidArgumentError(`Must be one of: ${ROUTE_FAMILIES.join(", ")}.`);
  return route;
}

function commentPrefix(file: ClientConfigFile): string {
  return file.format === "json" || file.format === "jsonc" || file.format === "javascript" ? "//" : "#";
}

function printConfig(io: CliIO, config: ClientConfig): void {
  printLines(
    io,
    `# ${config.name}: ${ROUTE_PATHS[config.route]} at ${config.baseUrl}`,
    `# Key: from $${config.keyEnv}. Guide: ${config.doc}`,
  );
  for (const file of config.files) {
    const mark = commentPrefix(file);
    const where = file.kind === "file" ? file.path : `run in a ${file.path}`;
    io.stdout(`\n${mark} ==> ${where}\n${mark} ${file.note}\n${file.content}`);
  }
}

function printClientList(io: CliIO): void {
  printTable(
    io,
    CLIENT_TEMPLATES,
    [
      { header: "CLIENT", value: (t) => t.id },
      { header: "NAME", value: (t) => t.name, maxWidth: 28 },
      { header: "ROUTES", value: (t) => t.routes.join(",") },
      { header: "CONFIG", value: (t) => t.configFile, maxWidth: 56 },
    ],
    "No clients.",
  );
  const aliases = CLIENT_TEMPLATES.flatMap((t) => (t.aliases ?? []).map((alias) => `${alias} = ${t.id}`));
  printLines(
    io,
    ...(aliases.length > 0 ? ["", `Also accepted: ${aliases.join(", ")}`] : []),
    "",
    "Print one with: pooler client-config <client> [--route chat|responses|codex]",
  );
}

export function registerClientConfigCommand(program: Command, deps: CliDeps): void {
  program
    .command("client-config")
    .description("print ready config files for a client (no key: the key stays in an environment variable)")
    .argument(
      "[client]",
      `one of: ${CLIENT_TEMPLATES.map((t) => [t.id, ...(t.aliases ?? [])].join(" | ")).join(", ")}; omit to list them`,
    )
    .addOption(
      new Option("--key-env <name>", "environment variable that holds the Pool API key").default(
        DEFAULT_KEY_ENV,
      ),
    )
    .addOption(
      new Option(
        "--route <family>",
        "route family: chat, responses or codex (default: the client's own)",
      ).argParser(parseRoute),
    )
    .option("--model <id>", "model id to configure (default gpt-5.5)")
    .addHelpText(
      "after",
      [
        "",
        "The gateway URL comes from --url / $POOLER_URL (default http://localhost:4000);",
        "use the address your clients reach, e.g. --url https://codex-pooler.example.com.",
      ].join("\n"),
    )
    .action((client: string | undefined, opts: ClientConfigOpts, cmd: Command) => {
      const globals = cmd.optsWithGlobals<GlobalOptions>();
      if (client === undefined) {
        if (globals.json) printJson(deps.io, { data: clientCatalog() });
        else printClientList(deps.io);
        return;
      }
      let config: ClientConfig;
      try {
        config = renderClientConfig(client, {
          url: globals.url,
          keyEnv: opts.keyEnv,
          route: opts.route,
          model: opts.model,
        });
      } catch (err) {
        // Bad options: the CLI shows the message only.
        if (err instanceof ClientConfigError) throw new CliError(err.message);
        throw err;
      }
      if (globals.json) printJson(deps.io, config);
      else printConfig(deps.io, config);
    });
}
