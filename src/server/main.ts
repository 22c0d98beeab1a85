// `npm start`: the local gateway on :4000 with the embedded store.
import { jsonLogger } from "../adapters/observability/json-logger.ts";
import type { Logger } from "../core/context.ts";
import { ConfigError, loadConfig } from "./config.ts";
import { startLocalGateway } from "./local-host.ts";

async function main(): Promise<void> {
  let config: ReturnType<typeof loadConfig>;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(2);
    }
    throw error;
  }
  const logger = jsonLogger();
  containStrayErrors(logger);
  const gateway = await startLocalGateway(config, { logger }).catch((error: NodeJS.ErrnoException) => {
    const reason =
      error.code === "EADDRINUSE"
        ? `port ${config.port} is already in use; set PORT to another port`
        : error.code === "EACCES"
          ? `cannot use ${config.dataDir} or port ${config.port} (permission denied)`
          : error.message;
    process.stderr.write(`codex-pooler failed to start: ${reason}\n`);
    process.exit(1);
  });
  const say = (line = "") => process.stdout.write(`${line}\n`);
  say(`Codex Pooler listening on ${gateway.url} (data in ${config.dataDir})`);
  if (gateway.bootstrapAdminToken) {
    say();
    say("First start: an admin token was created. It is shown only this once; keep it safe:");
    say(`  export POOLER_ADMIN_TOKEN=${gateway.bootstrapAdminToken}`);
    say();
    say("Next steps (in another terminal, with POOLER_ADMIN_TOKEN exported):");
    say("  npm run pooler -- pool create default");
    say("  npm run pooler -- account import --pool default --auth-json ~/.codex/auth.json");
    say("  npm run pooler -- key create --pool default --label my-laptop");
    say(`  then point Codex at ${gateway.url}/backend-api/codex (see docs/clients/codex-cli.md)`);
  }
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    say(`${signal} received: draining open streams, then stopping`);
    await gateway.stop();
    process.exit(0);
  };
  process.on("SIGINT", () => void stop("SIGINT"));
  process.on("SIGTERM", () => void stop("SIGTERM"));
}

/**
 * The last resort, in addition to the handling where each failure arises: an exception or rejection
 * that escaped every handler is logged (its class and code only; messages can quote input) and the
 * gateway keeps serving the other clients. Counted, so a bug that lands here stays visible.
 */
function containStrayErrors(logger: Logger): void {
  const log = (kind: string) => (error: unknown) => {
    const { name, code } = (error ?? {}) as { name?: unknown; code?: unknown };
    logger.error("uncaught error contained", {
      kind,
      error: typeof name === "string" ? name : typeof error,
      code: typeof code === "string" ? code : undefined,
    });
  };
  process.on("uncaughtException", log("exception"));
  process.on("unhandledRejection", log("rejection"));
}

await main();
