// A JSON GET against the upstream on behalf of one of a Pool's accounts, with one refresh-and-retry
// on 401 and failover to the next routable account. Used by the catalog and usage reads.
import { createHash } from "node:crypto";
import { GatewayError } from "../errors.ts";
import type { Gateway } from "../gateway.ts";
import type { Account } from "../model.ts";
import { Attempts, isRetry, UNAUTHORIZED, withAccessToken } from "../relay/attempts.ts";
import type { Retry } from "../relay/failover-ledger.ts";
import { upstreamHeaders } from "../relay/upstream-headers.ts";
import { readUpstreamJson } from "./bounded-read.ts";

const TIMEOUT_MS = 15_000;

export async function getJsonFromPool(
  gw: Gateway,
  pool: string,
  path: string,
  options: { accounts?: Account[]; usable?: (body: unknown) => boolean } = {},
): Promise<{ account: Account; body: unknown; headers: Headers }> {
  // Catalog and usage reads cost no quota: any account with working credentials will do. They judge
  // no account's health (a failed read is health-neutral), so they never demote one.
  const accounts =
    options.accounts ??
    (await gw.directory.forPool(pool)).filter((a) => a.status === "active" || a.status === "refreshing");
  if (accounts.length === 0) throw noEligibleAccount();
  const tries = new Attempts(gw, pool, "default", { candidates: accounts.slice(0, 3), halfOpen: new Set() });
  let lastError: unknown;
  const served = await tries.firstServed(undefined, (account) =>
    getJsonAs(gw, account, path)
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
export async function getJsonAs(
  gw: Gateway,
  account: Account,
  path: string,
): Promise<{ body: unknown; headers: Headers }> {
  const { ctx } = gw;
  const result = await withAccessToken(gw, account, async (accessToken, lastTry) => {
    const response = await ctx.fetch(`${ctx.config.upstreamBaseUrl}${path}`, {
      method: "GET",
      headers: upstreamHeaders(new Headers(), account, accessToken, {
        accept: "application/json",
        clientVersion: ctx.config.clientVersion,
      }),
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
    gw.quota.observe(account, response.headers);
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
    gw.quota.flush(account);
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
