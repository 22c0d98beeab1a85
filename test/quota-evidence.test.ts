// Quota evidence: headers on every response, the per-minute /wham/usage poll (here every second),
// and what routing does with it.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestGateway, TEXT_TURN_BODY, type TestGateway, waitFor } from "./helpers/gateway.ts";

let gw: TestGateway;

beforeAll(async () => {
  gw = await startTestGateway({ POOLER_USAGE_POLL_SECONDS: "1" });
});
afterAll(async () => {
  await gw?.stop();
});

const post = (key: string) =>
  fetch(`${gw.url}/backend-api/codex/responses`, {
    method: "POST",
    headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
    body: JSON.stringify(TEXT_TURN_BODY),
  }).then(async (r) => {
    await r.text();
    return r.status;
  });

const view = async (pool: string, id: string) =>
  (await gw.admin("GET", `/accounts?pool=${pool}`)).body.data.find((a: { id: string }) => a.id === id);

describe("quota evidence", () => {
  it("records windows from response headers and shows them per account", async () => {
    const seeded = await gw.seed({ accounts: 1 });
    gw.fake.setUsage(seeded.accounts[0]!.accountId, { primaryUsedPercent: 33, secondaryUsedPercent: 44 });
    expect(await post(seeded.key)).toBe(200);
    const account = await waitFor(async () => {
      const v = await view(seeded.pool, seeded.accounts[0]!.id);
      return v.quota?.primaryUsedPercent === 33 && v.lastSuccessAt ? v : undefined;
    });
    expect(account.quota).toMatchObject({
      secondaryUsedPercent: 44,
      primaryWindowMinutes: 300,
      secondaryWindowMinutes: 10080,
    });
    expect(Date.parse(account.quota.primaryResetAt)).toBeGreaterThan(Date.now());
    expect(account.lastSuccessAt).not.toBeNull();
  });

  it("polls /wham/usage: an account reported at 100 % leaves rotation, and comes back once it reports room", async () => {
    const seeded = await gw.seed({ accounts: 2 });
    const [full, spare] = seeded.accounts;
    gw.fake.setUsage(full!.accountId, { primaryUsedPercent: 100 });
    await waitFor(
      async () => ((await view(seeded.pool, full!.id)).quota?.exhaustedUntil ? true : undefined),
      10_000,
    );
    const before = gw.fake.responsesFor(full!.accountId).length;
    for (let i = 0; i < 4; i++) expect(await post(seeded.key)).toBe(200);
    expect(gw.fake.responsesFor(full!.accountId).length).toBe(before);
    expect(gw.fake.responsesFor(spare!.accountId).length).toBe(4);

    gw.fake.setUsage(full!.accountId, { primaryUsedPercent: 20 });
    await waitFor(
      async () => ((await view(seeded.pool, full!.id)).quota?.exhaustedUntil === null ? true : undefined),
      10_000,
    );
    await gw.admin("POST", `/accounts/${spare!.id}/pause`);
    expect(await post(seeded.key)).toBe(200);
    expect(gw.fake.responsesFor(full!.accountId).length).toBe(before + 1);
  });

  it("polls every routable account without touching paused ones", async () => {
    const seeded = await gw.seed({ accounts: 2 });
    const [active, paused] = seeded.accounts;
    await gw.admin("POST", `/accounts/${paused!.id}/pause`);
    const usageCalls = (id: string) =>
      gw.fake.requests.filter((r) => r.path === "/backend-api/wham/usage" && r.accountId === id).length;
    await waitFor(() => (usageCalls(active!.accountId) >= 2 ? true : undefined), 10_000);
    expect(usageCalls(paused!.accountId)).toBe(0);
  });
});
