// The unary routes (files, native images, audio, legacy compaction) go through the same attempt loop as the
// SSE relay: an account that answers 5xx is skipped for the next one before anything reaches the
// client, demoted for 60 s, its circuit opens after 3 failures, and one half-open probe lets it back.
import { describe, expect, it } from "vitest";
import { NO_KEEPALIVE, type Seeded, useTestGateway } from "./helpers/gateway.ts";

let offset = 0;
const clock = { now: () => Date.now() + offset };

const { gw } = useTestGateway({ env: NO_KEEPALIVE, clock });

type Route = {
  name: string;
  upstreamPath: RegExp;
  send(key: string): Promise<Response>;
};

const json = (path: string, body: unknown) => (key: string) => gw.post(path, key, body);

const form = (path: string, fill: (f: FormData) => void) => (key: string) => {
  const f = new FormData();
  fill(f);
  return fetch(`${gw.url}${path}`, { method: "POST", headers: { authorization: `Bearer ${key}` }, body: f });
};

const ROUTES: Route[] = [
  {
    name: "legacy compaction",
    upstreamPath: /^\/backend-api\/codex\/responses\/compact$/,
    send: json("/backend-api/codex/responses/compact", {
      model: "gpt-5.5",
      instructions: "x",
      input: [{ role: "user", content: "hi" }],
    }),
  },
  {
    name: "/v1/files",
    upstreamPath: /^\/backend-api\/files$/,
    send: form("/v1/files", (f) => {
      f.append("file", new Blob([Buffer.from("hello")], { type: "text/plain" }), "a.txt");
      f.append("purpose", "user_data");
    }),
  },
  {
    // (/v1/images/* is a Responses turn with the image tool: the SSE relay's loop.)
    name: "/backend-api/codex/images/generations",
    upstreamPath: /^\/backend-api\/codex\/images\/generations$/,
    send: json("/backend-api/codex/images/generations", { prompt: "a cat" }),
  },
  {
    name: "/backend-api/transcribe",
    upstreamPath: /^\/backend-api\/transcribe$/,
    send: form("/backend-api/transcribe", (f) => {
      f.append("file", new Blob([Buffer.from("fake")], { type: "audio/mpeg" }), "a.mp3");
    }),
  },
  {
    name: "/v1/audio/transcriptions",
    upstreamPath: /^\/backend-api\/transcribe$/,
    send: form("/v1/audio/transcriptions", (f) => {
      f.append("file", new Blob([Buffer.from("fake")], { type: "audio/mpeg" }), "a.mp3");
      f.append("model", "gpt-4o-mini-transcribe");
    }),
  },
];

const callsTo = (accountId: string, path: RegExp) =>
  gw.fake.requests.filter((r) => r.accountId === accountId && path.test(r.path)).length;

describe.each(ROUTES)("$name fails over like the relay", (route) => {
  it("skips an account answering 500 before the client sees it, and demotes it", async () => {
    const seeded = await gw.seed({ accounts: 3 });
    const bad = seeded.accounts[0] as Seeded["accounts"][0];
    gw.fake.failUnary(bad.accountId, 500);
    // Requests until the failing account has been tried first once (its order is per request).
    for (let i = 0; i < 40 && callsTo(bad.accountId, route.upstreamPath) === 0; i++) {
      const response = await route.send(seeded.key);
      expect(response.status, await response.clone().text()).toBe(200);
      await response.arrayBuffer();
    }
    expect(callsTo(bad.accountId, route.upstreamPath)).toBe(1);
    const failedOver = await gw.requestLog(seeded.keyId, (r: { attempts: number }) => r.attempts === 2);
    expect(failedOver).toMatchObject({ status: 200 });
    expect(failedOver.accountLabel).not.toBe(bad.label);
    // Demoted: tried last from now on, so the next requests never reach it.
    for (let i = 0; i < 8; i++) {
      const response = await route.send(seeded.key);
      expect(response.status).toBe(200);
      await response.arrayBuffer();
    }
    expect(callsTo(bad.accountId, route.upstreamPath)).toBe(1);
  });
});

describe("legacy compaction's circuit", () => {
  it("opens after 3 failures, refuses without calling upstream, then lets one probe through", async () => {
    const seeded = await gw.seed({ accounts: 2 });
    const [a, b] = seeded.accounts as [Seeded["accounts"][0], Seeded["accounts"][0]];
    const route = ROUTES[0] as Route;
    await gw.admin("POST", `/accounts/${b.id}/pause`);
    gw.fake.failUnary(a.accountId, 503);
    for (let i = 0; i < 3; i++) {
      const response = await route.send(seeded.key);
      // Nothing else to try: the upstream's own answer is relayed.
      expect(response.status).toBe(503);
      await response.arrayBuffer();
    }
    const before = callsTo(a.accountId, route.upstreamPath);
    expect(before).toBe(3);
    const blocked = await route.send(seeded.key);
    expect(blocked.status).toBe(503);
    expect((await blocked.json()).error).toMatchObject({ code: "no_eligible_backend" });
    expect(callsTo(a.accountId, route.upstreamPath)).toBe(before);

    gw.fake.failUnary(a.accountId, undefined);
    offset += 61_000;
    const probe = await route.send(seeded.key);
    expect(probe.status).toBe(200);
    await probe.arrayBuffer();
    // The probe's success closed the circuit: the next request is served without a probe.
    const after = await route.send(seeded.key);
    expect(after.status).toBe(200);
    await after.arrayBuffer();
    expect(callsTo(a.accountId, route.upstreamPath)).toBe(before + 2);
  });
});
