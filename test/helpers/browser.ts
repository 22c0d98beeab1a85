// The Chromium the browser tests drive (test/console.test.ts, test/console-aws.test.ts), found
// without root and without a download at test time. In order:
//   1. $POOLER_CHROMIUM, a path to a Chromium or Chrome binary (an error when it does not exist);
//   2. a system browser at the usual paths (Debian's chromium, Chrome, macOS apps);
//   3. the headless Chromium that the devDependency @sparticuz/chromium ships inside its npm tarball
//      (Linux x64 only): unpacked once, on first use, into node_modules/.cache, with the NSS
//      libraries and fonts that come with it, so it needs nothing from the system but glibc.
// With none, the browser test files skip and the summary says so in one line; with
// POOLER_REQUIRE_BROWSER=1 (.ci/run sets it) they fail instead, so CI cannot pass without them.
import { spawn } from "node:child_process";
import {
  createReadStream,
  createWriteStream,
  existsSync,
  mkdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { pipeline } from "node:stream/promises";
import { createBrotliDecompress } from "node:zlib";
import { type BrowserContext, chromium } from "playwright-core";

const REPO_ROOT = join(import.meta.dirname, "..", "..");
const PACKAGE_DIR = join(REPO_ROOT, "node_modules", "@sparticuz", "chromium");

/** The test files that need a browser (repository-relative), for the run's summary line. */
export const BROWSER_TEST_FILES = [
  "test/console.test.ts",
  "test/console-aws.test.ts",
  "test/observatory-browser.test.ts",
];

const SYSTEM_PATHS = [
  "/usr/bin/chromium",
  "/usr/bin/chromium-browser",
  "/usr/bin/google-chrome-stable",
  "/usr/bin/google-chrome",
  "/Applications/Chromium.app/Contents/MacOS/Chromium",
  "/Applications/Google Chrome.app/Contents/MacOS/Google Chrome",
];

export interface BrowserChoice {
  /** Where it came from, for messages: "$POOLER_CHROMIUM", "/usr/bin/chromium", "@sparticuz/chromium 147.0.0". */
  source: string;
  /** The binary (unpacked first when it comes from the npm package). */
  executable(): Promise<string>;
  /** Extra environment for the browser process. */
  env: Record<string, string>;
}

export type BrowserLookup = { found: BrowserChoice } | { found: undefined; reason: string };

const HOW_TO_ENABLE =
  "set POOLER_CHROMIUM=/path/to/chromium, install a system Chromium (Debian: apt-get install chromium), " +
  "or run npm ci on Linux x64 (the devDependency @sparticuz/chromium ships one)";

/** Finds a browser without starting or unpacking anything. Throws when $POOLER_CHROMIUM is wrong. */
export function findChromium(env: NodeJS.ProcessEnv = process.env): BrowserLookup {
  const named = env.POOLER_CHROMIUM?.trim();
  if (named) {
    if (!existsSync(named)) throw new Error(`POOLER_CHROMIUM=${named} does not exist`);
    return { found: { source: "$POOLER_CHROMIUM", executable: async () => named, env: {} } };
  }
  const system = SYSTEM_PATHS.find((path) => existsSync(path));
  if (system) return { found: { source: system, executable: async () => system, env: {} } };
  const packaged = packagedChromium();
  if (packaged) return { found: packaged };
  const pkg = `@sparticuz/chromium (${existsSync(PACKAGE_DIR) ? `present, but built for Linux x64 with glibc, not ${process.platform} ${process.arch}` : "not installed"})`;
  return {
    found: undefined,
    reason: `no Chromium: $POOLER_CHROMIUM unset, none at ${SYSTEM_PATHS.join(", ")}, ${pkg}; to run them ${HOW_TO_ENABLE}`,
  };
}

/** For a test file: the browser, or undefined to skip; throws when CI requires one. */
export function browserForTests(env: NodeJS.ProcessEnv = process.env): BrowserChoice | undefined {
  const lookup = findChromium(env);
  if (lookup.found) return lookup.found;
  if (env.POOLER_REQUIRE_BROWSER === "1") {
    throw new Error(`POOLER_REQUIRE_BROWSER=1 but there is ${lookup.reason}`);
  }
  return undefined;
}

/**
 * One line for the end of a run in which the browser test files were skipped for want of a browser;
 * undefined when a browser is there (they were skipped some other way, e.g. a name filter).
 */
export function browserSkipLine(files: string[]): string | undefined {
  let lookup: BrowserLookup;
  try {
    lookup = findChromium();
  } catch {
    return undefined; // a wrong $POOLER_CHROMIUM: those files failed, and said why
  }
  if (lookup.found) return undefined;
  return `Skipped ${files.join(" and ")} (the web console in a real browser): ${lookup.reason}`;
}

function packagedChromium(): BrowserChoice | undefined {
  if (process.platform !== "linux" || process.arch !== "x64" || !hasGlibc()) return undefined;
  const bin = join(PACKAGE_DIR, "bin");
  if (!existsSync(join(bin, "chromium.br"))) return undefined;
  let version = "unknown";
  try {
    version = (JSON.parse(readFileSync(join(PACKAGE_DIR, "package.json"), "utf8")) as { version: string })
      .version;
  } catch {
    // A package without a readable version still unpacks; the cache folder is just less specific.
  }
  const dir = join(REPO_ROOT, "node_modules", ".cache", "codex-pooler", `chromium-${version}`);
  return {
    source: `@sparticuz/chromium ${version}`,
    executable: () => unpackOnce(bin, dir),
    // Its own NSS build and fonts first: the binary then needs nothing from the system but glibc.
    env: {
      LD_LIBRARY_PATH: [join(dir, "lib"), process.env.LD_LIBRARY_PATH].filter(Boolean).join(":"),
      FONTCONFIG_FILE: join(dir, "fonts.conf"),
    },
  };
}

/** The packaged build is linked against glibc (a musl system such as Alpine cannot run it). */
function hasGlibc(): boolean {
  const report = process.report?.getReport() as { header?: { glibcVersionRuntime?: string } } | undefined;
  return Boolean(report?.header?.glibcVersionRuntime);
}

/** Unpacks the package's brotli files into `dir` once; concurrent test files race safely (rename). */
async function unpackOnce(bin: string, dir: string): Promise<string> {
  const executable = join(dir, "chromium");
  if (existsSync(executable)) return executable;
  const staging = `${dir}.tmp-${process.pid}-${Date.now()}`;
  mkdirSync(staging, { recursive: true });
  try {
    await pipeline(
      createReadStream(join(bin, "chromium.br")),
      createBrotliDecompress(),
      createWriteStream(join(staging, "chromium"), { mode: 0o755 }),
    );
    await untarBrotli(join(bin, "al2023.tar.br"), staging); // lib/: NSS, NSPR, expat
    await untarBrotli(join(bin, "fonts.tar.br"), staging); // fonts/: Open Sans
    writeFileSync(
      join(staging, "fonts.conf"),
      [
        '<?xml version="1.0"?>',
        '<!DOCTYPE fontconfig SYSTEM "fonts.dtd">',
        "<fontconfig>",
        `  <dir>${join(dir, "fonts")}</dir>`,
        "  <dir>/usr/share/fonts</dir>",
        `  <cachedir>${join(dir, "fonts-cache")}</cachedir>`,
        "</fontconfig>",
        "",
      ].join("\n"),
    );
    try {
      renameSync(staging, dir);
    } catch (error) {
      // Another test file unpacked it first: use theirs.
      if (!existsSync(executable)) throw error;
    }
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
  return executable;
}

async function untarBrotli(archive: string, into: string): Promise<void> {
  const tarFile = join(into, "unpack.tar");
  await pipeline(createReadStream(archive), createBrotliDecompress(), createWriteStream(tarFile));
  const tar = spawn("tar", ["-x", "-f", tarFile, "-C", into], { stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  tar.stderr.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  await new Promise<void>((resolve, reject) => {
    tar.on("error", reject);
    tar.on("close", (code) =>
      code === 0 ? resolve() : reject(new Error(`tar ${archive}: exit ${code} ${stderr}`)),
    );
  });
  rmSync(tarFile);
}

/** Flags for a headless run on a machine without network: no background connections, no GPU. */
const ARGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

type LaunchOptions = NonNullable<Parameters<typeof chromium.launchPersistentContext>[1]>;

/** A persistent headless context on the chosen browser (profile: a fresh scratch folder). */
export async function launchChromium(
  browser: BrowserChoice,
  profile: string,
  options: Omit<LaunchOptions, "executablePath" | "headless" | "args" | "env">,
): Promise<BrowserContext> {
  return chromium.launchPersistentContext(profile, {
    ...options,
    executablePath: await browser.executable(),
    headless: true,
    args: ARGS,
    env: { ...process.env, ...browser.env },
  });
}
