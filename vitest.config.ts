import { sep } from "node:path";
import { defineConfig } from "vitest/config";
import SummaryReporter from "./test/support/summary-reporter.ts";

// Node 24 from the optional dependency node-linux-<arch> is for `npm run test:node24` only. Its bin
// is named `node`; scripts/postinstall.mjs removes that link from node_modules/.bin, but an
// `npm install <pkg>` can put it back, and then every npm script would quietly run on Node 24.
if (!process.env.POOLER_NODE24_RUN && process.execPath.includes(`${sep}node_modules${sep}node-linux-`)) {
  throw new Error(
    `vitest is running on ${process.execPath} (Node ${process.versions.node}), which shadows your own Node ` +
      "through node_modules/.bin/node: run `node scripts/postinstall.mjs` (or npm ci) and try again",
  );
}

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: "forks",
    reporters: ["default", new SummaryReporter()],
  },
});
