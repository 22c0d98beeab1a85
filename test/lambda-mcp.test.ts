// The MCP entry (lambdas/mcp.ts) as AWS runs it: the MCP SDK's own client talks to it through a
// stand-in for CloudFront (origin header, the distribution's real viewer-request function) in front
// of the streaming function URL adapter. DynamoDB is the embedded emulator, Secrets Manager mocked;
// data is seeded and the MCP token minted through the IAM admin entry, as `pooler --aws` would.

import { rmSync } from "node:fs";
import { pathToFileURL } from "node:url";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { VIEWER_REQUEST_CODE } from "../lib/constructs/viewer-request.ts";
import { bundleLambda } from "../scripts/build-lambdas.ts";
import { type FunctionUrlServer, startFunctionUrlServer } from "./helpers/function-url-server.ts";
import { scratchDir } from "./helpers/gateway.ts";
import { invoke, type LambdaHarness, ORIGIN_VALUE, startLambdaHarness } from "./helpers/lambda.ts";

const origin = { "x-origin-verify": ORIGIN_VALUE };

let aws: LambdaHarness;
let mcp: unknown;
let front: FunctionUrlServer;
let mcpToken = "";
let poolKey = "";
const clients: Client[] = [];

async function connect(token: string, url = front.url): Promise<Client> {
  const client = new Client({ name: "lambda-mcp-test", version: "1.0.0" });
  await client.connect(
    new StreamableHTTPClientTransport(new URL(`${url}/mcp`), {
      requestInit: { headers: { authorization: `Bearer ${token}` } },
    }),
  );
  clients.push(client);
  return client;
}

async function structured(client: Client, name: string, args: Record<string, unknown> = {}) {
  const result = (await client.callTool({ name, arguments: args })) as {
    isError?: boolean;
    structuredContent?: any;
    content: { text: string }[];
  };
  expect(result.isError, result.content[0]?.text).toBeFalsy();
  return result.structuredContent;
}

beforeAll(async () => {
  aws = await startLambdaHarness();
  mcp = await aws.entry("mcp", () => import("../lambdas/mcp.ts"));
  front = await startFunctionUrlServer(mcp, { originHeaders: origin, viewerRequest: VIEWER_REQUEST_CODE });

  expect((await aws.iamAdmin("POST", "/pools", { name: "mcp-aws" })).status).toBe(201);
  const account = aws.fake.createAccount();
  const imported = await aws.iamAdmin("POST", "/accounts/import", {
    pool: "mcp-aws",
    authJson: account.authJson,
    label: "acct1",
  });
  expect(imported.status).toBe(201);
  const key = await aws.iamAdmin("POST", "/keys", { pool: "mcp-aws", label: "laptop" });
  poolKey = key.body.secret;
  const minted = await aws.iamAdmin("POST", "/mcp-tokens", { label: "agent" });
  expect(minted.status).toBe(201);
  mcpToken = minted.body.secret;
});

afterAll(async () => {
  for (const client of clients) await client.close().catch(() => undefined);
  await front?.close();
  await aws?.close();
});

