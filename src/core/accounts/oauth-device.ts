// Device-code login (codex-protocol.md §6.4): the operator opens the verification URL and types the
// user code; the caller polls, and the gateway asks the auth server no faster than it allows.
import type { CoreContext } from "../context.ts";
import { GatewayError } from "../errors.ts";
import { normalizeLabel } from "../keys/credentials.ts";
import { requirePool } from "../pools/pools.ts";
import type { OAuthFlow } from "../ports.ts";
import {
  callProvider,
  claim,
  createFlow,
  errorCode,
  exchange,
  expire,
  FLOW_MS,
  fail,
  type PollResult,
  providerUnavailable,
  readSecret,
  requireFlow,
  settledResult,
  str,
  sweepEndedFlows,
} from "./oauth-flows.ts";
import { CODEX_CLIENT_ID } from "./token-manager.ts";

const DEFAULT_INTERVAL_S = 5;
/** RFC 8628 §3.5: each slow_down adds 5 seconds to the polling interval. */
const SLOW_DOWN_STEP_S = 5;
const MAX_INTERVAL_S = 60;
/** A client polling at the advertised interval may arrive a little early (timers, network). */
const POLL_TOLERANCE_MS = 250;

export async function startDeviceFlow(
  ctx: CoreContext,
  input: { pool: string; label?: string },
): Promise<OAuthFlow> {
  await requirePool(ctx, input.pool);
  // Refuse a bad label now, not after the user went through the whole sign-in.
  const label = normalizeLabel(input.label);
  await sweepEndedFlows(ctx);
  const { status, body } = await callProvider(ctx, "/api/accounts/deviceauth/usercode", {
    client_id: CODEX_CLIENT_ID,
  });
  if (status < 200 || status >= 300) {
    if (status >= 500) throw providerUnavailable(`HTTP ${status}`);
    throw new GatewayError(
      502,
      "device_code_unavailable",
      `the auth server refused to start a device-code login (HTTP ${status}); the account or workspace may not ` +
        'allow it ("Enable device code authorization for Codex"); use the browser login instead',
    );
  }
  const deviceAuthId = str(body?.device_auth_id);
  const userCode = str(body?.user_code) ?? str(body?.usercode);
  if (!deviceAuthId || !userCode)
    throw providerUnavailable("the device-code answer has no device_auth_id or user_code");
  const now = ctx.clock.now();
  const endsAt = providerExpiry(body?.expires_at, now) ?? now + FLOW_MS;
  const intervalSeconds = clampInterval(num(body?.interval) ?? DEFAULT_INTERVAL_S);
  return createFlow(
    ctx,
    { kind: "device", deviceAuthId },
    {
      kind: "device",
      pool: input.pool,
      label,
      userCode,
      verificationUrl: `${ctx.config.authBaseUrl}/codex/device`,
      intervalSeconds,
      endsAt,
    },
  );
}

export async function pollDeviceFlow(ctx: CoreContext, id: string, actor: string): Promise<PollResult> {
  const flow = await requireFlow(ctx, id, "device");
  const settled = await settledResult(ctx, flow);
  if (settled) return settled;
  if (flow.status === "exchanging") return { status: "pending", flow };
  const now = ctx.clock.now();
  if (now >= flow.endsAt) throw await expire(ctx, flow);
  // Never ask the provider more often than it allows, however fast the caller polls.
  if (flow.nextPollAt !== undefined && now + POLL_TOLERANCE_MS < flow.nextPollAt) {
    return { status: "pending", flow };
  }
  const secret = await readSecret(ctx, flow, "device");
  const interval = flow.intervalSeconds ?? DEFAULT_INTERVAL_S;
  const stamped =
    (await ctx.store.oauthFlows.transition(flow.id, "pending", {
      nextPollAt: now + interval * 1000,
      updatedAt: now,
    })) ?? flow;
  const { status, body } = await callProvider(ctx, "/api/accounts/deviceauth/token", {
    device_auth_id: secret.deviceAuthId,
    user_code: flow.userCode,
  });
  const code = errorCode(body);
  // 403/404 and authorization_pending mean "not approved yet" (§6.4).
  if (status === 403 || status === 404 || code === "authorization_pending") {
    return { status: "pending", flow: stamped };
  }
  if (code === "slow_down" || status === 429) {
    const slower = clampInterval(interval + SLOW_DOWN_STEP_S);
    const updated = await ctx.store.oauthFlows.transition(flow.id, "pending", {
      intervalSeconds: slower,
      nextPollAt: ctx.clock.now() + slower * 1000,
      updatedAt: ctx.clock.now(),
    });
    return { status: "slow_down", flow: updated ?? { ...stamped, intervalSeconds: slower } };
  }
  if (code === "expired_token") throw await expire(ctx, flow);
  if (status >= 500) throw providerUnavailable(`HTTP ${status}`);
  // Any other refusal (access_denied, authorization_declined, …) ends the login.
  if (status >= 400)
    throw await fail(ctx, flow, "pending", "provider_denied", actor, code ?? `http_${status}`);
  const authorizationCode = str(body?.authorization_code);
  const codeVerifier = str(body?.code_verifier);
  if (!authorizationCode || !codeVerifier) return { status: "pending", flow: stamped };
  const claimed = await claim(ctx, flow);
  // Another caller is exchanging this code right now; its answer lands on the next poll.
  if (!claimed) return { status: "pending", flow: stamped };
  return exchange(ctx, claimed, actor, {
    code: authorizationCode,
    codeVerifier,
    redirectUri: `${ctx.config.authBaseUrl}/deviceauth/callback`,
  });
}

function providerExpiry(value: unknown, now: number): number | undefined {
  let ms: number | undefined;
  if (typeof value === "number") ms = value < 1e12 ? value * 1000 : value;
  else if (typeof value === "string" && value.trim() !== "") {
    const n = Number(value);
    ms = Number.isFinite(n) ? (n < 1e12 ? n * 1000 : n) : Date.parse(value);
  }
  return ms !== undefined && Number.isFinite(ms) && ms > now ? ms : undefined;
}

const clampInterval = (seconds: number) => Math.min(MAX_INTERVAL_S, Math.max(1, Math.ceil(seconds)));

function num(v: unknown): number | undefined {
  const n = typeof v === "number" ? v : typeof v === "string" && v.trim() !== "" ? Number(v) : Number.NaN;
  return Number.isFinite(n) && n > 0 ? n : undefined;
}
