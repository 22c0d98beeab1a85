// `pooler <args>` in-process: the CLI's own entry function, its output captured. Cheaper than a child
// process; tests of the binary itself (exit paths, signals, stdin) spawn it instead.
import { Readable } from "node:stream";
import type { CliDeps } from "../../src/cli/context.ts";
import { runCli } from "../../src/cli/program.ts";

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the CLI with `env` (no stdin unless given) and returns its exit code and output. */
export async function runPooler(
  args: readonly string[],
  deps: Partial<Omit<CliDeps, "io">> & Pick<CliDeps, "env">,
): Promise<CliRun> {
  let stdout = "";
  let stderr = "";
  const code = await runCli(args, {
    stdin: Readable.from([]),
    ...deps,
    io: {
      stdout: (t) => {
        stdout += t;
      },
      stderr: (t) => {
        stderr += t;
      },
    },
  });
  return { code, stdout, stderr };
}
