import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { DAY_MS, utcDay } from "../src/core/support/utc-day.ts";

const iso = (ms: number) => new Date(ms).toISOString().slice(0, 10);

describe("utcDay", () => {
  it("names the same day as the ISO string, whatever the order of the calls (its cache included)", () => {
    const times = fc.oneof(
      fc.integer({ min: -8.64e15, max: 8.64e15 }),
      // Next to midnight, where a stale cache would show.
      fc
        .tuple(fc.integer({ min: -1e5, max: 1e5 }), fc.integer({ min: -2, max: 2 }))
        .map(([day, off]) => day * DAY_MS + off),
    );
    fc.assert(
      fc.property(fc.array(times, { minLength: 1, maxLength: 20 }), (list) => {
        for (const ms of list) expect(utcDay(ms)).toBe(iso(ms));
      }),
      { numRuns: 300 },
    );
  });

  it("throws for a time a Date cannot hold, as the ISO string does", () => {
    expect(utcDay(8.64e15)).toBe(iso(8.64e15));
    expect(() => utcDay(8.64e15 + 1)).toThrow(RangeError);
    expect(() => utcDay(Number.NaN)).toThrow(RangeError);
    expect(() => utcDay(8.64e15 + DAY_MS)).toThrow(RangeError);
  });
});
