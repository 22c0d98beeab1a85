// The machinery shared by both OAuth onboarding logins (codex-protocol.md §6.4): flow records,
// secret flow state, the authorization-code exchange that turns a login into an account, and the
// ways a flow ends. Public flow metadata lives in the store; the device_auth_id, the PKCE verifier
// and the state are secret flow state, kept encrypted in the SecretStore under `oauth-flows/<id>`
// and deleted when the flow ends. Any instance can serve any step, so nothing is held in memory.
import { randomBytes } from "node:crypto";
import { recordAudit } from "../audit.ts";
import type { CoreContext } from "../context.ts";
import { GatewayError } from "../errors.ts";
import type { Account } from "../model.ts";
import { requirePool } from "../pools/pools.ts";
import type { OAuthFlow, OAuthFlowKind, OAuthFlowStatus } from "../ports.ts";
import { readUpstreamJson } from "../support/bounded-read.ts";
import { type ImportResult, requireAccount, saveAccountLogin } from "./accounts.ts";
import { describeLogin } from "./auth-json.ts";
import { CODEX_CLIENT_ID, errorCode, str } from "./token-manager.ts";

/** How long a login may take (a device flow uses the provider's expiry when it gives one). */
export const FLOW_MS = 15 * 60_000;
const PROVIDER_TIMEOUT_MS = 30_000;
/** Abandoned flows are cleaned up this long after they ended (a late poll still gets 410, not 404). */
const SWEEP_GRACE_MS = 10 * 60_000;
const SWEEP_LIMIT = 25;
const ITEM_TTL_S = 86_400;

export type FlowSecret =
  | { kind: "device"; deviceAuthId: string }
  | { kind: "browser"; codeVerifier: string; state: string };

export const flowSecretName = (id: string) => `oauth-flows/${id}`;

export type PollResult =
  | { status: "pending" | "slow_down"; flow: OAuthFlow }
  | { status: "complete"; flow: OAuthFlow; account: Account; warnings: string[] };

export async function createFlow(
  ctx: CoreContext,
  secret: FlowSecret,
  fields: Pick<OAuthFlow, "kind" | "pool" | "label" | "endsAt"> &
    Partial<Pick<OAuthFlow, "userCode" | "verificationUrl" | "intervalSeconds">>,
): Promise<OAuthFlow> {
  const now = ctx.clock.now();
  const flow: OAuthFlow = {
    ...fields,
    id: `oaf_${randomBytes(12).toString("hex")}`,
    status: "pending",
    createdAt: now,
    updatedAt: now,
    expiresAt: Math.ceil(fields.endsAt / 1000) + ITEM_TTL_S,
  };
  // Secret first: a flow item never exists without its secret state.
  await ctx.secrets.put(flowSecretName(flow.id), JSON.stringify(secret));
  try {
    await ctx.store.oauthFlows.create(flow);
  } catch (error) {
    await ctx.secrets.delete(flowSecretName(flow.id)).catch(() => undefined);
    throw error;
  }
  return flow;
}

// --- completion, failure, expiry ----------------------------------------------------------------------

export async function exchange(
  ctx: CoreContext,
  flow: OAuthFlow,
  actor: string,
  grant: { code: string; codeVerifier: string; redirectUri: string },
): Promise<PollResult & { status: "complete" }> {
  let result: ImportResult;
  try {
    const tokens = await exchangeCode(ctx, grant);
    const login = describeLogin(tokens);
    if (!login) throw exchangeFailed("the tokens name no ChatGPT account (no chatgpt_account_id claim)");
    await requirePool(ctx, flow.pool);
    result = await saveAccountLogin(ctx, { pool: flow.pool, label: flow.label, auth: login }, actor, {
      action: `upstream_account.oauth_${flow.kind}_link`,
      ownershipWarning:
        "the gateway now owns this login's refresh token and refreshes it; do not copy these tokens elsewhere " +
        "(a second holder refreshing the same login invalidates both, and the account then needs a new login)",
      auditDetails: { flow: flow.id },
    });
  } catch (error) {
    const code = error instanceof GatewayError ? error.code : "token_exchange_failed";
    await fail(ctx, flow, "exchanging", code, actor).catch(() => undefined);
    throw error;
  }
  const done = (await ctx.store.oauthFlows.transition(flow.id, "exchanging", {
    status: "complete",
    accountId: result.account.id,
    updatedAt: ctx.clock.now(),
  })) ?? { ...flow, status: "complete", accountId: result.account.id };
  await ctx.secrets.delete(flowSecretName(flow.id));
  return { status: "complete", flow: done, account: result.account, warnings: result.warnings };
}

