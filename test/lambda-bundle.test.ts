// The deployed artefacts: every Lambda entry bundled exactly as the stack bundles it
// (scripts/build-lambdas.ts), held to the size budget, and the runtime bundle itself loaded and
// invoked, so a bundling mistake (a missing module, a stub reaching a live path) fails here.
import { rmSync } from "node:fs";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  ASSET_BUDGET_BYTES,
  BUDGET_BYTES,
  bundleLambda,
  LAMBDA_ENTRIES,
  type LambdaEntryName,
} from "../scripts/build-lambdas.ts";
import { scratchDir } from "./helpers/gateway.ts";
import {
  captureOutput,
  invoke,
  type LambdaTestEnvironment,
  lambdaEnvironment,
  mockSecretsManager,
  ORIGIN_SECRET_ARN,
  ORIGIN_VALUE,
} from "./helpers/lambda.ts";

// One directory per bundle directly under .test-tmp, the same depth as dist/<name>, so the source
// maps' relative paths resolve.
const dir = scratchDir("bundles");
const built = new Map<LambdaEntryName, { bytes: number; assetBytes: number; file: string }>();
let env: LambdaTestEnvironment;
let secrets: ReturnType<typeof mockSecretsManager>;
let output: ReturnType<typeof captureOutput>;

beforeAll(async () => {
  for (const name of Object.keys(LAMBDA_ENTRIES) as LambdaEntryName[]) {
    built.set(name, await bundleLambda(name, `${dir}-${name}`));
  }
  env = await lambdaEnvironment();
  secrets = mockSecretsManager({ [ORIGIN_SECRET_ARN]: ORIGIN_VALUE });
  output = captureOutput();
});

afterAll(async () => {
  for (const target of [dir, ...[...built.values()].map((b) => b.file.replace(/[\\/]index\.mjs$/, ""))]) {
    rmSync(target, { recursive: true, force: true });
  }
  output?.restore();
  secrets?.mock.restore();
  await env?.close();
});

describe("Lambda bundles", () => {
  it.each(Object.keys(LAMBDA_ENTRIES))(
    "%s stays within the 500 KB code budget (128 KB of static files)",
    (name) => {
      const bundle = built.get(name as LambdaEntryName)!;
      expect(bundle.bytes).toBeGreaterThan(1000);
      expect(bundle.bytes).toBeLessThanOrEqual(BUDGET_BYTES);
      expect(bundle.assetBytes).toBeLessThanOrEqual(ASSET_BUDGET_BYTES);
    },
  );

  it("the bundled runtime serves through the stream adapter and checks the origin", async () => {
    // Prepare
    const { handler } = (await import(pathToFileURL(built.get("runtime")!.file).href)) as {
      handler: unknown;
    };

    // Act
    const ready = await invoke(handler, { path: "/readyz", headers: { "x-origin-verify": ORIGIN_VALUE } });
    const refused = await invoke(handler, { path: "/readyz" });
    const mcp = await invoke(handler, {
      path: "/mcp",
      method: "POST",
      body: "{}",
      headers: { "x-origin-verify": ORIGIN_VALUE },
    });

    // Assess: DynamoDB reached through the runtime-provided SDK; the MCP route is the MCP function's.
    expect(ready.prelude().statusCode).toBe(200);
    expect(ready.json()).toEqual({ status: "ready" });
    expect(refused.prelude().statusCode).toBe(403);
    expect(mcp.prelude().statusCode).toBe(404);
  });
});
