// The console's static files (src/console/static/, or static/ beside the console Lambda bundle),
// read once and addressed by a content version: pages link `/admin/assets/<version>/<name>`, so a
// browser may keep them for good (relative module imports resolve under the same version) and a new
// build is a new address. Files are small (under 100 KB together).
import { createHash } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

const STATIC_DIR = fileURLToPath(new URL("./static/", import.meta.url));
export const ASSET_NAME = /^[a-z0-9-]+\.(js|css)$/;

export interface ConsoleAssets {
  /** Short content hash of every file; changes whenever one does. */
  version: string;
  files: ReadonlyMap<string, string>;
}

let loaded: ConsoleAssets | undefined;

export function consoleAssets(): ConsoleAssets {
  if (loaded) return loaded;
  const files = new Map<string, string>();
  let names: string[] = [];
  try {
    names = readdirSync(STATIC_DIR)
      .filter((name) => ASSET_NAME.test(name))
      .sort();
  } catch {
    // No static files next to this build: pages still render, their scripts answer 404.
  }
  const hash = createHash("sha256");
  for (const name of names) {
    const text = readFileSync(`${STATIC_DIR}${name}`, "utf8");
    files.set(name, text);
    hash.update(name).update("\0").update(text).update("\0");
  }
  loaded = { version: hash.digest("hex").slice(0, 12), files };
  return loaded;
}
