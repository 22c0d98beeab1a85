// Runs after `npm ci` / `npm install`. npm links each direct dependency's bin into node_modules/.bin,
// and npm scripts and npx put that folder first on PATH. The optional dependency node-linux-<arch>
// (Node 24, for `npm run test:node24`) has a bin named `node`: left linked, every npm script, npx
// call and `#!/usr/bin/env node` tool would run on Node 24 instead of the machine's own Node. This
// removes that one link; the binary stays at node_modules/node-linux-<arch>/bin/node.
import { lstatSync, readlinkSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const link = join(dirname(fileURLToPath(import.meta.url)), "..", "node_modules", ".bin", "node");
try {
  if (lstatSync(link).isSymbolicLink() && /node-linux-[^/\\]+[/\\]bin[/\\]node$/.test(readlinkSync(link))) {
    rmSync(link);
  }
} catch (error) {
  if (error.code !== "ENOENT") throw error;
}
