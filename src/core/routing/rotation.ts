// Deterministic rotation: each request starts one account further along the Pool's list, and the
// rest follow in order as failover candidates. (The routing issue adds the other strategies.)
import type { Account } from "../model.ts";

export class RotationRouter {
  readonly #next = new Map<string, number>();

  order(pool: string, accounts: Account[]): Account[] {
    if (accounts.length === 0) return [];
    const start = (this.#next.get(pool) ?? 0) % accounts.length;
    this.#next.set(pool, start + 1);
    return [...accounts.slice(start), ...accounts.slice(0, start)];
  }
}
