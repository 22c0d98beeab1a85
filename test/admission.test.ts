// Admission control on the local host (src/core/access/admission.ts): per route class N running, Q waiting,
// the next refused with 503 server_is_overloaded (OpenAI shape, Retry-After), a waiter past its
// timeout refused the same way, streams holding their slot until they end or the client leaves,
// WebSocket upgrades and /mcp refused in their own terms, refusals counted in the metrics.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import type { MemoryMetrics } from "../src/adapters/observability/memory-metrics.ts";
import { loadConfig } from "../src/server/config.ts";
import {
  type Seeded,
  startTestGateway,
  TEXT_TURN_BODY,
  type TestGateway,
  waitFor,
} from "./helpers/gateway.ts";

let gw: TestGateway;
let seeded: Seeded;
/** Store reads of credentials wait while this is set (an MCP request held inside its auth). */
let credentialGate: Promise<void> | undefined;

beforeAll(async () => {
  gw = await startTestGateway(
    {
      POOLER_ADMISSION_PROXY_STREAM: "2,1,1000",
      POOLER_ADMISSION_PROXY_HTTP: "1,0,1000",
      POOLER_ADMISSION_PROXY_WEBSOCKET: "1,0,1000",
      POOLER_ADMISSION_MCP: "1,0,1000",
    },
    {
      wrapStore: (store) => {
        const credentials = store.credentials;
        const gated: typeof credentials.get = async (kind, id) => {
          if (kind === "mcp_token") await credentialGate;
          return credentials.get(kind, id);
        };
        store.credentials = new Proxy(credentials, {
          get: (target, name) => (name === "get" ? gated : Reflect.get(target, name, target).bind?.(target)),
        });
        return store;
      },
    },
  );
  seeded = await gw.seed({ accounts: 1 });
});
afterAll(async () => {
  gw?.fake.releasePaused();
  await gw?.stop();
});

const turn = (signal?: AbortSignal, body: Record<string, unknown> = TEXT_TURN_BODY) =>
  fetch(`${gw.url}/backend-api/codex/responses`, {
    method: "POST",
    headers: { authorization: `Bearer ${seeded.key}`, "content-type": "application/json" },
    body: JSON.stringify(body),
    signal,
  });

async function classState(routeClass: string) {
  const { body } = await gw.admin("GET", "/admission");
  return body.data.find((c: { routeClass: string }) => c.routeClass === routeClass);
}

const rejected = (routeClass: string, reason: string) =>
  (gw.local.gateway.ctx.metrics as MemoryMetrics).counters.get(
    `admission_rejected${JSON.stringify({ routeClass, reason })}`,
  ) ?? 0;

async function expectOverloaded(response: Response) {
  expect(response.status).toBe(503);
  expect(response.headers.get("retry-after")).toBe("1");
  const body = await response.json();
  expect(body).toEqual({
    error: {
      message: expect.stringContaining("retry after 1 s"),
      type: "server_error",
      code: "server_is_overloaded",
      param: null,
    },
  });
}

describe("configuration", () => {
  it("takes POOLER_ADMISSION_<CLASS> over the defaults and refuses a malformed value", () => {
    const config = loadConfig({ POOLER_ADMISSION_AUDIO: "2,3,4000" });
    expect(config.admission.audio).toEqual({ concurrency: 2, queue: 3, timeoutMs: 4000 });
    expect(config.admission.proxy_http).toEqual({ concurrency: 32, queue: 128, timeoutMs: 10_000 });
    expect(config.admission.console).toEqual({ concurrency: 8, queue: 16, timeoutMs: 5000 });
    expect(() => loadConfig({ POOLER_ADMISSION_MCP: "4,8" })).toThrow(/POOLER_ADMISSION_MCP must be/);
    expect(() => loadConfig({ POOLER_ADMISSION_MCP: "0,8,100" })).toThrow(/POOLER_ADMISSION_MCP/);
  });

  it("shows each class's limits and load on GET /admin/v1/admission", async () => {
    const { status, body } = await gw.admin("GET", "/admission");
    expect(status).toBe(200);
    expect(body.enabled).toBe(true);
    expect(body.data.map((c: { routeClass: string }) => c.routeClass)).toEqual([
      "proxy_http",
      "proxy_stream",
      "proxy_websocket",
      "proxy_compact",
      "proxy_control",
      "file_upload",
      "audio",
      "console",
      "mcp",
    ]);
    expect(await classState("proxy_stream")).toMatchObject({
      concurrency: 2,
      queue: 1,
      timeoutMs: 1000,
      running: 0,
      queued: 0,
    });
  });
});

