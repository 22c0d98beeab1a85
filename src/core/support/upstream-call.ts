// A JSON GET against the upstream on behalf of one of a Pool's accounts, with one refresh-and-retry
// on 401 and failover to the next routable account. Used by the catalog and usage reads and the
// usage poller.
import { createHash } from "node:crypto";
import type { QuotaRecorder } from "../accounts/quota-recorder.ts";
import type { CoreContext } from "../context.ts";
import { GatewayError } from "../errors.ts";
import type { Account } from "../model.ts";
import { type AttemptLoop, isRetry, UNAUTHORIZED } from "../relay/attempts.ts";
import type { Retry } from "../relay/failover-ledger.ts";
import { upstreamHeaders } from "../relay/upstream-headers.ts";
import type { AccountDirectory } from "../routing/account-directory.ts";
import { readUpstreamJson } from "./bounded-read.ts";

const TIMEOUT_MS = 15_000;

/** What the JSON reads use: the upstream fetch and its settings, a Pool's accounts, quota evidence. */
export interface UpstreamJsonDeps {
  ctx: Pick<CoreContext, "fetch" | "config">;
  directory: Pick<AccountDirectory, "forPool">;
  quota: Pick<QuotaRecorder, "observe" | "flush">;
  attempts: Pick<AttemptLoop, "begin" | "withAccessToken">;
}

/** JSON GETs as a Pool's accounts, through the attempt loop (built once per gateway). */
export class UpstreamJson {
  constructor(private readonly deps: UpstreamJsonDeps) {}

  /** A GET through the first of a Pool's usable accounts (at most three tried) that answers. */
  async fromPool(
    pool: string,
    path: string,
    options: { accounts?: Account[]; usable?: (body: unknown) => boolean } = {},
  ): Promise<{ account: Account; body: unknown; headers: Headers }> {
    // Catalog and usage reads cost no quota: any account with working credentials will do. They judge
    // no account's health (a failed read is health-neutral), so they never demote one.
    const accounts =
      options.accounts ??
      (await this.deps.directory.forPool(pool)).filter(
        (a) => a.status === "active" || a.status === "refreshing",
      );
    if (accounts.length === 0) throw noEligibleAccount();
    const tries = this.deps.attempts.begin(pool, "default", {
      candidates: accounts.slice(0, 3),
      halfOpen: new Set(),
    });
    let lastError: unknown;
    const served = await tries.firstServed(undefined, (account) =>
      this.asAccount(account, path)
        .then((answer) => {
          // A 2xx whose body is not what the path answers is this account's upstream misbehaving.
          if (options.usable && !options.usable(answer.body)) {
            throw new GatewayError(
              502,
              "upstream_response_invalid",
              "upstream answered with an unexpected body",
            );
          }
          return answer;
        })
        .catch((error: unknown): Retry => {
          lastError = error;
          const code = error instanceof GatewayError ? error.code : "upstream_unreachable";
          return { kind: "retry", status: 502, code, healthNeutral: true };
        }),
    );
    if (served) return { account: served.account, ...served.result };
    throw lastError instanceof GatewayError
      ? lastError
      : new GatewayError(502, "upstream_request_failed", "upstream request failed; try again shortly");
  }

  /** One account's JSON GET: its token, one refresh-and-retry on 401. Throws on any failure. */
  async asAccount(account: Account, path: string): Promise<{ body: unknown; headers: Headers }> {
    const { ctx, quota } = this.deps;
    const result = await this.deps.attempts.withAccessToken(account, async (accessToken, lastTry) => {
      const response = await ctx.fetch(`${ctx.config.upstreamBaseUrl}${path}`, {
        method: "GET",
        headers: upstreamHeaders(new Headers(), account, accessToken, {
          accept: "application/json",
          clientVersion: ctx.config.clientVersion,
        }),
        signal: AbortSignal.timeout(TIMEOUT_MS),
      });
      quota.observe(account, response.headers);
      if (response.status === 401) {
        await response.body?.cancel();
        if (!lastTry) return UNAUTHORIZED;
        throw new GatewayError(
          502,
          "upstream_auth_failed",
          "upstream rejected the account's credentials after a refresh",
        );
      }
      if (!response.ok) {
        await response.body?.cancel();
        throw new GatewayError(502, "upstream_request_failed", `upstream answered HTTP ${response.status}`);
      }
      const body = await readUpstreamJson(response);
      if (body === undefined) {
        throw new GatewayError(502, "upstream_response_invalid", "upstream answered with no usable JSON");
      }
      quota.flush(account);
      return { body, headers: response.headers };
    });
    if (isRetry(result)) {
      throw (
        result.error ??
        new GatewayError(result.status, result.code, "the account's credentials could not be used")
      );
    }
    return result;
  }
}

export function noEligibleAccount(): GatewayError {
  return new GatewayError(
    503,
    "no_eligible_backend",
    "no healthy eligible upstream account is available in this pool; import an account or resume a paused one",
    { param: "model" },
  );
}

export const weakEtag = (text: string) =>
  `W/"${createHash("sha256").update(text).digest("base64url").slice(0, 22)}"`;
