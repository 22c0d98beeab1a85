// Writes the layer table of docs/architecture.md into biome.json as `noRestrictedImports` overrides,
// so a wrong-layer import fails `npm run lint` (and `npm test`). Run it (`npx tsx
// scripts/layer-rules.ts`) after changing LAYERS; test/layer-rules.test.ts checks that biome.json
// matches and that the rule bites. Relative imports are matched per folder depth ("../" * depth + "<layer>/**"), since an
// import path does not say which layer it leaves from.
import { readFileSync, writeFileSync } from "node:fs";

const NODE_HOST = [
  "node:http",
  "node:https",
  "node:http2",
  "node:dns",
  "node:fs",
  "node:fs/*",
  "node:tls",
  "node:os",
];
const NODE_PROCESS = [
  "node:worker_threads",
  "node:child_process",
  "node:stream",
  "node:stream/*",
  "node:zlib",
];
const AWS = ["@aws-sdk/*", "@aws-lambda-powertools/*", "@smithy/*"];
const HONO = ["hono", "hono/*", "@hono/*"];
const SERVERS = ["ws", "dynalite", "commander"];
const MCP_SDK = "@modelcontextprotocol/*";
const MAX_DEPTH = 4;

/** layer folder under src/ → the src/ folders and packages it may not import, and why. */
export const LAYERS: Record<
  string,
  { folders: string[]; packages: string[]; why: string; except?: string[] }
> = {
  core: {
    // The admin contract's vocabulary (admin-contract/enums.ts, import-free) is the one file of it the
    // core reads; its zod schemas stay out of the core (and so out of the runtime Lambda bundle).
    folders: [
      "adapters",
      "http",
      "mcp",
      "console",
      "server",
      "cli",
      "client-configs",
      "admin-views",
      "admin-contract",
    ],
    except: ["admin-contract/enums.ts"],
    packages: [...HONO, ...AWS, MCP_SDK, "fzstd", ...SERVERS, ...NODE_HOST, ...NODE_PROCESS],
    why: "src/core knows no AWS, no Hono, no Node host and no outer layer; it may use itself, admin-contract/enums.ts, node:crypto, node:net (address math), jose and eventsource-parser",
  },
  adapters: {
    folders: ["http", "mcp", "console", "server", "cli", "admin-views"],
    packages: [...HONO, MCP_SDK, "commander"],
    why: "src/adapters implement the core's ports with the core and the AWS SDK; never http, mcp, console, server or cli",
  },
  http: {
    folders: ["adapters", "server", "cli"],
    packages: [...AWS, ...SERVERS, ...NODE_HOST, "node:net", "node:worker_threads", "node:child_process"],
    why: "src/http is web-standard Request/Response on the core (it mounts mcp and console); the host hands it what it needs (HostBindings), so no adapters, server, cli, AWS SDK or Node host",
  },
  mcp: {
    folders: ["adapters", "http", "console", "server", "cli"],
    packages: [...AWS, ...HONO, ...SERVERS],
    why: "src/mcp is the core and the MCP SDK only; the http layer mounts it",
  },
  console: {
    folders: ["adapters", "http", "mcp", "server", "cli", "admin-views"],
    packages: [...AWS, ...SERVERS, MCP_SDK],
    why: "src/console renders pages from core names, the admin contract's vocabulary and client configs with hono/html; the http layer mounts it",
  },
  cli: {
    folders: ["core", "adapters", "http", "mcp", "console", "server", "admin-views"],
    packages: [...HONO, "ws", "dynalite", MCP_SDK, "@aws-sdk/client-*", "@aws-sdk/lib-*"],
    why: "src/cli is an HTTP client of the admin API: it reads the admin contract (schemas, enums), never the core, the gateway or the view functions",
  },
  "admin-contract": {
    folders: ["core", "adapters", "http", "mcp", "console", "server", "cli", "client-configs", "admin-views"],
    packages: [...HONO, ...AWS, ...SERVERS, MCP_SDK, ...NODE_HOST, ...NODE_PROCESS],
    why: "src/admin-contract is a leaf: the admin API's zod schemas, enums and OpenAPI generation, importing only zod (the CLI and the console read it)",
  },
  "admin-views": {
    folders: ["adapters", "http", "mcp", "console", "server", "cli", "client-configs"],
    packages: [...HONO, ...AWS, ...SERVERS, MCP_SDK, ...NODE_HOST, ...NODE_PROCESS],
    why: "src/admin-views turns core records into the admin contract's shapes: it imports the core and the contract only (http and mcp use it)",
  },
  "client-configs": {
    folders: ["core", "adapters", "http", "mcp", "console", "server", "cli", "admin-contract", "admin-views"],
    packages: [...HONO, ...AWS, ...SERVERS],
    why: "src/client-configs is a leaf: pure templates, no import from any layer",
  },
};

const rule = (group: string[], message: string) => ({
  linter: {
    rules: {
      style: {
        noRestrictedImports: { level: "error", options: { patterns: [{ group, message }] } },
      },
    },
  },
});

export function layerOverrides(): object[] {
  const overrides: object[] = [];
  for (const [layer, { folders, packages, why, except = [] }] of Object.entries(LAYERS)) {
    for (let depth = 1; depth <= MAX_DEPTH; depth++) {
      const up = "../".repeat(depth);
      const group = [...folders.map((f) => `${up}${f}/**`), ...except.map((f) => `!${up}${f}`), ...packages];
      overrides.push({
        includes: [`src/${layer}/${"*/".repeat(depth - 1)}*.{ts,js}`],
        ...rule(group, `${why} (docs/architecture.md)`),
      });
    }
  }
  overrides.push({
    includes: ["lambdas/*.ts"],
    ...rule(
      ["core", "http", "mcp", "console", "cli", "client-configs", "admin-contract", "admin-views"].map(
        (f) => `../src/${f}/**`,
      ),
      "lambdas/ are thin entries: they compose through src/server and wrap it with the Lambda adapters (docs/architecture.md)",
    ),
  });
  return overrides;
}

export const isLayerOverride = (o: unknown): boolean => JSON.stringify(o).includes("noRestrictedImports");

if (import.meta.url === `file://${process.argv[1]}`) {
  const path = new URL("../biome.json", import.meta.url);
  const config = JSON.parse(readFileSync(path, "utf8"));
  config.overrides = [
    ...(config.overrides ?? []).filter((o: unknown) => !isLayerOverride(o)),
    ...layerOverrides(),
  ];
  writeFileSync(path, `${JSON.stringify(config, null, 2)}\n`);
  console.log(`biome.json: ${layerOverrides().length} layer overrides written`);
}
