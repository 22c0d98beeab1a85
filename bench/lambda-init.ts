// Cold module initialisation of each Lambda bundle: bundled exactly as the stack bundles them
// (scripts/build-lambdas.ts), then imported in a fresh `node` per run, timed from just before the
// import to just after it. The AWS SDK is external (the Lambda runtime provides it), so it is loaded
// from node_modules here; no network call is made at init.
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import {
  BUDGET_BYTES,
  bundleLambda,
  LAMBDA_ENTRIES,
  type LambdaEntryName,
} from "../scripts/build-lambdas.ts";
import { median } from "./load.ts";
import { REPO_ROOT } from "./processes.ts";

export interface LambdaInit {
  name: string;
  kb: number;
  initMsMedian: number;
  initMsMax: number;
  /** Resident memory right after init (median); absent in older results. */
  rssMb?: number;
  /** CPU time of the init (median): unlike its duration, it does not grow with the machine's load. */
  initCpuMs?: number;
  withinBudget: boolean;
}

/** What the CDK stack sets; names and ARNs only. */
const FUNCTION_ENV = {
  AWS_REGION: "us-east-1",
  AWS_ACCESS_KEY_ID: "bench",
  AWS_SECRET_ACCESS_KEY: "bench",
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true",
  POOLER_STATE_TABLE: "bench-state",
  POOLER_REQUEST_LOG_TABLE: "bench-request-logs",
  POOLER_SECRET_PREFIX: "codex-pooler/bench/",
  POOLER_ORIGIN_SECRET_ARN: "arn:aws:secretsmanager:us-east-1:123456789012:secret:bench",
  POOLER_METRICS_NAMESPACE: "CodexPooler/bench",
  POWERTOOLS_SERVICE_NAME: "codex-pooler-bench",
  POOLER_WEBSOCKET_ENDPOINT: "https://example.execute-api.us-east-1.amazonaws.com/prod",
  POOLER_WEBSOCKET_WORKER_FUNCTION: "codex-pooler-bench-WebSocketWorker",
};

const PROBE = `const t0 = performance.now();
const cpu0 = process.cpuUsage();
await import(process.argv[1]);
const ms = performance.now() - t0;
const cpu = process.cpuUsage(cpu0);
process.stdout.write(JSON.stringify({ ms, cpuMs: (cpu.user + cpu.system) / 1000, rss: process.memoryUsage().rss / 2 ** 20 }));`;

export async function measureLambdaInit(runs = 5): Promise<LambdaInit[]> {
  const results: LambdaInit[] = [];
  for (const name of Object.keys(LAMBDA_ENTRIES) as LambdaEntryName[]) {
    // Same depth as dist/<name>, so the bundle's relative paths behave as in dist/.
    const { bytes, file } = await bundleLambda(name, join(REPO_ROOT, ".bench-tmp", `lambda-${name}`));
    const times: number[] = [];
    const rss: number[] = [];
    const cpu: number[] = [];
    for (let i = 0; i < runs; i++) {
      const run = spawnSync(
        process.execPath,
        ["--input-type=module", "-e", PROBE, pathToFileURL(file).href],
        {
          cwd: REPO_ROOT,
          env: { PATH: process.env.PATH, ...FUNCTION_ENV },
          encoding: "utf8",
          timeout: 30_000,
        },
      );
      if (run.status !== 0)
        throw new Error(`${name} bundle failed to initialise: ${run.stderr.slice(0, 500)}`);
      const out = JSON.parse(run.stdout.trim().split("\n").at(-1) as string) as {
        ms: number;
        cpuMs: number;
        rss: number;
      };
      times.push(out.ms);
      cpu.push(out.cpuMs);
      rss.push(out.rss);
    }
    results.push({
      name,
      kb: bytes / 1024,
      initMsMedian: median(times),
      initMsMax: Math.max(...times),
      rssMb: median(rss),
      initCpuMs: median(cpu),
      withinBudget: bytes <= BUDGET_BYTES,
    });
  }
  return results;
}
