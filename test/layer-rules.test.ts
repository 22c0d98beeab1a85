// The layer table of docs/architecture.md is a lint rule: biome.json holds it (written by
// scripts/layer-rules.mjs) and a wrong-layer import fails `npm run lint`. Each probe is a one-line
// module linted with the project's own Biome and configuration, in a scratch tree of the same shape.
import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { describe, expect, it } from "vitest";
import { isLayerOverride, layerOverrides } from "../scripts/layer-rules.ts";
import { REPO_ROOT, scratchDir } from "./helpers/gateway.ts";

const config = JSON.parse(readFileSync(join(REPO_ROOT, "biome.json"), "utf8"));

function lint(file: string, source: string): { ok: boolean; output: string } {
  const dir = scratchDir("layers");
  const { vcs: _vcs, files: _files, $schema: _schema, ...rest } = config;
  writeFileSync(join(dir, "biome.json"), JSON.stringify(rest));
  mkdirSync(dirname(join(dir, file)), { recursive: true });
  writeFileSync(join(dir, file), source);
  const run = spawnSync(join(REPO_ROOT, "node_modules/.bin/biome"), ["lint", file], {
    cwd: dir,
    encoding: "utf8",
  });
  return { ok: run.status === 0, output: `${run.stdout}${run.stderr}` };
}

const probe = (from: string) => `import { x } from "${from}";\n\nexport const y = x;\n`;

describe("layer rules", () => {
  it("biome.json holds the table scripts/layer-rules.mjs writes", () => {
    expect(config.overrides.filter(isLayerOverride)).toEqual(layerOverrides());
  });

  it.each([
    ["src/core/probe.ts", "../adapters/coalescing-store.ts"],
    ["src/core/relay/probe.ts", "../../http/app.ts"],
    ["src/core/relay/probe.ts", "hono"],
    ["src/core/probe.ts", "@aws-sdk/client-dynamodb"],
    ["src/core/alerts/probe.ts", "node:http"],
    ["src/adapters/lambda/probe.ts", "../../http/client-address.ts"],
    ["src/adapters/probe.ts", "../server/local-host.ts"],
    ["src/http/routes/probe.ts", "../../adapters/dynamodb/dynamo-store.ts"],
    ["src/http/routes/v1/probe.ts", "../../../server/config.ts"],
    ["src/http/probe.ts", "node:http"],
    ["src/mcp/tools/probe.ts", "../../http/app-base.ts"],
    ["src/console/probe.ts", "../http/types.ts"],
    ["src/cli/commands/probe.ts", "../../core/errors.ts"],
    ["src/client-configs/probe.ts", "../core/errors.ts"],
    ["lambdas/probe.ts", "../src/core/gateway.ts"],
    ["src/core/probe.ts", "../admin-contract/requests.ts"],
    ["src/core/alerts/probe.ts", "../../admin-views/records.ts"],
    ["src/admin-contract/probe.ts", "../core/model.ts"],
    ["src/admin-contract/probe.ts", "hono"],
    ["src/admin-views/probe.ts", "../http/validate.ts"],
    ["src/cli/commands/probe.ts", "../../admin-views/records.ts"],
    ["src/mcp/tools/probe.ts", "../../http/routes/admin/index.ts"],
  ])("refuses %s importing %s", (file, from) => {
    const { ok, output } = lint(file, probe(from));
    expect(ok, output).toBe(false);
    expect(output).toContain("docs/architecture.md");
  });

  it.each([
    ["src/core/relay/probe.ts", "../errors.ts"],
    ["src/core/probe.ts", "node:crypto"],
    ["src/adapters/lambda/probe.ts", "../../core/errors.ts"],
    ["src/adapters/lambda/probe.ts", "../http/node-http-fetch.ts"],
    ["src/http/routes/probe.ts", "../../mcp/rate-limit.ts"],
    ["src/http/probe.ts", "../console/routes.ts"],
    ["src/server/probe.ts", "../adapters/coalescing-store.ts"],
    ["src/cli/commands/probe.ts", "../../client-configs/index.ts"],
    ["lambdas/probe.ts", "../src/server/aws-host.ts"],
    ["src/core/alerts/probe.ts", "../../admin-contract/enums.ts"],
    ["src/cli/commands/probe.ts", "../../admin-contract/responses.ts"],
    ["src/admin-views/probe.ts", "../core/model.ts"],
    ["src/mcp/tools/probe.ts", "../../admin-views/records.ts"],
    ["src/console/probe.ts", "../admin-contract/enums.ts"],
  ])("allows %s importing %s", (file, from) => {
    const { ok, output } = lint(file, probe(from));
    expect(ok, output).toBe(true);
  });
});
