// Keeps each account's passive quota evidence current without a store write per request, and without
// one before the client's first byte: evidence from a response's headers or stream is applied in
// memory at once (this instance routes by it) and written with the turn's end-of-turn account write
// (`succeeded`, together with the last-success stamp), so a turn makes at most one account update,
// after its stream. A usage-limit answer (`exhausted`) and the usage poll (`record`) write at once:
// every instance must stop routing to an exhausted account.
import type { CoreContext } from "../context.ts";
import type { Account, QuotaEvidence } from "../model.ts";
import type { AccountDirectory } from "../routing/account-directory.ts";
import { quotaFromHeaders, quotaFromRateLimitsEvent, type UsageLimit } from "./quota.ts";

const WRITE_INTERVAL_MS = 30_000;

export class QuotaRecorder {
  readonly #lastWrite = new Map<string, number>();
  readonly #writes = new Map<string, Promise<void>>();
  /** Passive evidence applied in memory, written with the account's next end-of-exchange write. */
  readonly #pending = new Map<string, Partial<Account>>();

  constructor(
    private readonly ctx: CoreContext,
    private readonly directory: AccountDirectory,
  ) {}

  /** Called with every upstream response's headers. */
  observe(account: Account, headers: Headers): void {
    this.#apply(account, quotaFromHeaders(headers, this.ctx.clock.now()));
  }

  /** `codex.rate_limits` events inside a stream carry the same evidence. */
  observeEvent(account: Account, event: Record<string, unknown>): void {
    this.#apply(account, quotaFromRateLimitsEvent(event, this.ctx.clock.now()));
  }

  /** Authoritative evidence from the usage poller: always written. */
  record(account: Account, evidence: QuotaEvidence): void {
    const now = this.ctx.clock.now();
    account.quota = evidence;
    this.#lastWrite.set(account.id, now);
    this.#pending.delete(account.id);
    if (evidence.exhaustedUntil) this.directory.noteExhausted(account.id, evidence.exhaustedUntil);
    else this.directory.clearExhausted(account.id);
    this.#write(account, { quota: evidence, planType: evidence.planType ?? account.planType });
  }

  #apply(account: Account, evidence: QuotaEvidence | undefined): void {
    const now = this.ctx.clock.now();
    const wasExhausted = (account.quota?.exhaustedUntil ?? 0) * 1000 > now;
    if (!evidence) return;
    if (!wasExhausted && now - (this.#lastWrite.get(account.id) ?? 0) < WRITE_INTERVAL_MS) return;
    this.#lastWrite.set(account.id, now);
    account.quota = evidence;
    this.#pending.set(account.id, {
      quota: evidence,
      lastUsedAt: now,
      planType: evidence.planType ?? account.planType,
    });
  }

  /**
   * The exchange with this account is over (a non-turn call such as a catalog read): writes the
   * evidence it left pending, if any.
   */
  flush(account: Account): void {
    const pending = this.#pending.get(account.id);
    if (!pending) return;
    this.#pending.delete(account.id);
    this.#write(account, pending);
  }

  /** A usage-limit answer: the account is out until its reset, for every instance. */
  exhausted(account: Account, limit: UsageLimit, headers: Headers): void {
    const now = this.ctx.clock.now();
    const evidence = {
      ...(quotaFromHeaders(headers, now) ?? { observedAt: now }),
      exhaustedUntil: limit.resetsAt,
    };
    account.quota = evidence;
    this.#lastWrite.set(account.id, now);
    this.#pending.delete(account.id);
    this.directory.noteExhausted(account.id, limit.resetsAt);
    this.#write(account, { quota: evidence, lastErrorCode: "usage_limit_reached" });
  }

  /**
   * A served turn, after its stream: one account update with the evidence it left pending and the
   * last-success stamp (at most once a minute per account); none when neither is due.
   */
  succeeded(account: Account): void {
    const now = this.ctx.clock.now();
    const pending = this.#pending.get(account.id);
    this.#pending.delete(account.id);
    const stamp = now - (account.lastSuccessAt ?? 0) >= WRITE_INTERVAL_MS * 2;
    if (stamp) account.lastSuccessAt = now;
    if (!pending && !stamp) return;
    this.#write(account, { ...pending, ...(stamp ? { lastSuccessAt: now } : {}) });
  }

  /** The upstream refused this model for this account; route the model elsewhere from now on. */
  async modelUnavailable(account: Account, model: string): Promise<void> {
    const models = [...new Set([...(account.unavailableModels ?? []), model])].slice(-50);
    account.unavailableModels = models;
    await this.ctx.store.accounts.update(account.id, {
      unavailableModels: models,
      updatedAt: this.ctx.clock.now(),
    });
    this.directory.invalidate();
  }

  #write(account: Account, patch: Partial<Account>): void {
    // One account's writes land in the order they were made: the usage-limit mark must not be
    // overwritten by the evidence write for the same answer, sent a moment before it (concurrent
    // writes can reach the store in either order).
    const update = { ...patch, updatedAt: this.ctx.clock.now() };
    const previous = this.#writes.get(account.id) ?? Promise.resolve();
    const written = previous
      .then(() => this.ctx.store.accounts.update(account.id, update))
      .then(
        () => undefined,
        (error: unknown) => {
          this.ctx.logger.warn("quota evidence write failed", {
            account: account.label,
            error: String(error),
          });
        },
      )
      .finally(() => {
        if (this.#writes.get(account.id) === written) this.#writes.delete(account.id);
      });
    this.#writes.set(account.id, written);
    this.ctx.background(written);
  }
}