describe("streams (concurrency 2, queue 1, timeout 1 s)", () => {
  it("runs 2, queues 1, refuses the next at once, and times the waiter out", async () => {
    const account = seeded.accounts[0]?.accountId as string;
    gw.fake.setDefaultBehavior(account, { kind: "text", pauseAfterEvent: 2 });
    const beforeFull = rejected("proxy_stream", "queue_full");
    const beforeTimeout = rejected("proxy_stream", "queue_timeout");
    const held = [await turn(), await turn()];
    for (const response of held) expect(response.status).toBe(200);
    expect(await classState("proxy_stream")).toMatchObject({ running: 2, queued: 0 });

    const waiting = turn();
    await waitFor(async () => (await classState("proxy_stream")).queued === 1);
    await expectOverloaded(await turn());
    expect(rejected("proxy_stream", "queue_full")).toBe(beforeFull + 1);

    // The queued turn's 1 s runs out while both streams still hold their slots.
    await expectOverloaded(await waiting);
    expect(rejected("proxy_stream", "queue_timeout")).toBe(beforeTimeout + 1);

    // The streams end: their slots come back and a new turn runs.
    gw.fake.setDefaultBehavior(account, { kind: "text" });
    gw.fake.releasePaused();
    for (const response of held) await response.text();
    await waitFor(async () => (await classState("proxy_stream")).running === 0);
    const after = await turn();
    expect(after.status).toBe(200);
    expect(await after.text()).toContain("response.completed");
  });

  it("gives a waiter the slot a finishing stream frees", async () => {
    const account = seeded.accounts[0]?.accountId as string;
    gw.fake.setDefaultBehavior(account, { kind: "text", pauseAfterEvent: 2 });
    const held = [await turn(), await turn()];
    const waiting = turn();
    await waitFor(async () => (await classState("proxy_stream")).queued === 1);
    // One stream ends within the waiter's 1 s: the waiter gets its slot.
    const reader = held[0]?.body?.getReader();
    await reader?.cancel();
    const admitted = await waiting;
    expect(admitted.status).toBe(200);
    gw.fake.setDefaultBehavior(account, { kind: "text" });
    gw.fake.releasePaused();
    await Promise.all([held[1]?.text(), admitted.text()]);
    await waitFor(async () => (await classState("proxy_stream")).running === 0);
  });

  it("releases the slots of clients that leave mid-stream (no leak)", async () => {
    const account = seeded.accounts[0]?.accountId as string;
    gw.fake.setDefaultBehavior(account, { kind: "text", pauseAfterEvent: 2 });
    for (let round = 0; round < 3; round++) {
      const controllers = [new AbortController(), new AbortController()];
      const responses = await Promise.all(controllers.map((c) => turn(c.signal)));
      for (const response of responses) expect(response.status).toBe(200);
      expect(await classState("proxy_stream")).toMatchObject({ running: 2 });
      for (const controller of controllers) controller.abort();
      await waitFor(async () => (await classState("proxy_stream")).running === 0);
    }
    gw.fake.setDefaultBehavior(account, { kind: "text" });
    gw.fake.releasePaused();
    const after = await turn();
    expect(after.status).toBe(200);
    await after.text();
  });

  it("classes a turn without stream:true as proxy_http (its own limit, slot freed when answered)", async () => {
    const unary = await turn(undefined, { ...TEXT_TURN_BODY, stream: false });
    await unary.text();
    expect(await classState("proxy_http")).toMatchObject({ running: 0 });
  });
});

describe("WebSocket upgrades (concurrency 1, queue 0)", () => {
  const open = () =>
    new Promise<{ ws?: WebSocket; status?: number; headers?: Record<string, unknown>; body?: string }>(
      (resolve, reject) => {
        const ws = new WebSocket(`${gw.url.replace("http", "ws")}/backend-api/codex/responses`, {
          headers: { authorization: `Bearer ${seeded.key}` },
        });
        ws.once("open", () => resolve({ ws }));
        ws.once("unexpected-response", (_req, res) => {
          let body = "";
          res.on("data", (chunk) => {
            body += chunk;
          });
          res.on("end", () => resolve({ status: res.statusCode, headers: res.headers, body }));
        });
        ws.once("error", reject);
      },
    );

  it("refuses an upgrade over the limit with 503 and holds the slot for the connection's life", async () => {
    const first = await open();
    expect(first.ws).toBeDefined();
    const refused = await open();
    expect(refused.status).toBe(503);
    expect(refused.headers?.["retry-after"]).toBe("1");
    expect(JSON.parse(refused.body as string).error.code).toBe("server_is_overloaded");
    expect(rejected("proxy_websocket", "queue_full")).toBeGreaterThanOrEqual(1);

    first.ws?.close();
    await waitFor(async () => (await classState("proxy_websocket")).running === 0);
    const again = await open();
    expect(again.ws).toBeDefined();
    again.ws?.close();
    await waitFor(async () => (await classState("proxy_websocket")).running === 0);
  });
});

describe("/mcp (concurrency 1, queue 0)", () => {
  it("answers JSON-RPC -32000 with 503 while the class is full", async () => {
    const tokens = await Promise.all(
      ["a", "b"].map(async (label) => (await gw.admin("POST", "/mcp-tokens", { label })).body.secret),
    );
    const call = (token: string) =>
      fetch(`${gw.url}/mcp`, {
        method: "POST",
        headers: {
          authorization: `Bearer ${token}`,
          "content-type": "application/json",
          accept: "application/json, text/event-stream",
        },
        body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/list", params: {} }),
      });
    let open: () => void = () => undefined;
    credentialGate = new Promise<void>((resolve) => {
      open = resolve;
    });
    const held = call(tokens[0] as string);
    await waitFor(async () => (await classState("mcp")).running === 1);
    const refused = await call(tokens[1] as string);
    expect(refused.status).toBe(503);
    expect(refused.headers.get("retry-after")).toBe("1");
    expect(await refused.json()).toEqual({
      jsonrpc: "2.0",
      error: { code: -32000, message: "MCP route class is temporarily overloaded" },
      id: null,
    });
    expect(rejected("mcp", "queue_full")).toBe(1);
    credentialGate = undefined;
    open();
    expect((await held).status).toBe(200);
    await waitFor(async () => (await classState("mcp")).running === 0);
  });
});