describe("MCP function behind CloudFront", () => {
  it("serves the SDK client: tools listed and called, metadata only", async () => {
    const client = await connect(mcpToken);
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name)).toContain("codex_pooler_list_pools");
    for (const tool of tools) expect(tool.annotations?.readOnlyHint, tool.name).toBe(true);

    const pools = await structured(client, "codex_pooler_list_pools");
    expect(JSON.stringify(pools)).toContain("mcp-aws");
    const accounts = await structured(client, "codex_pooler_list_accounts", { pool: "mcp-aws" });
    expect(JSON.stringify(accounts)).toContain("acct1");
    // Nothing secret reaches an answer: not the key, not the account's tokens.
    const answers = JSON.stringify([pools, accounts]);
    expect(answers).not.toContain(poolKey.slice(20));
    expect(answers).not.toContain("refresh_token");
  });

  it("gives setup help for the host the client connected to, not the function URL", async () => {
    const client = await connect(mcpToken);
    const setup = await structured(client, "codex_pooler_get_client_setup");
    const publicUrl = `https://${new URL(front.url).host}`;
    expect(setup.baseUrls).toMatchObject({
      codex: `${publicUrl}/backend-api/codex`,
      openai: `${publicUrl}/v1`,
      mcp: `${publicUrl}/mcp`,
    });
    expect(JSON.stringify(setup)).not.toContain("lambda-url");
  });

  it("refuses requests that did not come through CloudFront, and other credentials", async () => {
    const direct = await invoke(mcp, {
      method: "POST",
      path: "/mcp",
      headers: { authorization: `Bearer ${mcpToken}`, "content-type": "application/json" },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/list" }),
    });
    expect(direct.prelude().statusCode).toBe(403);
    expect(direct.json<{ error: { code: string } }>().error.code).toBe("origin_forbidden");

    await expect(connect(poolKey)).rejects.toThrow(/only MCP tokens/);
    const sse = await fetch(`${front.url}/mcp`, { headers: { authorization: `Bearer ${mcpToken}` } });
    expect(sse.status).toBe(405);
    await sse.arrayBuffer();
  });

  it("limits failed authentication per viewer address", async () => {
    const attempt = (address: string) =>
      invoke(mcp, {
        method: "POST",
        path: "/mcp",
        headers: {
          ...origin,
          "x-pooler-viewer-address": address,
          "content-type": "application/json",
          accept: "application/json, text/event-stream",
          authorization: `Bearer mcp-cxp-${crypto.randomUUID().replace(/-/g, "").slice(0, 12)}-wrong`,
        },
        body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/list" }),
      }).then((out) => out.prelude().statusCode);
    const statuses: number[] = [];
    for (let i = 0; i < 31; i++) statuses.push(await attempt("198.51.100.7"));
    expect(statuses.slice(0, 30).every((s) => s === 401)).toBe(true);
    expect(statuses[30]).toBe(429);
    expect(await attempt("198.51.100.8")).toBe(401);
  });

  it("stays within the MCP function's grants: no account secret, ever", () => {
    expect(aws.recorder.outsideGrants("mcp")).toEqual([]);
    const calls = [...(aws.recorder.calls.get("mcp") ?? [])];
    expect(calls).toContain("origin:GetSecretValue");
    expect(calls.some((c) => c.startsWith("secrets:"))).toBe(false);
  });
});

describe("the MCP function as bundled for AWS", () => {
  // The bundle stubs the MCP SDK's zod 3 paths (scripts/build-lambdas.ts): every tool must still list,
  // validate its arguments and answer through the built artefact, not only from source.
  it("lists, validates and answers tools from the built bundle", async () => {
    const dir = scratchDir("mcp-bundle");
    const { file } = await bundleLambda("mcp", dir);
    const bundled = await aws.entry("mcp", () => import(pathToFileURL(file).href));
    const server = await startFunctionUrlServer(bundled, {
      originHeaders: origin,
      viewerRequest: VIEWER_REQUEST_CODE,
    });
    try {
      const client = await connect(mcpToken, server.url);
      const { tools } = await client.listTools();
      expect(tools.length).toBeGreaterThan(5);
      for (const tool of tools) expect(tool.inputSchema.type, tool.name).toBe("object");
      const accounts = await structured(client, "codex_pooler_list_accounts", { pool: "mcp-aws" });
      expect(JSON.stringify(accounts)).toContain("acct1");
      const refused = (await client.callTool({
        name: "codex_pooler_list_accounts",
        arguments: { pool: 42 },
      })) as { isError?: boolean; content: { text: string }[] };
      expect(refused.isError).toBe(true);
      expect(refused.content[0]?.text).toMatch(/pool/);
    } finally {
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
