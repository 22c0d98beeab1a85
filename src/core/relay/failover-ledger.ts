// What one request learned from the accounts it tried, and the single answer to give when none
// could serve. Shared by the HTTP relay and the WebSocket session so both fail the same way.
import type { CoreContext } from "../context.ts";
import { GatewayError } from "../errors.ts";
import type { Account } from "../model.ts";
import { type Router, usageLimitError } from "../routing/router.ts";

/** An attempt that did not serve: the next candidate is tried (or, when none is left, the answer built). */
export interface Retry {
  kind: "retry";
  status: number;
  code: string;
  /** A real upstream error answer worth relaying if nothing better turns up. */
  relay?: Response;
  usageLimited?: boolean;
  /** The upstream's quota headers from a usage-limit answer. */
  quotaHeaders?: Headers;
  healthNeutral?: boolean;
  /** The gateway's own error behind it (a token that could not be had), for callers that throw. */
  error?: GatewayError;
}

/** What the ledger uses: the router's failure count, the clock for a usage-limit answer, metrics. */
export interface LedgerDeps {
  ctx: Pick<CoreContext, "clock" | "metrics">;
  router: Pick<Router, "recordFailure">;
}

export interface FailoverOutcome {
  response: Response;
  status: number;
  code: string;
}

/** Every candidate was a half-open circuit already being probed elsewhere. */
export const allRecovering = () =>
  new GatewayError(503, "no_eligible_backend", "every candidate account is recovering; retry shortly", {
    param: "model",
  });

export class FailoverLedger {
  readonly usageLimited: Account[] = [];
  #quotaHeaders?: Headers;
  #last?: Retry;
  /** The most telling failure: a real upstream error beats "this account could not be used". */
  #worst?: Retry;

  constructor(
    private readonly deps: LedgerDeps,
    private readonly pool: string,
    private readonly model: string,
  ) {}

  /** Records a failed attempt; a health failure demotes the account and counts towards its circuit. */
  async note(account: Account, attempt: Retry): Promise<void> {
    this.#last = attempt;
    if (!attempt.usageLimited && (!this.#worst || !attempt.healthNeutral)) this.#worst = attempt;
    if (attempt.usageLimited) {
      this.usageLimited.push(account);
      this.#quotaHeaders = attempt.quotaHeaders ?? this.#quotaHeaders;
    } else if (!attempt.healthNeutral) {
      await this.deps.router
        .recordFailure(this.pool, account, this.model, attempt.code)
        .catch(() => undefined);
    }
    this.deps.ctx.metrics.count("upstream_failover", 1, { code: attempt.code });
  }

  /** Every candidate failed (or none could be tried): the one answer for the client. */
  outcome(): FailoverOutcome {
    const last = this.#last;
    if (!last) {
      const error = allRecovering();
      return { response: error.toResponse(), status: 503, code: error.code };
    }
    // Out of quota everywhere that could serve (the others were unusable): Codex shows the reset
    // time rather than retrying. A real upstream failure elsewhere wins, since a retry may succeed.
    const worst = this.#worst;
    if (this.usageLimited.length > 0 && (!worst || worst.healthNeutral)) {
      const response = usageLimitError(this.usageLimited, this.deps.ctx.clock.now()).toResponse();
      // Keep the upstream's quota headers: Codex shows them in its status line.
      this.#quotaHeaders?.forEach((value, name) => {
        if (name.startsWith("x-codex-") && !response.headers.has(name)) response.headers.set(name, value);
      });
      return { response, status: 429, code: "usage_limit_reached" };
    }
    const failure = worst ?? last;
    const response =
      failure.relay ??
      new GatewayError(
        failure.status,
        failure.code,
        "upstream request failed on every account tried; try again shortly",
      ).toResponse();
    return { response, status: failure.status, code: failure.code };
  }
}
