// A Store decorator for the local host that coalesces the additive counter writes every finished
// request makes (the key's token counters, the daily usage rollups with the Pool's five-minute
// buckets) for a short window and writes each counter item once per window with the sum. With the
// embedded emulator every store write costs CPU in the gateway's own process; this turns three of a
// request's four writes into a few per window.
// Reads of those counters flush first, so this instance always reads its own writes; writers wait
// for the flush, so a request-log row still lands only after its rollups.
import type { KeyUsageRepository, Store, UsageRollupRepository } from "../core/ports.ts";
import type { RollupCounts, RollupIncrement, RollupTarget } from "../core/usage/model.ts";

export interface CoalescingStore extends Store {
  /** Writes every pending counter now (shutdown, tests). */
  flush(): Promise<void>;
}

interface Waiter {
  resolve(): void;
  reject(error: unknown): void;
}

interface Pending {
  write(): Promise<void>;
  waiters: Waiter[];
}

export function coalescingStore(store: Store, options: { flushMs: number }): CoalescingStore {
  let pending = new Map<string, Pending & { value: unknown }>();
  let timer: NodeJS.Timeout | undefined;

  const flush = async (): Promise<void> => {
    clearTimeout(timer);
    timer = undefined;
    const batch = pending;
    pending = new Map();
    await Promise.all(
      [...batch.values()].map((entry) =>
        entry.write().then(
          () => {
            for (const w of entry.waiters) w.resolve();
          },
          (error: unknown) => {
            for (const w of entry.waiters) w.reject(error);
          },
        ),
      ),
    );
  };

  /** Joins `key`'s pending write (merging into it) or starts one; resolves once it is written. */
  const enqueue = <T>(
    key: string,
    value: T,
    merge: (into: T, next: T) => void,
    write: (v: T) => Promise<void>,
  ) =>
    new Promise<void>((resolve, reject) => {
      const existing = pending.get(key) as (Pending & { value: T }) | undefined;
      if (existing) {
        merge(existing.value, value);
        existing.waiters.push({ resolve, reject });
      } else {
        const entry: Pending & { value: T } = {
          value,
          waiters: [{ resolve, reject }],
          write: () => write(entry.value),
        };
        pending.set(key, entry);
      }
      timer ??= setTimeout(() => void flush(), options.flushMs);
    });

  const keyUsage: KeyUsageRepository = {
    // A limit check must see every token this instance counted.
    admit: async (...args) => {
      if (pending.size > 0) await flush().catch(() => undefined);
      return store.keyUsage.admit(...args);
    },
    addTokens: (keyId, windows, tokens) =>
      enqueue(
        `tokens\u0000${keyId}\u0000${windows.week.id}\u0000${windows.day.id}`,
        { tokens },
        (into, next) => {
          into.tokens += next.tokens;
        },
        (v) => store.keyUsage.addTokens(keyId, windows, v.tokens),
      ),
    get: async (...args) => {
      if (pending.size > 0) await flush().catch(() => undefined);
      return store.keyUsage.get(...args);
    },
  };

  const usageRollups: UsageRollupRepository = {
    add(targets: RollupTarget[], increment: RollupIncrement) {
      // An error code is counted once per call by the repository, a failure names its code: those
      // go straight through; plain successes are summed per item (and five-minute bucket).
      if (increment.errorCode || increment.recent.failures > 0 || increment.recent.errorCode) {
        return store.usageRollups.add(targets, increment);
      }
      // One pending sum per item: a Pool's item is shared by all of its keys and accounts.
      const common = JSON.stringify([
        increment.day,
        increment.model,
        increment.expiresAt,
        increment.recent.bucket,
      ]);
      return Promise.all(
        targets.map((target) =>
          enqueue(
            `rollup\u0000${JSON.stringify(target)}\u0000${common}`,
            { ...increment, counts: { ...increment.counts } },
            (into, next) => {
              for (const field of Object.keys(next.counts) as (keyof RollupCounts)[]) {
                into.counts[field] += next.counts[field];
              }
            },
            (v) => store.usageRollups.add([target], v),
          ),
        ),
      ).then(() => undefined);
    },
    list: async (...args) => {
      if (pending.size > 0) await flush().catch(() => undefined);
      return store.usageRollups.list(...args);
    },
    listRecent: async (...args) => {
      if (pending.size > 0) await flush().catch(() => undefined);
      return store.usageRollups.listRecent(...args);
    },
  };

  return { ...store, keyUsage, usageRollups, flush };
}