async function exchangeCode(
  ctx: CoreContext,
  grant: { code: string; codeVerifier: string; redirectUri: string },
): Promise<{ idToken: string; accessToken: string; refreshToken: string }> {
  let response: Response;
  try {
    response = await ctx.fetch(`${ctx.config.authBaseUrl}/oauth/token`, {
      method: "POST",
      headers: { ...providerHeaders(ctx), "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({
        grant_type: "authorization_code",
        code: grant.code,
        redirect_uri: grant.redirectUri,
        client_id: CODEX_CLIENT_ID,
        code_verifier: grant.codeVerifier,
      }).toString(),
      signal: AbortSignal.timeout(PROVIDER_TIMEOUT_MS),
    });
  } catch {
    throw exchangeFailed("the auth server could not be reached");
  }
  const body = await readJson(response);
  if (!response.ok) throw exchangeFailed(`HTTP ${response.status}, ${errorCode(body) ?? "no error code"}`);
  const idToken = str(body?.id_token);
  const accessToken = str(body?.access_token);
  const refreshToken = str(body?.refresh_token);
  if (!idToken || !accessToken || !refreshToken) {
    throw exchangeFailed("the token answer lacks an id, access or refresh token");
  }
  return { idToken, accessToken, refreshToken };
}

/** pending → exchanging, once: the authorization code is single-use. */
export function claim(ctx: CoreContext, flow: OAuthFlow): Promise<OAuthFlow | undefined> {
  return ctx.store.oauthFlows.transition(flow.id, "pending", {
    status: "exchanging",
    updatedAt: ctx.clock.now(),
  });
}

/** Ends a flow as failed (secret removed, audit event) and returns the error to throw. */
export async function fail(
  ctx: CoreContext,
  flow: OAuthFlow,
  from: OAuthFlowStatus,
  code: string,
  actor: string,
  detail?: string,
): Promise<GatewayError> {
  const ended = await ctx.store.oauthFlows.transition(flow.id, from, {
    status: "failed",
    errorCode: code,
    updatedAt: ctx.clock.now(),
  });
  await ctx.secrets.delete(flowSecretName(flow.id));
  if (ended) {
    await recordAudit(ctx, {
      actor,
      action: `upstream_account.oauth_${flow.kind}_link`,
      targetType: "oauth_flow",
      targetId: flow.id,
      outcome: "failure",
      details: { pool: flow.pool, code },
    });
  }
  return flowError(code, detail);
}

export async function expire(ctx: CoreContext, flow: OAuthFlow): Promise<GatewayError> {
  await ctx.store.oauthFlows.transition(flow.id, "pending", {
    status: "expired",
    errorCode: "expired_flow",
    updatedAt: ctx.clock.now(),
  });
  await ctx.secrets.delete(flowSecretName(flow.id));
  return flowError("expired_flow");
}

/** A finished flow answers the same way every time it is asked again. */
export async function settledResult(ctx: CoreContext, flow: OAuthFlow): Promise<PollResult | undefined> {
  if (flow.status === "complete" && flow.accountId) {
    return { status: "complete", flow, account: await requireAccount(ctx, flow.accountId), warnings: [] };
  }
  if (flow.status === "failed" || flow.status === "expired") {
    throw flowError(flow.errorCode ?? (flow.status === "expired" ? "expired_flow" : "provider_denied"));
  }
  return undefined;
}

