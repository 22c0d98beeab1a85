// A gateway process contains what goes wrong (issue 16). Shutdown never truncates silently: with a
// short grace it gets SIGTERM while streams are open on every streaming surface, and each ends with
// a well-formed terminal error in its own protocol before the connection closes. And an exception or
// rejection that escaped every handler is logged (metadata only) while the process keeps serving.
import { randomBytes } from "node:crypto";
import { rmSync } from "node:fs";
import { afterAll, beforeAll, expect, it } from "vitest";
import WebSocket from "ws";
import { type FakeUpstream, startFakeUpstream } from "./fake-upstream/index.ts";
import { scratchDir, TEXT_TURN_BODY, waitFor } from "./helpers/gateway.ts";
import {
  adminClient,
  type PoolerProcess,
  poolerEnv,
  SseReader,
  seedThroughAdmin,
  spawnPooler,
} from "./helpers/process.ts";

let fake: FakeUpstream;
let proc: PoolerProcess | undefined;
const dirs: string[] = [];

beforeAll(async () => {
  fake = await startFakeUpstream();
});

afterAll(async () => {
  proc?.kill();
  fake?.releasePaused();
  await fake?.close();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

it("every stream open at the end of the grace ends with its terminal error, then the process exits 0", async () => {
  const graceMs = 1_000;
  const token = `env-admin-token-${randomBytes(12).toString("hex")}`;
  const dir = scratchDir("shutdown");
  dirs.push(dir);
  proc = spawnPooler(
    poolerEnv(fake, dir, { POOLER_ADMIN_TOKEN: token, POOLER_SHUTDOWN_GRACE_MS: String(graceMs) }),
  );
  const url = await proc.listening();
  const seeded = await seedThroughAdmin(adminClient(url, token), fake, "shutdown");
  const account = seeded.accounts[0]!.accountId;
  const post = (path: string, body: unknown) =>
    fetch(`${url}${path}`, {
      method: "POST",
      headers: { authorization: `Bearer ${seeded.key}`, "content-type": "application/json" },
      body: JSON.stringify(body),
    });

  // Three SSE streams that stall after their first delta, one after another (one queue, one account).
  const streams: { name: string; sse: SseReader }[] = [];
  for (const [name, path, body] of [
    ["codex", "/backend-api/codex/responses", TEXT_TURN_BODY],
    ["v1 responses", "/v1/responses", { model: "gpt-5.5", input: "hi", stream: true }],
    [
      "v1 chat",
      "/v1/chat/completions",
      { model: "gpt-5.5", messages: [{ role: "user", content: "hi" }], stream: true },
    ],
  ] as const) {
    fake.enqueue(account, { kind: "text", pauseAfterEvent: 5 });
    const response = await post(path, body);
    expect(response.status, name).toBe(200);
    const sse = new SseReader(response);
    await waitFor(async () => {
      await sse.until(sse.events.length + 1);
      return sse.events.some(
        (e) => e.type === "response.output_text.delta" || e.data.choices?.[0]?.delta?.content,
      );
    }, 10_000);
    streams.push({ name, sse });
  }
  // A WebSocket turn that takes far longer than the grace.
  fake.enqueue(account, { kind: "text", delayMsBetweenEvents: 3_000 });
  const ws = new WebSocket(`${url.replace("http", "ws")}/backend-api/codex/responses`, {
    headers: { authorization: `Bearer ${seeded.key}` },
  });
  await new Promise((resolve, reject) => {
    ws.once("open", resolve);
    ws.once("error", reject);
  });
  const frames: any[] = [];
  ws.on("message", (data) => frames.push(JSON.parse(data.toString())));
  const wsClosed = new Promise<number>((resolve) => ws.once("close", (code) => resolve(code)));
  ws.send(JSON.stringify({ type: "response.create", ...TEXT_TURN_BODY }));
  await waitFor(() => frames.some((f) => f.type === "response.created"), 10_000);

  // A turn still waiting for its first upstream event when the grace ends: nothing has reached the
  // client, so it gets a 503 instead of a cut connection.
  const before = fake.requests.filter((r) => r.path === "/backend-api/codex/responses").length;
  fake.enqueue(account, { kind: "stall" });
  const waiting = post("/backend-api/codex/responses", TEXT_TURN_BODY);
  await waitFor(
    () => fake.requests.filter((r) => r.path === "/backend-api/codex/responses").length > before,
    10_000,
  );

  // And an idle WebSocket: it closes with 1001 as soon as the drain begins, well before the grace ends.
  const idle = new WebSocket(`${url.replace("http", "ws")}/backend-api/codex/responses`, {
    headers: { authorization: `Bearer ${seeded.key}` },
  });
  await new Promise((resolve, reject) => {
    idle.once("open", resolve);
    idle.once("error", reject);
  });
  const idleClosed = new Promise<number>((resolve) => idle.once("close", (code) => resolve(code)));

  proc.child.kill("SIGTERM");
  expect(await idleClosed).toBe(1001);
  expect(streams.every(({ sse }) => !sse.ended)).toBe(true);
  // Each stream ends (rest() rejects on a cut connection) with its protocol's terminal error.
  for (const { name, sse } of streams) {
    await expect(sse.rest(), name).resolves.toBeUndefined();
  }
  const [codex, responses, chat] = streams.map((s) => s.sse.events);
  expect(codex!.at(-1)).toMatchObject({
    type: "response.failed",
    data: { response: { status: "failed", error: { code: "server_shutting_down" } } },
  });
  expect(responses!.at(-1)?.type).toMatch(/^(response\.failed|error)$/);
  expect(JSON.stringify(responses!.at(-1)?.data)).toContain("server_shutting_down");
  expect(chat!.at(-1)?.data.error).toMatchObject({ code: "server_shutting_down", type: "server_error" });
  const refused = await waiting;
  expect(refused.status).toBe(503);
  expect((await refused.json()).error).toMatchObject({ code: "server_shutting_down" });
  // The WebSocket turn: an error event, then 1001.
  expect(await wsClosed).toBe(1001);
  expect(frames.at(-1)).toMatchObject({ type: "error", error: { code: "server_shutting_down" } });
  expect(frames.some((f) => f.type === "response.completed")).toBe(false);
  expect(await proc.waitForExit(15_000)).toEqual({ code: 0, signal: null });
});

it("an exception or rejection that escaped every handler is logged, and the process keeps serving", async () => {
  const dir = scratchDir("stray");
  dirs.push(dir);
  const token = `env-admin-token-${randomBytes(12).toString("hex")}`;
  proc = spawnPooler(
    poolerEnv(fake, dir, {
      POOLER_ADMIN_TOKEN: token,
      NODE_OPTIONS: "--import ./test/support/stray-errors.mjs",
    }),
  );
  const url = await proc.listening();
  const seeded = await seedThroughAdmin(adminClient(url, token), fake, "stray");
  const lines = () =>
    proc!
      .stdout()
      .split("\n")
      .filter((line) => line.includes("uncaught error contained"));
  await waitFor(() => lines().length >= 2, 10_000);
  expect(lines().map((line) => JSON.parse(line))).toMatchObject([
    { level: "error", kind: "exception", error: "TypeError", code: "E_STRAY_TEST" },
    { level: "error", kind: "rejection", error: "RangeError" },
  ]);
  expect(proc.stdout() + proc.stderr()).not.toContain("stray-error-canary");
  // Still serving.
  const response = await fetch(`${url}/backend-api/codex/responses`, {
    method: "POST",
    headers: { authorization: `Bearer ${seeded.key}`, "content-type": "application/json" },
    body: JSON.stringify(TEXT_TURN_BODY),
  });
  expect(response.status).toBe(200);
  expect(await response.text()).toContain("response.completed");
  expect(proc.child.exitCode).toBeNull();
  proc.child.kill("SIGTERM");
  expect(await proc.waitForExit(15_000)).toEqual({ code: 0, signal: null });
});
