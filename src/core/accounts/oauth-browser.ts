// Browser PKCE login (codex-protocol.md §6.4): there is no hosted callback, so the operator pastes
// back the http://localhost:1455/auth/callback?… address the browser ended on.
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import type { CoreContext } from "../context.ts";
import { GatewayError } from "../errors.ts";
import { normalizeLabel } from "../keys/credentials.ts";
import { requirePool } from "../pools/pools.ts";
import type { OAuthFlow } from "../ports.ts";
import {
  claim,
  createFlow,
  exchange,
  expire,
  FLOW_MS,
  fail,
  flowError,
  flowNotPending,
  type PollResult,
  readSecret,
  requireFlow,
  sweepEndedFlows,
} from "./oauth-flows.ts";
import { CODEX_CLIENT_ID } from "./token-manager.ts";

export const BROWSER_REDIRECT_URI = "http://localhost:1455/auth/callback";
const BROWSER_SCOPE = "openid profile email offline_access api.connectors.read api.connectors.invoke";

export interface BrowserStart {
  flow: OAuthFlow;
  authorizeUrl: string;
}

export async function startBrowserFlow(
  ctx: CoreContext,
  input: { pool: string; label?: string },
): Promise<BrowserStart> {
  await requirePool(ctx, input.pool);
  const label = normalizeLabel(input.label);
  await sweepEndedFlows(ctx);
  // PKCE S256 with a 64-byte verifier, as the original does.
  const codeVerifier = randomBytes(64).toString("base64url");
  const state = randomBytes(32).toString("base64url");
  const flow = await createFlow(
    ctx,
    { kind: "browser", codeVerifier, state },
    {
      kind: "browser",
      pool: input.pool,
      label,
      endsAt: ctx.clock.now() + FLOW_MS,
    },
  );
  const params = new URLSearchParams({
    response_type: "code",
    client_id: CODEX_CLIENT_ID,
    redirect_uri: BROWSER_REDIRECT_URI,
    scope: BROWSER_SCOPE,
    code_challenge: createHash("sha256").update(codeVerifier).digest("base64url"),
    code_challenge_method: "S256",
    state,
    id_token_add_organizations: "true",
    codex_cli_simplified_flow: "true",
    originator: "codex_cli_rs",
  });
  return { flow, authorizeUrl: `${ctx.config.authBaseUrl}/oauth/authorize?${params}` };
}

export async function completeBrowserFlow(
  ctx: CoreContext,
  id: string,
  callbackUrl: string,
  actor: string,
): Promise<PollResult & { status: "complete" }> {
  const flow = await requireFlow(ctx, id, "browser");
  if (flow.status === "expired") throw flowError("expired_flow");
  if (flow.status !== "pending") throw flowNotPending(flow.status);
  if (ctx.clock.now() >= flow.endsAt) throw await expire(ctx, flow);
  const callback = parseCallback(callbackUrl);
  const secret = await readSecret(ctx, flow, "browser");
  if (!sameSecret(callback.state, secret.state)) {
    throw callbackError(
      "invalid_state",
      "the callback URL belongs to another login (its state does not match); paste the URL of this login's sign-in",
    );
  }
  if (callback.error) {
    throw await fail(ctx, flow, "pending", "provider_denied", actor, callback.error);
  }
  if (!callback.code) {
    throw callbackError(
      "missing_callback_result",
      "the callback URL has neither a code nor an error; paste the full address the browser ended on",
    );
  }
  const claimed = await claim(ctx, flow);
  if (!claimed) throw flowNotPending("exchanging");
  return exchange(ctx, claimed, actor, {
    code: callback.code,
    codeVerifier: secret.codeVerifier,
    redirectUri: BROWSER_REDIRECT_URI,
  });
}

interface Callback {
  state: string;
  code?: string;
  error?: string;
}

function parseCallback(raw: string): Callback {
  let url: URL;
  try {
    url = new URL(raw.trim());
  } catch {
    throw callbackError(
      "invalid_callback_url",
      `callbackUrl is not a URL; paste the full address the browser ended on (${BROWSER_REDIRECT_URI}?code=…&state=…)`,
    );
  }
  const localHost = url.hostname === "localhost" || url.hostname === "127.0.0.1";
  if (url.protocol !== "http:" || !localHost || url.port !== "1455" || url.pathname !== "/auth/callback") {
    throw callbackError(
      "invalid_callback_origin",
      `callbackUrl must start with ${BROWSER_REDIRECT_URI}; paste the address the browser ended on after sign-in`,
    );
  }
  for (const name of ["state", "code", "error"]) {
    if (url.searchParams.getAll(name).length > 1) {
      throw callbackError(
        "duplicate_callback_param",
        `the callback URL has more than one "${name}" parameter`,
      );
    }
  }
  const state = url.searchParams.get("state");
  if (!state) {
    throw callbackError(
      "missing_state",
      "the callback URL has no state parameter; paste the full address the browser ended on",
    );
  }
  const error = url.searchParams.get("error");
  return {
    state,
    code: url.searchParams.get("code") || undefined,
    // Only a short code-like token of the provider's answer is kept (it ends up in a message).
    error: error ? error.replace(/[^A-Za-z0-9_.-]/g, "").slice(0, 64) || "error" : undefined,
  };
}

/** Constant-time comparison of two secret strings of any length. */
function sameSecret(a: string, b: string): boolean {
  const digest = (s: string) => createHash("sha256").update(s).digest();
  return timingSafeEqual(digest(a), digest(b));
}

const callbackError = (code: string, message: string) =>
  new GatewayError(400, code, message, { param: "callbackUrl" });