/** Deletes flows (and any secret state left behind) that ended a while ago and were abandoned. */
export async function sweepEndedFlows(ctx: CoreContext): Promise<void> {
  try {
    const ended = await ctx.store.oauthFlows.listEnded(ctx.clock.now() - SWEEP_GRACE_MS, SWEEP_LIMIT);
    for (const flow of ended) {
      await ctx.secrets.delete(flowSecretName(flow.id));
      await ctx.store.oauthFlows.delete(flow.id);
    }
  } catch (error) {
    ctx.logger.warn("oauth flow cleanup failed", { error: (error as Error).name });
  }
}

// --- store and provider helpers -----------------------------------------------------------------------

export async function requireFlow(ctx: CoreContext, id: string, kind: OAuthFlowKind): Promise<OAuthFlow> {
  const flow = /^oaf_[0-9a-f]{24}$/.test(id) ? await ctx.store.oauthFlows.get(id) : undefined;
  if (!flow || flow.kind !== kind) {
    throw new GatewayError(
      404,
      "flow_not_found",
      `no ${kind} login ${id.slice(0, 40)}; start one with POST /admin/v1/accounts/oauth/${kind}`,
    );
  }
  return flow;
}

export async function readSecret<K extends FlowSecret["kind"]>(
  ctx: CoreContext,
  flow: OAuthFlow,
  kind: K,
): Promise<Extract<FlowSecret, { kind: K }>> {
  const raw = await ctx.secrets.get(flowSecretName(flow.id), { fresh: true });
  const secret = raw ? (JSON.parse(raw) as FlowSecret) : undefined;
  if (secret?.kind !== kind) {
    // The state vanished under a pending flow (another caller just ended it, or the store lost it).
    throw new GatewayError(409, "stale_flow", "this login can no longer be completed; start a new one");
  }
  return secret as Extract<FlowSecret, { kind: K }>;
}

function providerHeaders(ctx: CoreContext): Record<string, string> {
  return {
    accept: "application/json",
    originator: "codex_cli_rs",
    "user-agent": `codex_cli_rs/${ctx.config.clientVersion}`,
  };
}

export async function callProvider(
  ctx: CoreContext,
  path: string,
  payload: Record<string, unknown>,
): Promise<{ status: number; body: Record<string, unknown> | undefined }> {
  let response: Response;
  try {
    response = await ctx.fetch(`${ctx.config.authBaseUrl}${path}`, {
      method: "POST",
      headers: { ...providerHeaders(ctx), "content-type": "application/json" },
      body: JSON.stringify(payload),
      signal: AbortSignal.timeout(PROVIDER_TIMEOUT_MS),
    });
  } catch {
    throw providerUnavailable("the auth server could not be reached");
  }
  return { status: response.status, body: await readJson(response) };
}

async function readJson(response: Response): Promise<Record<string, unknown> | undefined> {
  const value = await readUpstreamJson(response);
  return typeof value === "object" && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

export { errorCode, str };

// --- errors ---------------------------------------------------------------------------------------------

const RESTART = "start a new login (`pooler account login --pool NAME`)";

export function flowError(code: string, detail?: string): GatewayError {
  switch (code) {
    case "expired_flow":
      return new GatewayError(410, code, `this login expired before it was completed; ${RESTART}`);
    case "provider_denied":
      return new GatewayError(
        400,
        code,
        `the sign-in was denied or cancelled at the auth server${detail ? ` (${detail})` : ""}; ${RESTART}`,
      );
    case "token_exchange_failed":
      return exchangeFailed(detail);
    default:
      return new GatewayError(409, code, `this login failed earlier (${code}); ${RESTART}`);
  }
}

const exchangeFailed = (detail?: string) =>
  new GatewayError(
    502,
    "token_exchange_failed",
    `the auth server did not exchange the authorization code for tokens${detail ? ` (${detail})` : ""}; ${RESTART}`,
  );

export const providerUnavailable = (detail: string) =>
  new GatewayError(
    502,
    "provider_unavailable",
    `the auth server did not answer usefully (${detail}); try again`,
  );

export const flowNotPending = (status: OAuthFlowStatus) =>
  new GatewayError(409, "flow_not_pending", `this login is already ${status}; ${RESTART}`);
