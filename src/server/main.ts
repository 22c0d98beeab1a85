// `npm start`: the local gateway on :4000 with the embedded store.
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
  const gateway = await startLocalGateway(config).catch((error: NodeJS.ErrnoException) => {
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

await main();
