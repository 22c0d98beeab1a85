// The real Codex CLI (@openai/codex 0.169.0) through the gateway to the fake upstream, over HTTP SSE.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { codexHome, runCodex } from "./helpers/codex-cli.ts";
import { type Seeded, startTestGateway, type TestGateway, waitFor } from "./helpers/gateway.ts";

let gw: TestGateway;
let seeded: Seeded;
let home: string;

/** `codex exec … </dev/null` with the documented HTTP provider block (`codex-pooler-http`). */
const codex = (args: string[], key = seeded.key, codexHomeDir = home) => runCodex(codexHomeDir, key, args);

beforeAll(async () => {
  gw = await startTestGateway();
  seeded = await gw.seed({ accounts: 2 });
  home = codexHome(gw.url, { websockets: false, provider: "codex-pooler-http" });
});
afterAll(async () => {
  await gw?.stop();
});

describe("codex exec through the gateway", () => {
  it("completes a plain turn and the request log records it", async () => {
    const result = await codex(["Say hi"]);
    expect(result.stderr).not.toMatch(/error/i);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("Hello from fake upstream.");
    const calls = seeded.accounts.flatMap((a) => gw.fake.responsesFor(a.accountId));
    expect(calls).toHaveLength(1);
    expect(calls[0]!.headers.originator).toBe("codex_exec");
    expect(calls[0]!.headers.authorization).not.toContain(seeded.key);
    const log = await waitFor(
      async () => (await gw.admin("GET", `/request-logs?key=${seeded.keyId}`)).body.data[0],
    );
    expect(log).toMatchObject({
      status: 200,
      model: "gpt-5.5",
      usage: { inputTokens: 120, outputTokens: 9 },
    });
  });

  it("completes a tool-using turn: runs exec_command and sends its output back", async () => {
    const before = seeded.accounts.flatMap((a) => gw.fake.responsesFor(a.accountId)).length;
    const result = await codex(["--dangerously-bypass-approvals-and-sandbox", "RUN_TOOL please echo"]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("Hello from fake upstream.");
    const calls = seeded.accounts.flatMap((a) => gw.fake.responsesFor(a.accountId)).slice(before);
    expect(calls).toHaveLength(2);
    const followUp = calls.find((c) =>
      JSON.stringify((c.body as { input: unknown[] }).input).includes('"function_call_output"'),
    );
    expect(followUp).toBeDefined();
    const output = (followUp!.body as { input: { type: string; output?: unknown }[] }).input.find(
      (i) => i.type === "function_call_output",
    );
    expect(JSON.stringify(output?.output)).toContain("hi");
  });

  // The WebSocket transport itself is covered in websocket-codex-cli.test.ts.
  it("completes a turn when configured for WebSockets", async () => {
    const wsHome = codexHome(gw.url, { websockets: true, provider: "codex-pooler-http" });
    const result = await codex(["Say hi"], seeded.key, wsHome);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("Hello from fake upstream.");
  });

  it("reports a stream the upstream drops mid-turn as an error, not a silent success", async () => {
    for (const account of seeded.accounts)
      gw.fake.setDefaultBehavior(account.accountId, { kind: "drop_mid_stream" });
    const result = await codex(["Say hi"]);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain("stream disconnected before completion");
    // After visible output there is no replay on another account: exactly one upstream call.
    const log = await waitFor(async () => {
      const { body } = await gw.admin("GET", `/request-logs?key=${seeded.keyId}`);
      return body.data.find((l: { errorCode: string }) => l.errorCode === "stream_interrupted");
    });
    expect(log.attempts).toBe(1);
  });

  it("serves the turn from the second account when the first is out of quota", async () => {
    const pool = await gw.seed({ accounts: 2 });
    const [out, ok] = pool.accounts;
    gw.fake.setDefaultBehavior(out!.accountId, { kind: "usage_limit_429" });
    for (let i = 0; i < 3; i++) {
      const result = await codex(["Say hi"], pool.key);
      expect(result.code).toBe(0);
      expect(result.stdout).toContain("Hello from fake upstream.");
    }
    // Tried at most once: after its 429 the exhausted account is skipped until its reset.
    expect(gw.fake.responsesFor(out!.accountId).length).toBeLessThanOrEqual(1);
    expect(gw.fake.responsesFor(ok!.accountId)).toHaveLength(3);
  });

  it("shows the usage-limit message when every account of the pool is exhausted", async () => {
    for (const account of seeded.accounts) {
      gw.fake.setDefaultBehavior(account.accountId, { kind: "usage_limit_429" });
    }
    const result = await codex(["Say hi"]);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/hit your usage limit.*try again at/i);
  });
});
