// src/core has no import cycle, type-only imports included (issue 19: services get what they use at
// construction, so no module that the gateway builds imports the gateway back). The graph is dpdm's
// (it parses with TypeScript and keeps `import type`); the scratch trees prove the check bites.
import { mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { parseCircular, parseDependencyTree } from "dpdm";
import { describe, expect, it } from "vitest";
import { REPO_ROOT, scratchDir } from "./helpers/gateway.ts";

/** Every import cycle among the `.ts` files below `dir`, as paths relative to it. */
async function importCycles(dir: string): Promise<{ files: string[]; cycles: string[][] }> {
  // transform: false keeps type-only imports in the graph (a type cycle is still a cycle to read).
  const tree = await parseDependencyTree("**/*.ts", { cwd: dir, context: dir, transform: false });
  const unresolved = Object.values(tree).flatMap((deps) =>
    (deps ?? []).filter((d) => d.id === null && d.request.startsWith(".")),
  );
  expect(unresolved.map((d) => `${d.issuer} -> ${d.request}`)).toEqual([]);
  return { files: Object.keys(tree).filter((f) => f.endsWith(".ts")), cycles: parseCircular(tree) };
}

const shown = (cycles: string[][]) => cycles.map((c) => [...c, c[0]].join(" -> ")).join("\n");

function tree(files: Record<string, string>): string {
  const dir = scratchDir("cycles");
  for (const [name, source] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, name)), { recursive: true });
    writeFileSync(join(dir, name), source);
  }
  return dir;
}

describe("import cycles", () => {
  it("src/core has none, type-only imports included", async () => {
    const core = join(REPO_ROOT, "src/core");
    const { files, cycles } = await importCycles(core);
    // Every file was read: a graph that missed files could not find their cycles. (The one file outside
    // src/core it reads is the admin contract's vocabulary, admin-contract/enums.ts, which imports nothing.)
    const onDisk = readdirSync(core, { recursive: true, encoding: "utf8" }).filter((f) => f.endsWith(".ts"));
    expect(files.filter((f) => !f.startsWith("../")).sort()).toEqual(onDisk.sort());
    expect(files.filter((f) => f.startsWith("../"))).toEqual(["../admin-contract/enums.ts"]);
    expect(cycles, `import cycles in src/core:\n${shown(cycles)}`).toEqual([]);
  });

  it.each([
    [
      "a type-only cycle",
      {
        "gateway.ts":
          'import type { Catalog } from "./pools/catalog.ts";\n\nexport interface Gateway {\n  models: Catalog;\n}\n',
        "pools/catalog.ts":
          'import type { Gateway } from "../gateway.ts";\n\nexport interface Catalog {\n  get(gw: Gateway): string;\n}\n',
      },
      ["gateway.ts", "pools/catalog.ts"],
    ],
    [
      "a runtime cycle through three folders",
      {
        "a/one.ts": 'import { two } from "../b/two.ts";\n\nexport const one = () => two();\n',
        "b/two.ts": 'import { three } from "../c/three.ts";\n\nexport const two = () => three();\n',
        "c/three.ts": 'import { one } from "../a/one.ts";\n\nexport const three = () => one;\n',
      },
      ["a/one.ts", "b/two.ts", "c/three.ts"],
    ],
    [
      "a re-export cycle",
      {
        "index.ts": 'export * from "./inner.ts";\nexport const outer = 1;\n',
        "inner.ts": 'import { outer } from "./index.ts";\n\nexport const inner = outer + 1;\n',
      },
      ["index.ts", "inner.ts"],
    ],
  ])("finds %s", async (_name, files, members) => {
    const { cycles } = await importCycles(tree(files));
    expect(cycles.length).toBeGreaterThan(0);
    expect([...(cycles[0] ?? [])].sort()).toEqual(members);
  });

  it("finds none in a tree without one (a diamond)", async () => {
    const { cycles } = await importCycles(
      tree({
        "top.ts":
          'import { left } from "./left.ts";\nimport { right } from "./right.ts";\n\nexport const top = left + right;\n',
        "left.ts": 'import { base } from "./base.ts";\n\nexport const left = base;\n',
        "right.ts": 'import type { Base } from "./base.ts";\n\nexport const right: Base = 2;\n',
        "base.ts": "export type Base = number;\nexport const base: Base = 1;\n",
      }),
    );
    expect(cycles).toEqual([]);
  });
});
