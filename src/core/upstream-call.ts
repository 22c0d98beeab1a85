// A JSON GET against the upstream on behalf of one of a Pool's accounts, with one refresh-and-retry
// on 401 and failover to the next routable account. Used by the catalog and usage reads.
import { createHash } from "node:crypto";
import { readUpstreamJson } from "./bounded-read.ts";
import { GatewayError } from "./errors.ts";
import type { Gateway } from "./gateway.ts";
import type { Account } from "./model.ts";
import { upstreamHeaders } from "./relay/upstream-headers.ts";

const TIMEOUT_MS = 15_000;

export async function getJsonFromPool(
  gw: Gateway,
  pool: string,
  path: string,
  options: { accounts?: Account[]; usable?: (body: unknown) => boolean } = {},
): Promise<{ account: Account; body: unknown; headers: Headers }> {
  // Catalog and usage reads cost no quota: any account with working credentials will do.
  const accounts =
    options.accounts ??
    (await gw.directory.forPool(pool)).filter((a) => a.status === "active" || a.status === "refreshing");
  if (accounts.length === 0) throw noEligibleAccount();
  let lastError: unknown;
  for (const account of accounts.slice(0, 3)) {
    try {
      const answer = await getJsonAs(gw, account, path);
      // A 2xx whose body is not what the path answers is this account's upstream misbehaving.
      if (options.usable && !options.usable(answer.body)) {
        throw new GatewayError(502, "upstream_response_invalid", "upstream answered with an unexpected body");
      }
      return { account, ...answer };
    } catch (error) {
      lastError = error;
    }
  }
  throw lastError instanceof GatewayError
    ? lastError
    : new GatewayError(502, "upstream_request_failed", "upstream request failed; try again shortly");
}

export async function getJsonAs(
  gw: Gateway,
  account: Account,
  path: string,
): Promise<{ body: unknown; headers: Headers }> {
  const { ctx } = gw;
  let tokens = await gw.tokens.accessToken(account);
  for (let attempt = 0; attempt < 2; attempt++) {
    const response = await ctx.fetch(`${ctx.config.upstreamBaseUrl}${path}`, {
      method: "GET",
      headers: upstreamHeaders(new Headers(), account, tokens.accessToken, {
        accept: "application/json",
        clientVersion: ctx.config.clientVersion,
      }),
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
    gw.quota.observe(account, response.headers);
    if (response.status === 401 && attempt === 0) {
      await response.body?.cancel();
      tokens = await gw.tokens.refresh(account, "unauthorized_recovery");
      continue;
    }
    if (!response.ok) {
      await response.body?.cancel();
      throw new GatewayError(502, "upstream_request_failed", `upstream answered HTTP ${response.status}`);
    }
    const body = await readUpstreamJson(response);
    if (body === undefined) {
      throw new GatewayError(502, "upstream_response_invalid", "upstream answered with no usable JSON");
    }
    return { body, headers: response.headers };
  }
  throw new GatewayError(
    502,
    "upstream_auth_failed",
    "upstream rejected the account's credentials after a refresh",
  );
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
