// Bundles each Lambda entry (lambdas/*.ts) with esbuild into dist/<name>/index.mjs (+ source map),
// prints the sizes and fails when one exceeds the budget. The CDK stack bundles through the same
// function (lib/constructs/gateway-function.ts runs `--only <name> --out <dir>`), so what is
// measured here is what is deployed.
//
// Why not NodejsFunction's own bundler: it cannot run esbuild plugins, and two are needed to stay
// small. (1) zod's `z` namespace re-exports all of its ~40 locales (about 260 KB minified) although
// only the English one is used. (2) Code that no deployed path reaches: CloudFront sends /mcp to the
// MCP function, so the runtime and admin builds leave the MCP route out (the MCP SDK, ajv and zod v3
// are ~280 KB), and the read-only MCP server never elicits input, so its build leaves out the ajv
// validator the SDK constructs only for elicitation.
// The AWS SDK v3 (@aws-sdk/*, @smithy/*) is not bundled: the Lambda Node.js runtime provides it
// (the same default as CDK's NodejsFunction for Node 18 and later).
import { cpSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { build, type Plugin, transform } from "esbuild";

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
/** The bundle's code: what a cold start loads and parses before the first request. */
export const BUDGET_BYTES = 500 * 1024;
/** Static files served beside it (the console's browser modules and styles), read on request, not at init. */
export const ASSET_BUDGET_BYTES = 128 * 1024;

export const LAMBDA_ENTRIES = {
  runtime: { stubs: ["mcp-route", "console", "admin-routes", "fzstd"] },
  admin: { stubs: ["mcp-route", "console", "runtime-routes", "fzstd"] },
  // The web console behind CloudFront: its page shells, plus its static files copied beside index.mjs.
  console: { stubs: ["mcp-route", "runtime-routes", "fzstd"], assets: "src/console/static" },
  mcp: { stubs: ["mcp-elicitation", "mcp-zod-v3", "fzstd"] },
  scheduled: { stubs: ["fzstd"] },
  websocket: { stubs: ["fzstd"] },
  "websocket-worker": { stubs: ["fzstd"] },
} as const satisfies Record<string, { stubs: readonly Stub[]; assets?: string }>;

export type LambdaEntryName = keyof typeof LAMBDA_ENTRIES;
type Stub =
  | "mcp-route"
  | "mcp-elicitation"
  | "mcp-zod-v3"
  | "console"
  | "admin-routes"
  | "runtime-routes"
  | "fzstd";

const zodEnglishOnly: Plugin = {
  name: "zod-english-only",
  setup(b) {
    b.onResolve({ filter: /^\.\.\/locales\/index\.js$/ }, (args) =>
      /[\\/]zod[\\/]v4[\\/](classic|core)[\\/]/.test(args.importer)
        ? { path: join(dirname(args.importer), "../locales/en.js"), namespace: "zod-en" }
        : undefined,
    );
    b.onLoad({ filter: /.*/, namespace: "zod-en" }, (args) => ({
      contents: `export { default as en } from ${JSON.stringify(args.path)};`,
      resolveDir: dirname(args.path),
    }));
  },
};

const stubs: Record<Stub, Plugin> = {
  // The web console has its own function (browsers cannot sign for the IAM admin URL, and the
  // runtime never serves /admin): leave it and the client config templates out of the others. The
  // key holder's dashboard (/observatory) is served there too, so it goes with it.
  console: {
    name: "without-console",
    setup(b) {
      b.onResolve({ filter: /[\\/]routes[\\/]observatory\.ts$/ }, () => ({
        path: "observatory",
        namespace: "stub",
      }));
      b.onLoad({ filter: /^observatory$/, namespace: "stub" }, () => ({
        contents: `import { Hono } from "hono";
export function observatoryRoutes() {
  return new Hono();
}`,
        resolveDir: REPO_ROOT,
        loader: "ts",
      }));
      b.onResolve({ filter: /[\\/]console[\\/]routes\.ts$/ }, () => ({ path: "console", namespace: "stub" }));
      b.onLoad({ filter: /^console$/, namespace: "stub" }, () => ({
        contents: `import { Hono } from "hono";
export function consoleRoutes() {
  return new Hono().get("/", (c) => c.json({ error: { message: "the web console is served by the local host (npm start); on AWS use pooler --aws", type: "invalid_request_error", code: "not_found", param: null } }, 404));
}`,
        resolveDir: REPO_ROOT,
        loader: "ts",
      }));
    },
  },
  "mcp-route": {
    name: "without-mcp-route",
    setup(b) {
      b.onResolve({ filter: /[\\/]routes[\\/]mcp\.ts$/ }, () => ({ path: "mcp-route", namespace: "stub" }));
      b.onLoad({ filter: /^mcp-route$/, namespace: "stub" }, () => ({
        contents: `import { Hono } from "hono";
export function mcpRoutes() {
  return new Hono().all("/mcp", (c) => c.json({ error: { message: "MCP is served by the MCP function; use the CloudFront URL", type: "invalid_request_error", code: "not_found", param: null } }, 404));
}`,
        resolveDir: REPO_ROOT,
        loader: "ts",
      }));
    },
  },
  // The runtime function serves no /admin (the admin API is the IAM-authenticated admin function's):
  // leave the admin routes, their schemas and zod out of it.
  "admin-routes": {
    name: "without-admin-routes",
    setup(b) {
      b.onResolve({ filter: /[\\/]routes[\\/]admin[\\/]index\.ts$/ }, () => ({
        path: "admin-routes",
        namespace: "stub",
      }));
      b.onLoad({ filter: /^admin-routes$/, namespace: "stub" }, () => ({
        contents: `import { Hono } from "hono";
export function adminRoutes() {
  return new Hono().all("*", (c) => c.json({ error: { message: "the admin API is served by the admin function URL with IAM auth; use pooler --aws --url <AdminUrl>", type: "invalid_request_error", code: "not_found", param: null } }, 404));
}`,
        resolveDir: REPO_ROOT,
        loader: "ts",
      }));
    },
  },
  // The admin function serves only /admin/v1 and the health probes: leave the Codex and /v1 relay
  // routes (and their translations) out of it.
  "runtime-routes": {
    name: "without-runtime-routes",
    setup(b) {
      b.onResolve({ filter: /[\\/]routes[\\/](codex\.ts|v1[\\/]index\.ts)$/ }, (args) => ({
        path: args.path.endsWith("codex.ts") ? "codex-routes" : "openai-routes",
        namespace: "stub",
      }));
      b.onLoad({ filter: /^(codex|openai)-routes$/, namespace: "stub" }, (args) => ({
        contents: `import { Hono } from "hono";
export function ${args.path === "codex-routes" ? "codexRoutes" : "openaiRoutes"}() {
  return new Hono();
}`,
        resolveDir: REPO_ROOT,
        loader: "ts",
      }));
    },
  },
  // The functions run on nodejs24.x, whose zlib decodes zstd itself (src/http/zstd.ts takes it first):
  // the pure-JS decoder for older Node stays out.
  fzstd: {
    name: "without-fzstd",
    setup(b) {
      b.onResolve({ filter: /^fzstd$/ }, () => ({ path: "fzstd", namespace: "stub" }));
      b.onLoad({ filter: /^fzstd$/, namespace: "stub" }, () => ({
        contents: `const missing = () => { throw new Error("zstd decoding needs Node >= 22.15 (the functions run nodejs24.x)"); };
export const decompress = missing;
export class Decompress { constructor() { missing(); } }`,
        loader: "js",
      }));
    },
  },
  // The MCP SDK accepts zod 3 schemas beside zod 4 ones (its compat layer and a vendored
  // zod-to-json-schema); every tool here is declared with zod 4, so the zod 3 paths are never taken.
  "mcp-zod-v3": {
    name: "without-zod-v3",
    setup(b) {
      b.onResolve({ filter: /^(zod\/v3|zod-to-json-schema)$/ }, (args) =>
        args.importer.includes("@modelcontextprotocol")
          ? { path: args.path, namespace: "stub-zod3" }
          : undefined,
      );
      b.onLoad({ filter: /.*/, namespace: "stub-zod3" }, () => ({
        contents: `const missing = () => { throw new Error("zod 3 schemas are not part of this build: declare MCP tools with zod 4"); };
export const object = missing;
export const zodToJsonSchema = missing;`,
        loader: "js",
      }));
    },
  },
  "mcp-elicitation": {
    name: "without-elicitation-validator",
    setup(b) {
      b.onResolve({ filter: /ajv-provider\.js$/ }, (args) =>
        args.importer.includes("@modelcontextprotocol")
          ? { path: "ajv-provider", namespace: "stub" }
          : undefined,
      );
      b.onLoad({ filter: /^ajv-provider$/, namespace: "stub" }, () => ({
        contents: `export class AjvJsonSchemaValidator {
  getValidator() { throw new Error("JSON Schema validation (MCP elicitation) is not part of this build"); }
}`,
        loader: "js",
      }));
    },
  },
};

export async function bundleLambda(
  name: LambdaEntryName,
  outDir: string,
): Promise<{ bytes: number; assetBytes: number; file: string }> {
  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(outDir, { recursive: true });
  const file = join(outDir, "index.mjs");
  const result = await build({
    entryPoints: [join(REPO_ROOT, "lambdas", `${name}.ts`)],
    outfile: file,
    bundle: true,
    platform: "node",
    target: "node22",
    format: "esm",
    minify: true,
    sourcemap: true,
    sourcesContent: false,
    legalComments: "none",
    mainFields: ["module", "main"],
    external: ["@aws-sdk/*", "@smithy/*"],
    // CommonJS dependencies inside an ES module bundle still call require().
    banner: { js: "import{createRequire as __cr}from'node:module';const require=__cr(import.meta.url);" },
    plugins: [zodEnglishOnly, ...LAMBDA_ENTRIES[name].stubs.map((s) => stubs[s])],
    logLevel: "warning",
    // POOLER_BUNDLE_META=1 writes esbuild's metafile beside the bundle (what takes the bytes).
    metafile: process.env.POOLER_BUNDLE_META === "1",
  });
  if (result.metafile) writeFileSync(join(outDir, "meta.json"), JSON.stringify(result.metafile));
  // Static files the entry reads at run time, beside the bundle (`new URL("./static/", import.meta.url)`),
  // held to a budget of their own.
  const entry: { stubs: readonly Stub[]; assets?: string } = LAMBDA_ENTRIES[name];
  let assetBytes = 0;
  if (entry.assets) {
    const target = join(outDir, "static");
    cpSync(join(REPO_ROOT, entry.assets), target, { recursive: true });
    for (const asset of readdirSync(target)) {
      const path = join(target, asset);
      // Browser modules and styles, minified one by one (module imports between them stay as written).
      const loader = asset.endsWith(".js") ? "js" : asset.endsWith(".css") ? "css" : undefined;
      if (loader) {
        const { code } = await transform(readFileSync(path, "utf8"), {
          loader,
          minify: true,
          format: undefined,
        });
        writeFileSync(path, code);
      }
      assetBytes += statSync(path).size;
    }
  }
  return { bytes: statSync(file).size, assetBytes, file };
}

async function main(argv: string[]): Promise<number> {
  const only = argv.includes("--only") ? (argv[argv.indexOf("--only") + 1] as LambdaEntryName) : undefined;
  const out = argv.includes("--out") ? argv[argv.indexOf("--out") + 1] : undefined;
  if (only && !(only in LAMBDA_ENTRIES)) {
    process.stderr.write(
      `unknown Lambda entry ${only}; expected one of ${Object.keys(LAMBDA_ENTRIES).join(", ")}\n`,
    );
    return 2;
  }
  const names = only ? [only] : (Object.keys(LAMBDA_ENTRIES) as LambdaEntryName[]);
  let failed = false;
  for (const name of names) {
    const dir = out && only ? out : join(REPO_ROOT, "dist", name);
    const { bytes, assetBytes } = await bundleLambda(name, dir);
    const over = bytes > BUDGET_BYTES;
    const assetsOver = assetBytes > ASSET_BUDGET_BYTES;
    failed ||= over || assetsOver;
    const assets = assetBytes ? ` + ${(assetBytes / 1024).toFixed(1)} KB static files` : "";
    process.stdout.write(
      `${name.padEnd(10)} ${(bytes / 1024).toFixed(1).padStart(7)} KB${assets}${over ? `  code over the ${BUDGET_BYTES / 1024} KB budget` : ""}${assetsOver ? `  static files over the ${ASSET_BUDGET_BYTES / 1024} KB budget` : ""}\n`,
    );
  }
  if (failed) process.stderr.write("error: at least one Lambda bundle is over budget\n");
  return failed ? 1 : 0;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exitCode = await main(process.argv.slice(2));
}
