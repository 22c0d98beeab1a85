// Strategy orderings: deterministic for the same seed and set, and each ranks by what it promises.
import { describe, expect, it } from "vitest";
import { ROUTING_STRATEGIES } from "../src/admin-contract/enums.ts";
import type { Account, QuotaWindow } from "../src/core/model.ts";
import { capacityScore, orderCandidates, rendezvousScore } from "../src/core/routing/strategies.ts";

const NOW = 1_795_557_334_000;
const nowS = NOW / 1000;

function account(
  id: string,
  primary?: Partial<QuotaWindow>,
  secondary?: Partial<QuotaWindow>,
  observedAgoMs = 0,
): Account {
  return {
    id,
    label: id,
    pools: ["p"],
    status: "active",
    chatgptAccountId: `acct_${id}`,
    secretName: `accounts/${id}`,
    credentialEpoch: 1,
    createdAt: 0,
    updatedAt: 0,
    quota:
      primary || secondary
        ? {
            observedAt: NOW - observedAgoMs,
            primary: primary ? { usedPercent: 0, resetAt: nowS + 3600, ...primary } : undefined,
            secondary: secondary ? { usedPercent: 0, resetAt: nowS + 86_400, ...secondary } : undefined,
          }
        : undefined,
  };
}

const ids = (list: Account[]) => list.map((a) => a.id);

describe("every strategy", () => {
  const set = ["a", "b", "c", "d", "e"].map((id, i) => account(id, { usedPercent: i * 15 }));
  it.each(ROUTING_STRATEGIES)(
    "%s is deterministic for the same seed and set, and a permutation of it",
    (strategy) => {
      const first = ids(orderCandidates(strategy, { seed: "s1", candidates: set, nowMs: NOW }));
      const again = ids(
        orderCandidates(strategy, { seed: "s1", candidates: [...set].reverse(), nowMs: NOW }),
      );
      expect(first.sort()).toEqual(["a", "b", "c", "d", "e"]);
      expect(ids(orderCandidates(strategy, { seed: "s1", candidates: set, nowMs: NOW }))).toEqual(
        ids(orderCandidates(strategy, { seed: "s1", candidates: set, nowMs: NOW })),
      );
      if (strategy !== "deterministic_rotation") expect(again.sort()).toEqual(first.sort());
    },
  );
});

describe("bridge_ring", () => {
  it("orders by descending SHA-256 rendezvous score and spreads different seeds", () => {
    const set = ["a", "b", "c"].map((id) => account(id));
    const order = ids(orderCandidates("bridge_ring", { seed: "x", candidates: set, nowMs: NOW }));
    const expected = [...set].sort((p, q) =>
      rendezvousScore("x", q.id) > rendezvousScore("x", p.id) ? 1 : -1,
    );
    expect(order).toEqual(ids(expected));
    const firsts = new Set(
      Array.from(
        { length: 60 },
        (_, i) => orderCandidates("bridge_ring", { seed: `r${i}`, candidates: set, nowMs: NOW })[0]?.id,
      ),
    );
    expect(firsts.size).toBe(3);
  });

  it("keeps the relative order of the others when one account leaves (minimal disruption)", () => {
    const set = ["a", "b", "c", "d"].map((id) => account(id));
    const full = ids(orderCandidates("bridge_ring", { seed: "k", candidates: set, nowMs: NOW }));
    const without = ids(
      orderCandidates("bridge_ring", {
        seed: "k",
        candidates: set.filter((a) => a.id !== full[0]),
        nowMs: NOW,
      }),
    );
    expect(without).toEqual(full.slice(1));
  });
});

describe("deterministic_rotation", () => {
  it("rotates the input order by a seed-derived offset", () => {
    const set = ["a", "b", "c", "d"].map((id) => account(id));
    const order = ids(orderCandidates("deterministic_rotation", { seed: "z", candidates: set, nowMs: NOW }));
    const start = ["a", "b", "c", "d"].indexOf(order[0]!);
    expect(order).toEqual([...["a", "b", "c", "d"].slice(start), ...["a", "b", "c", "d"].slice(0, start)]);
  });
});

describe("least_recent_success", () => {
  it("puts never-succeeded first, then the oldest success", () => {
    const set = ["a", "b", "c"].map((id) => account(id));
    const last = new Map([
      ["a", NOW - 10],
      ["c", NOW - 1000],
    ]);
    const order = ids(
      orderCandidates("least_recent_success", {
        seed: "q",
        candidates: set,
        nowMs: NOW,
        lastSuccessAt: (id) => last.get(id),
      }),
    );
    expect(order).toEqual(["b", "c", "a"]);
  });
});

describe("quota_first", () => {
  it("ranks by the minimum remaining over usable windows; stale or missing evidence ranks last", () => {
    const set = [
      account("weekly-tight", { usedPercent: 10 }, { usedPercent: 90 }), // min remaining 10
      account("roomy", { usedPercent: 30 }, { usedPercent: 40 }), // 60
      account("no-evidence"),
      account("stale", { usedPercent: 0 }, undefined, 20 * 60_000),
      account("middle", { usedPercent: 50 }), // 50
    ];
    const order = ids(orderCandidates("quota_first", { seed: "q", candidates: set, nowMs: NOW }));
    expect(order.slice(0, 3)).toEqual(["roomy", "middle", "weekly-tight"]);
    expect(order.slice(3).sort()).toEqual(["no-evidence", "stale"]);
  });

  it("treats a full window whose reset already passed as refilled, never as 100 %", () => {
    const refilled = account("refilled", { usedPercent: 100, resetAt: nowS - 5 });
    expect(capacityScore(refilled, NOW)).toBeUndefined();
    const full = account("full", { usedPercent: 100 });
    expect(capacityScore(full, NOW)).toBe(0);
  });
});

describe("capacity_weighted", () => {
  it("sends more first picks to accounts with more remaining capacity", () => {
    const set = [account("big", { usedPercent: 10 }), account("small", { usedPercent: 90 })];
    let big = 0;
    for (let i = 0; i < 400; i++) {
      if (
        orderCandidates("capacity_weighted", { seed: `w${i}`, candidates: set, nowMs: NOW })[0]?.id === "big"
      )
        big++;
    }
    // Weights 90 vs 10: about 90 % of first picks.
    expect(big).toBeGreaterThan(320);
    expect(big).toBeLessThan(390);
  });
});

describe("reset_drain", () => {
  it("uses first the accounts whose window resets soonest, accounts without evidence last", () => {
    const set = [
      account("late", { usedPercent: 20, resetAt: nowS + 4 * 3600 }),
      account("soon", { usedPercent: 60, resetAt: nowS + 600 }),
      account("unknown"),
      account("mid", { usedPercent: 20, resetAt: nowS + 3600 }),
    ];
    expect(ids(orderCandidates("reset_drain", { seed: "d", candidates: set, nowMs: NOW }))).toEqual([
      "soon",
      "mid",
      "late",
      "unknown",
    ]);
  });
});
