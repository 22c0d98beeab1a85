// The real Codex CLI (0.169.0) with `supports_websockets = true` through the local host: the turns
// travel over one downstream WebSocket and one pinned upstream WebSocket, with no HTTP fallback.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { codexHome, runCodex } from "./helpers/codex-cli.ts";
import { type Seeded, startTestGateway, type TestGateway, waitFor } from "./helpers/gateway.ts";

let gw: TestGateway;
let home: string;

beforeAll(async () => {
  gw = await startTestGateway();
  home = codexHome(gw.url, { websockets: true });
});
afterAll(async () => {
  await gw?.stop();
});

const sessionsOf = (seeded: Seeded) =>
  gw.fake.websocketSessions.filter((s) => seeded.accounts.some((a) => a.accountId === s.accountId));
const httpPostsOf = (seeded: Seeded) => seeded.accounts.flatMap((a) => gw.fake.responsesFor(a.accountId));
const logsOf = async (seeded: Seeded) =>
  (await gw.admin("GET", `/request-logs?key=${seeded.keyId}`)).body.data as Record<string, any>[];

describe("Codex CLI over the Responses WebSocket", () => {
  it("completes the warm-up and a turn on one pinned upstream socket, without HTTP", async () => {
    const seeded = await gw.seed({ accounts: 2 });
    const result = await runCodex(home, seeded.key, ["Say hi"]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("Hello from fake upstream.");
    expect(result.stderr).not.toMatch(/Falling back|ERROR/);

    expect(httpPostsOf(seeded)).toHaveLength(0);
    const sessions = sessionsOf(seeded);
    expect(sessions).toHaveLength(1);
    const [warmup, turn] = sessions[0]!.requests;
    expect(warmup).toMatchObject({ type: "response.create", generate: false });
    // The continuation carries only the new input, relayed unchanged.
    expect(turn).toMatchObject({ type: "response.create", previous_response_id: expect.any(String) });
    expect(turn!.generate).toBeUndefined();
    const headers = sessions[0]!.headers;
    expect(headers["openai-beta"]).toContain("responses_websockets=2026-02-06");
    expect(headers.authorization).not.toContain(seeded.key);
    expect(headers.originator).toBe("codex_exec");

    const rows = await waitFor(async () => {
      const logs = await logsOf(seeded);
      return logs.length >= 2 ? logs : undefined;
    });
    expect(rows.every((r) => r.transport === "websocket" && r.status === 200)).toBe(true);
    expect(rows.map((r) => r.usage?.inputTokens).sort()).toEqual([0, 120]);
  });

  it("completes a tool-using turn: the function_call_output continues on the same socket", async () => {
    const seeded = await gw.seed({ accounts: 2 });
    const result = await runCodex(home, seeded.key, [
      "--dangerously-bypass-approvals-and-sandbox",
      "RUN_TOOL please echo",
    ]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("Hello from fake upstream.");
    expect(httpPostsOf(seeded)).toHaveLength(0);
    const sessions = sessionsOf(seeded);
    expect(sessions).toHaveLength(1);
    const requests = sessions[0]!.requests;
    expect(requests).toHaveLength(3);
    const followUp = requests[2] as {
      previous_response_id?: string;
      input: { type: string; output?: unknown }[];
    };
    expect(followUp.previous_response_id).toEqual(expect.any(String));
    expect(followUp.input.map((i) => i.type)).toEqual(["function_call_output"]);
    expect(JSON.stringify(followUp.input[0]!.output)).toContain("hi");
  });

  it("serves every turn from the other account when one answers its warm-up with a usage limit", async () => {
    const seeded = await gw.seed({ accounts: 2 });
    const [out, ok] = seeded.accounts;
    gw.fake.setDefaultBehavior(out!.accountId, { kind: "usage_limit_429" });
    for (let i = 0; i < 2; i++) {
      const result = await runCodex(home, seeded.key, ["Say hi"]);
      expect(result.code).toBe(0);
      expect(result.stdout).toContain("Hello from fake upstream.");
    }
    expect(httpPostsOf(seeded)).toHaveLength(0);
    // Tried at most once: after its usage limit the account is skipped until its reset.
    const outFrames = gw.fake.websocketSessions.filter((s) => s.accountId === out!.accountId);
    expect(outFrames.reduce((n, s) => n + s.frames, 0)).toBeLessThanOrEqual(1);
    const served = gw.fake.websocketSessions.filter((s) => s.accountId === ok!.accountId);
    expect(served.flatMap((s) => s.requests).filter((r) => r.generate !== false)).toHaveLength(2);
  });

  it("shows Codex's usage-limit message when the turn's upstream reports a usage limit", async () => {
    const seeded = await gw.seed({ accounts: 2 });
    // The warm-up is served; the first generating turn on either account hits the limit.
    for (const account of seeded.accounts) gw.fake.enqueue(account.accountId, { kind: "usage_limit_429" });
    const result = await runCodex(home, seeded.key, ["Say hi"]);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/hit your usage limit.*try again at/i);
    expect(httpPostsOf(seeded)).toHaveLength(0);
    const row = await waitFor(async () =>
      (await logsOf(seeded)).find((r) => r.errorCode === "usage_limit_reached"),
    );
    expect(row).toMatchObject({ status: 429, transport: "websocket" });
  });

  it("shows Codex's usage-limit message when every account of the pool is out", async () => {
    const seeded = await gw.seed({ accounts: 2 });
    for (const account of seeded.accounts)
      gw.fake.setDefaultBehavior(account.accountId, { kind: "usage_limit_429" });
    const result = await runCodex(home, seeded.key, ["Say hi"]);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/hit your usage limit.*try again at/i);
    // Now the gateway knows: the next upgrade itself is answered 429, with the same message.
    const again = await runCodex(home, seeded.key, ["Say hi"]);
    expect(again.code).not.toBe(0);
    expect(again.stderr).toMatch(/hit your usage limit.*try again at/i);
    expect(httpPostsOf(seeded)).toHaveLength(0);
    const sessions = sessionsOf(seeded);
    expect(sessions).toHaveLength(2);
    const rows = await waitFor(async () => {
      const logs = await logsOf(seeded);
      return logs.length >= 2 ? logs : undefined;
    });
    expect(rows.every((r) => r.status === 429 && r.errorCode === "usage_limit_reached")).toBe(true);
  });

  it("recovers when the upstream socket dies between turns: previous_response_not_found, then a full resend", async () => {
    const seeded = await gw.seed({ accounts: 1 });
    const account = seeded.accounts[0]!;
    // The tool Codex runs drops the pinned upstream socket, so its follow-up finds no owner.
    const trigger: Server = createServer((_req, res) => {
      res.end(`dropped ${gw.fake.dropWebSockets(account.accountId)}`);
    });
    await new Promise<void>((resolve) => trigger.listen(0, "127.0.0.1", resolve));
    const url = `http://127.0.0.1:${(trigger.address() as AddressInfo).port}/drop`;
    gw.fake.enqueue(account.accountId, {
      kind: "tool_call",
      command: `node -e "fetch('${url}').then((r) => r.text()).then(console.log)"`,
    });
    try {
      // With stream retries Codex answers previous_response_not_found by resending on a new socket.
      const retrying = codexHome(gw.url, { websockets: true, streamMaxRetries: 1 });
      const result = await runCodex(retrying, seeded.key, [
        "--dangerously-bypass-approvals-and-sandbox",
        "Go",
      ]);
      expect(result.code).toBe(0);
      expect(result.stdout).toContain("Hello from fake upstream.");
    } finally {
      await new Promise((resolve) => trigger.close(resolve));
    }
    expect(httpPostsOf(seeded)).toHaveLength(0);
    const sessions = sessionsOf(seeded);
    expect(sessions.length).toBeGreaterThanOrEqual(2);
    expect(sessions[0]!.closeCode).not.toBe(1000);
    // The resend on the new socket carries the whole history, the tool output included.
    const resend = sessions
      .slice(1)
      .flatMap((s) => s.requests)
      .find((r) => r.generate !== false) as { previous_response_id?: string; input: { type: string }[] };
    expect(resend.previous_response_id).toBeUndefined();
    expect(resend.input.map((i) => i.type)).toEqual(
      expect.arrayContaining(["message", "function_call", "function_call_output"]),
    );
    const notFound = await waitFor(async () =>
      (await logsOf(seeded)).find((r) => r.errorCode === "previous_response_not_found"),
    );
    expect(notFound).toMatchObject({ status: 400, transport: "websocket" });
  });
});
