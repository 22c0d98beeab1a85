// Entry point of the `pooler` CLI (see src/cli/program.ts). Run with `npm run pooler -- …` or `bin/pooler.js`.
import { runCli } from "../src/cli/program.ts";

// `pooler logs | head`: a closed stdout is not an error.
process.stdout.on("error", (err: NodeJS.ErrnoException) => {
  if (err.code === "EPIPE") process.exit(process.exitCode ?? 0);
  throw err;
});

process.exitCode = await runCli(process.argv.slice(2));
