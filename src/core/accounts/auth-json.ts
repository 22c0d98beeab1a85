// Parsing a Codex `auth.json` and the JWT claims inside it (no signature check: the upstream is the
// authority, we only read routing facts such as account id, plan and expiry).
import { decodeJwt, type JWTPayload } from "jose";
import { badRequest } from "../errors.ts";
import type { AccountTokens } from "../model.ts";

const AUTH_CLAIM = "https://api.openai.com/auth";
const PROFILE_CLAIM = "https://api.openai.com/profile";

export interface TokenFacts {
  chatgptAccountId?: string;
  chatgptUserId?: string;
  planType?: string;
  email?: string;
  /** Epoch ms. */
  expiresAt?: number;
}

export function readTokenFacts(jwt: string | undefined): TokenFacts {
  if (!jwt) return {};
  let payload: JWTPayload;
  try {
    payload = decodeJwt(jwt);
  } catch {
    return {};
  }
  const auth = (payload[AUTH_CLAIM] ?? {}) as Record<string, unknown>;
  const profile = (payload[PROFILE_CLAIM] ?? {}) as Record<string, unknown>;
  const str = (v: unknown) => (typeof v === "string" && v.length > 0 ? v : undefined);
  return {
    chatgptAccountId: str(auth.chatgpt_account_id) ?? str(payload.chatgpt_account_id),
    chatgptUserId: str(auth.chatgpt_user_id) ?? str(auth.user_id) ?? str(payload.chatgpt_user_id),
    planType: str(auth.chatgpt_plan_type) ?? str(payload.chatgpt_plan_type),
    email: str(payload.email) ?? str(profile.email),
    expiresAt: typeof payload.exp === "number" ? payload.exp * 1000 : undefined,
  };
}

export interface ImportedAuth {
  tokens: AccountTokens;
  chatgptAccountId: string;
  chatgptUserId?: string;
  planType?: string;
  email?: string;
  accessTokenExpiresAt?: number;
}

/** Validates an auth.json object; errors name the field and say what to do, never echo values. */
export function parseAuthJson(input: unknown): ImportedAuth {
  if (typeof input !== "object" || input === null || Array.isArray(input)) {
    throw badRequest("auth.json must be a JSON object", "authJson");
  }
  const doc = input as Record<string, unknown>;
  const mode = doc.auth_mode;
  const tokens = doc.tokens as Record<string, unknown> | null | undefined;
  if (mode === "apikey" || (mode === undefined && typeof doc.OPENAI_API_KEY === "string" && !tokens)) {
    throw badRequest(
      "this auth.json is in API-key mode; sign in with ChatGPT (`codex login`) and import that auth.json instead",
      "authJson",
      "unsupported_auth_mode",
    );
  }
  if (mode !== undefined && mode !== "chatgpt") {
    throw badRequest(
      `auth_mode "${String(mode).slice(0, 32)}" is not supported; import a ChatGPT-mode auth.json (codex login)`,
      "authJson.auth_mode",
      "unsupported_auth_mode",
    );
  }
  if (typeof tokens !== "object" || tokens === null) {
    throw badRequest("auth.json has no tokens object; run `codex login` first", "authJson.tokens");
  }
  for (const field of ["id_token", "access_token", "refresh_token"] as const) {
    if (typeof tokens[field] !== "string" || (tokens[field] as string).length === 0) {
      throw badRequest(`auth.json is missing tokens.${field}`, `authJson.tokens.${field}`);
    }
  }
  const explicit = typeof tokens.account_id === "string" && tokens.account_id ? tokens.account_id : undefined;
  const login = describeLogin(
    {
      idToken: tokens.id_token as string,
      accessToken: tokens.access_token as string,
      refreshToken: tokens.refresh_token as string,
    },
    explicit,
  );
  if (!login) {
    throw badRequest(
      "cannot find the ChatGPT account id (tokens.account_id or the id token's chatgpt_account_id claim)",
      "authJson.tokens.account_id",
    );
  }
  return login;
}

/**
 * The routing facts of a login from its tokens (an imported auth.json or an OAuth token answer);
 * undefined when neither `explicitAccountId` nor a token claim names the ChatGPT account.
 */
export function describeLogin(tokens: AccountTokens, explicitAccountId?: string): ImportedAuth | undefined {
  const idFacts = readTokenFacts(tokens.idToken);
  const accessFacts = readTokenFacts(tokens.accessToken);
  const chatgptAccountId = explicitAccountId ?? idFacts.chatgptAccountId ?? accessFacts.chatgptAccountId;
  if (!chatgptAccountId) return undefined;
  return {
    tokens: { idToken: tokens.idToken, accessToken: tokens.accessToken, refreshToken: tokens.refreshToken },
    chatgptAccountId,
    chatgptUserId: idFacts.chatgptUserId ?? accessFacts.chatgptUserId,
    planType: idFacts.planType ?? accessFacts.planType,
    email: idFacts.email ?? accessFacts.email,
    accessTokenExpiresAt: accessFacts.expiresAt,
  };
}

export function maskEmail(email: string | undefined): string | undefined {
  if (!email) return undefined;
  const [local = "", domain = ""] = email.split("@");
  return `${local.slice(0, 1)}***@${domain}`;
}
