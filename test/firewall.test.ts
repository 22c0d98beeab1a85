// The runtime firewall (a client-IP allow-list, GET/PATCH /admin/v1/settings): through the local
// host, whose clients here all connect from 127.0.0.1, so forwarding headers stand in for others.
import { beforeEach, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { type FaultyStore, faultyStore } from "./helpers/faulty-store.ts";
import { TEXT_TURN_BODY, useTestGateway } from "./helpers/gateway.ts";

const { gw, seeded } = useTestGateway({ seed: { pool: "fw" } });

const DENIED = {
  error: {
    message: "client IP is not allowed",
    type: "invalid_request_error",
    code: "access_denied",
    param: null,
  },
};

const setFirewall = (firewall: Record<string, unknown>) => gw.admin("PATCH", "/settings", { firewall });
const OFF = { allow: [], trustedProxies: [], clientIpSource: "x_forwarded_for", proxyDepth: 0 };

const runtime = (headers: Record<string, string> = {}, key = seeded.key) =>
  gw.turn(key, TEXT_TURN_BODY, { headers });

/** 200 (served) or 403 (refused by the firewall); anything else fails the test. */
async function verdict(headers: Record<string, string> = {}): Promise<"served" | "denied"> {
  const res = await runtime(headers);
  if (res.status === 200) {
    await res.text();
    return "served";
  }
  expect(res.status).toBe(403);
  expect(await res.json()).toEqual(DENIED);
  return "denied";
}

beforeEach(async () => {
  expect((await setFirewall(OFF)).status).toBe(200);
});

describe("runtime firewall", () => {
  it("is off by default and shows as such", async () => {
    const { body } = await gw.admin("GET", "/settings");
    expect(body.settings.firewall).toEqual({ ...OFF, enabled: false });
    expect(await verdict()).toBe("served");
  });

  it("refuses a client outside the list on every client route, before authentication", async () => {
    const set = await setFirewall({ allow: ["10.0.0.0/8", "2001:db8::/32"] });
    expect(set.status).toBe(200);
    expect(set.body.settings.firewall).toMatchObject({
      enabled: true,
      allow: ["10.0.0.0/8", "2001:db8::/32"],
    });

    expect(await verdict()).toBe("denied");
    // No key, a wrong key: the same 403 (a refused client learns nothing about keys).
    const anonymous = await fetch(`${gw.url}/backend-api/codex/models`);
    expect(anonymous.status).toBe(403);
    expect(await anonymous.json()).toEqual(DENIED);
    const v1 = await fetch(`${gw.url}/v1/models`, { headers: { authorization: "Bearer sk-cxp-wrong" } });
    expect(v1.status).toBe(403);
    expect(await v1.json()).toEqual(DENIED);
    // MCP answers in JSON-RPC.
    const mcp = await fetch(`${gw.url}/mcp`, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/json, text/event-stream" },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "ping" }),
    });
    expect(mcp.status).toBe(403);
    expect(await mcp.json()).toEqual({
      jsonrpc: "2.0",
      error: { code: -32000, message: "client IP is not allowed" },
      id: null,
    });
    // The operator plane and the probes are not behind it (an operator must be able to undo it).
    expect((await fetch(`${gw.url}/healthz`)).status).toBe(200);
    expect((await gw.admin("GET", "/pools")).status).toBe(200);

    // Allowing this client's address lets it through again, at once on this instance.
    expect((await setFirewall({ allow: ["10.0.0.0/8", "127.0.0.1"] })).status).toBe(200);
    expect(await verdict()).toBe("served");
  });

  it("believes X-Forwarded-For only from a trusted proxy, right-most untrusted entry, with depth", async () => {
    await setFirewall({ allow: ["203.0.113.0/24"] });
    // Not trusted yet: the header is ignored and the peer (127.0.0.1) decides.
    expect(await verdict({ "x-forwarded-for": "203.0.113.9" })).toBe("denied");

    await setFirewall({ trustedProxies: ["127.0.0.1", "192.0.2.0/24"] });
    expect(await verdict({ "x-forwarded-for": "203.0.113.9" })).toBe("served");
    expect(await verdict({ "x-forwarded-for": "198.51.100.1" })).toBe("denied");
    // A client cannot prepend an allowed address: the right-most untrusted entry counts.
    expect(await verdict({ "x-forwarded-for": "203.0.113.9, 198.51.100.1" })).toBe("denied");
    // Trusted proxies in the chain are skipped; ports and IPv4-mapped forms are read.
    expect(await verdict({ "x-forwarded-for": "203.0.113.9:51234, 192.0.2.10" })).toBe("served");
    expect(await verdict({ "x-forwarded-for": "::ffff:203.0.113.9" })).toBe("served");
    // No header from the proxy: the proxy itself is the client.
    expect(await verdict()).toBe("denied");
    // Unreadable or too long: refused, never guessed.
    expect(await verdict({ "x-forwarded-for": "not-an-ip" })).toBe("denied");
    expect(await verdict({ "x-forwarded-for": Array(33).fill("203.0.113.9").join(", ") })).toBe("denied");

    // Depth 1: one more entry to the left (a second proxy layer the operator knows of).
    await setFirewall({ proxyDepth: 1 });
    expect(await verdict({ "x-forwarded-for": "203.0.113.9, 198.51.100.1" })).toBe("served");
    expect(await verdict({ "x-forwarded-for": "203.0.113.9" })).toBe("denied");

    // X-Real-IP instead: exactly one address.
    await setFirewall({ clientIpSource: "x_real_ip", proxyDepth: 0 });
    expect(await verdict({ "x-real-ip": "203.0.113.9" })).toBe("served");
    expect(await verdict({ "x-real-ip": "203.0.113.9, 198.51.100.1" })).toBe("denied");
    expect(await verdict({ "x-forwarded-for": "203.0.113.9" })).toBe("denied");

    // Peer only: headers never count.
    await setFirewall({ clientIpSource: "peer" });
    expect(await verdict({ "x-real-ip": "203.0.113.9" })).toBe("denied");
  });

  it("refuses invalid settings with the field named, and keeps the previous ones", async () => {
    await setFirewall({ allow: ["127.0.0.1"] });
    for (const [firewall, param] of [
      [{ allow: ["10.0.0.0/33"] }, "firewall.allow.0"],
      [{ allow: ["127.0.0.1", "banana"] }, "firewall.allow.1"],
      [{ trustedProxies: ["10.0.0.1/8/8"] }, "firewall.trustedProxies.0"],
      [{ proxyDepth: 17 }, "firewall.proxyDepth"],
      [{ clientIpSource: "cookie" }, "firewall.clientIpSource"],
      [{ allowed: ["127.0.0.1"] }, "firewall"],
    ] as const) {
      const res = await setFirewall(firewall);
      expect(res.status, JSON.stringify(firewall)).toBe(400);
      expect(res.body.error).toMatchObject({ type: "invalid_request_error", code: "invalid_request" });
      expect(res.body.error.param, JSON.stringify(firewall)).toBe(param);
    }
    expect((await gw.admin("GET", "/settings")).body.settings.firewall.allow).toEqual(["127.0.0.1"]);
    expect(await verdict()).toBe("served");
  });

  it("audits each change with what changed", async () => {
    await setFirewall({ allow: ["198.51.100.0/24", "127.0.0.1"], trustedProxies: ["192.0.2.1"] });
    const { body } = await gw.admin("GET", "/audit-events?action=settings.update&limit=1");
    expect(body.data[0]).toMatchObject({
      action: "settings.update",
      details: { "firewall.allow": "198.51.100.0/24,127.0.0.1", "firewall.trustedProxies": "192.0.2.1" },
    });
    expect(Object.keys(body.data[0].details).sort()).toEqual(["firewall.allow", "firewall.trustedProxies"]);
  });

  it("refuses a WebSocket upgrade, and closes an open socket with 1008 at its next turn", async () => {
    await setFirewall({ allow: ["127.0.0.1"] });
    const ws = new WebSocket(`${gw.url.replace("http", "ws")}/backend-api/codex/responses`, {
      headers: { authorization: `Bearer ${seeded.key}` },
    });
    await new Promise((resolve, reject) => {
      ws.once("open", resolve);
      ws.once("error", reject);
    });
    const closed = new Promise<{ code: number; reason: string }>((resolve) =>
      ws.once("close", (code, reason) => resolve({ code, reason: reason.toString() })),
    );

    await setFirewall({ allow: ["10.0.0.0/8"] });
    ws.send(JSON.stringify({ type: "response.create", model: "gpt-5.5", input: TEXT_TURN_BODY.input }));
    expect(await closed).toEqual({ code: 1008, reason: "client IP is not allowed" });

    const refused = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const again = new WebSocket(`${gw.url.replace("http", "ws")}/backend-api/codex/responses`, {
        headers: { authorization: `Bearer ${seeded.key}` },
      });
      again.once("unexpected-response", (_req, res) => {
        let body = "";
        res.on("data", (chunk) => {
          body += chunk;
        });
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
      });
      again.once("open", () => reject(new Error("upgrade accepted")));
    });
    expect(refused.status).toBe(403);
    expect(JSON.parse(refused.body)).toEqual(DENIED);
  });
});

describe("runtime firewall when the store cannot be read", () => {
  const store: FaultyStore = faultyStore();
  let offset = 0;
  const clock = { now: () => Date.now() + offset };
  const { gw: faulty } = useTestGateway({ clock, wrapStore: store.wrap });

  it("keeps the last settings it read (never falls open), and answers 503 when it has none yet", async () => {
    // Cold: the very first read fails.
    store.inject((call) => call === "settings.get", "throttle");
    const cold = await fetch(`${faulty.url}/backend-api/codex/models`);
    expect(cold.status).toBe(503);
    expect((await cold.json()).error).toMatchObject({ code: "settings_unavailable" });
    store.clear();

    expect((await faulty.admin("PATCH", "/settings", { firewall: { allow: ["10.0.0.0/8"] } })).status).toBe(
      200,
    );
    // Past the settings cache's lifetime, with the store failing: the firewall still holds.
    offset += 60_000;
    store.inject((call) => call === "settings.get", "throttle");
    const held = await fetch(`${faulty.url}/backend-api/codex/models`);
    expect(held.status).toBe(403);
    expect(await held.json()).toEqual(DENIED);
    expect(store.failed).toContain("settings.get");
    store.clear();
  });
});
