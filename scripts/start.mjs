// `npm start`: bundles the local host (src/server/main.ts) with esbuild into dist/local/ and runs it
// in this process. Running the TypeScript through tsx instead keeps a loader thread, the transpiler's
// caches and every module's source map resident: about 60 MB more at idle, for the same code. The
// bundle is rebuilt on every start (well under a second), so edits to src/ take effect as before.
// Packages stay external (resolved from node_modules); the MCP SDK and tools are split into a chunk
// that loads on the first /mcp call. Without esbuild (a production-only install) it runs under tsx.
import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const outdir = join(root, "dist/local");

/** Source files that find files next to themselves keep their own location in the bundle. */
const keepImportMetaUrl = {
  name: "keep-import-meta-url",
  setup(build) {
    build.onLoad({ filter: /[\\/]src[\\/].*\.ts$/ }, (args) => {
      const source = readFileSync(args.path, "utf8");
      if (!source.includes("import.meta.url")) return undefined;
      return {
        contents: source.replaceAll("import.meta.url", JSON.stringify(pathToFileURL(args.path).href)),
        loader: "ts",
      };
    });
  },
};

let esbuild;
try {
  esbuild = await import("esbuild");
} catch {
  esbuild = undefined;
}

if (esbuild) {
  const { outputFiles } = await esbuild.build({
    entryPoints: { main: join(root, "src/server/main.ts") },
    outdir,
    bundle: true,
    splitting: true,
    format: "esm",
    platform: "node",
    target: "node20",
    packages: "external",
    sourcemap: "linked",
    logLevel: "warning",
    plugins: [keepImportMetaUrl],
    write: false,
  });
  // The build service is a child process; it is not needed once the bundle is built.
  await esbuild.stop?.();
  // Each file lands whole (write aside, then rename), chunks before the entry that imports them: a
  // second gateway starting at the same moment never imports a file this one is halfway through.
  mkdirSync(outdir, { recursive: true });
  const entryLast = (file) => (basename(file.path).startsWith("main.") ? 1 : 0);
  for (const file of [...outputFiles].sort((a, b) => entryLast(a) - entryLast(b))) {
    const aside = `${file.path}.${process.pid}.tmp`;
    writeFileSync(aside, file.contents);
    renameSync(aside, file.path);
  }
  await import(pathToFileURL(join(outdir, "main.js")).href);
} else {
  const { register } = await import("tsx/esm/api");
  register();
  await import(pathToFileURL(join(root, "src/server/main.ts")).href);
}
