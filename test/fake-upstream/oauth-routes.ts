// The fake auth server's onboarding side (codex-protocol.md §6.4): device-code login
// (`/api/accounts/deviceauth/*`) and the authorization-code grant on `/oauth/token`, checking the PKCE
// verifier against the S256 challenge and the redirect URI. There is no `/oauth/authorize` page: a
// test "signs in" with `authorize(authorizeUrl)`, which answers the callback URL a browser would end on.
import { createHash } from "node:crypto";
import type { ServerResponse } from "node:http";
import { CODEX_CLIENT_ID, randomHex } from "./jwt.ts";
import type { FakeAccount, FakeAccountOptions, FakeOAuthApi } from "./types.ts";

type Json = Record<string, unknown>;

interface DeviceCode {
  deviceAuthId: string;
  userCode: string;
  expiresAt: number;
  state: "pending" | "approved" | "denied" | "exchanged";
  slowDownNext: boolean;
  account?: FakeAccount;
  /** Minted on approval: the device flow's own PKCE pair, handed to the poller. */
  codeVerifier?: string;
  authorizationCode?: string;
}

interface IssuedCode {
  challenge: string;
  redirectUri: string;
  account: FakeAccount;
  used: boolean;
}

const s256 = (verifier: string) => createHash("sha256").update(verifier).digest("base64url");

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    "content-type": "application/json",
    "content-length": String(Buffer.byteLength(text)),
  });
  res.end(text);
}

const oauthError = (code: string, message: string) => ({
  error: { message, type: "invalid_request_error", param: null, code },
});

export interface OAuthRoutes {
  /** Answers the request and returns true when it is an onboarding route. */
  handle(route: string, body: unknown, res: ServerResponse): boolean;
  api: FakeOAuthApi;
}

export function createOAuthRoutes(options: {
  issuer: () => string;
  createAccount: (opts?: FakeAccountOptions) => FakeAccount;
}): OAuthRoutes {
  const devices = new Map<string, DeviceCode>();
  const codes = new Map<string, IssuedCode>();
  const settings = { intervalSeconds: 1, expiresInSeconds: 900 };
  let exchanges = 0;

  function device(userCode: string): DeviceCode {
    const found = [...devices.values()].find((d) => d.userCode === userCode);
    if (!found) throw new Error(`fake auth: unknown user code ${userCode}`);
    return found;
  }

  function issueCode(challenge: string, redirectUri: string, account: FakeAccount): string {
    const code = `ac_${randomHex(16)}`;
    codes.set(code, { challenge, redirectUri, account, used: false });
    return code;
  }

  function userCode(body: Json, res: ServerResponse): void {
    if (body.client_id !== CODEX_CLIENT_ID) {
      send(res, 400, oauthError("invalid_client", "Unknown client_id"));
      return;
    }
    const entry: DeviceCode = {
      deviceAuthId: `dev_${randomHex(16)}`,
      userCode: `${randomHex(2).toUpperCase()}-${randomHex(2).toUpperCase()}`,
      expiresAt: Date.now() + settings.expiresInSeconds * 1000,
      state: "pending",
      slowDownNext: false,
    };
    devices.set(entry.deviceAuthId, entry);
    // The real answer carries the interval as a string.
    send(res, 200, {
      device_auth_id: entry.deviceAuthId,
      user_code: entry.userCode,
      interval: String(settings.intervalSeconds),
      expires_at: new Date(entry.expiresAt).toISOString(),
    });
  }

  function deviceToken(body: Json, res: ServerResponse): void {
    const entry = typeof body.device_auth_id === "string" ? devices.get(body.device_auth_id) : undefined;
    if (!entry || entry.userCode !== body.user_code) {
      send(res, 404, oauthError("device_auth_not_found", "Unknown device authorization"));
      return;
    }
    if (entry.slowDownNext) {
      entry.slowDownNext = false;
      send(res, 400, { error: "slow_down" });
      return;
    }
    if (entry.expiresAt <= Date.now()) {
      send(res, 400, { error: "expired_token" });
      return;
    }
    if (entry.state === "denied") {
      send(res, 400, oauthError("access_denied", "The user denied the request"));
      return;
    }
    if (entry.state === "pending") {
      send(res, 403, oauthError("authorization_pending", "Waiting for the user to approve"));
      return;
    }
    if (entry.state === "exchanged" || !entry.codeVerifier || !entry.authorizationCode || !entry.account) {
      send(res, 400, oauthError("invalid_grant", "This device code was already used"));
      return;
    }
    send(res, 200, {
      authorization_code: entry.authorizationCode,
      code_challenge: s256(entry.codeVerifier),
      code_verifier: entry.codeVerifier,
    });
  }

  /** Why an authorization-code grant is refused, or undefined when it is good. */
  function refuseGrant(body: Json, issued: IssuedCode | undefined): [string, string] | undefined {
    if (body.client_id !== CODEX_CLIENT_ID) return ["invalid_client", "Unknown client_id"];
    if (!issued || issued.used) return ["invalid_grant", "Invalid or reused authorization code"];
    if (body.redirect_uri !== issued.redirectUri) return ["invalid_grant", "redirect_uri mismatch"];
    if (typeof body.code_verifier !== "string" || s256(body.code_verifier) !== issued.challenge) {
      return ["invalid_grant", "code_verifier does not match the code_challenge"];
    }
    return undefined;
  }

  function exchange(body: Json, res: ServerResponse): void {
    exchanges++;
    const issued = typeof body.code === "string" ? codes.get(body.code) : undefined;
    const refused = refuseGrant(body, issued);
    if (refused || !issued) {
      const [code, message] = refused ?? ["invalid_grant", "Invalid authorization code"];
      send(res, 400, oauthError(code, message));
      return;
    }
    issued.used = true;
    for (const entry of devices.values()) {
      if (entry.authorizationCode === body.code) entry.state = "exchanged";
    }
    const { tokens } = issued.account.authJson;
    send(res, 200, {
      id_token: tokens.id_token,
      access_token: tokens.access_token,
      refresh_token: tokens.refresh_token,
      expires_in: 3600,
      token_type: "Bearer",
      scope: "openid profile email offline_access",
    });
  }

  return {
    handle(route, body, res) {
      const b = (typeof body === "object" && body !== null ? body : {}) as Json;
      if (route === "POST /api/accounts/deviceauth/usercode") userCode(b, res);
      else if (route === "POST /api/accounts/deviceauth/token") deviceToken(b, res);
      else if (route === "POST /oauth/token" && b.grant_type === "authorization_code") exchange(b, res);
      else return false;
      return true;
    },
    api: {
      setDeviceLogin(next) {
        Object.assign(settings, next);
      },
      approveDevice(code, accountOpts) {
        const entry = device(code);
        const account = options.createAccount(accountOpts);
        const verifier = randomHex(32);
        entry.state = "approved";
        entry.account = account;
        entry.codeVerifier = verifier;
        entry.authorizationCode = issueCode(
          s256(verifier),
          `${options.issuer()}/deviceauth/callback`,
          account,
        );
        return account;
      },
      denyDevice(code) {
        device(code).state = "denied";
      },
      slowDownDevice(code) {
        device(code).slowDownNext = true;
      },
      expireDevice(code) {
        device(code).expiresAt = Date.now() - 1;
      },
      authorize(authorizeUrl, accountOpts) {
        const url = new URL(authorizeUrl);
        const q = url.searchParams;
        if (url.pathname !== "/oauth/authorize")
          throw new Error(`fake auth: not an authorize URL: ${url.pathname}`);
        if (q.get("response_type") !== "code" || q.get("client_id") !== CODEX_CLIENT_ID) {
          throw new Error("fake auth: authorize URL needs response_type=code and the Codex client_id");
        }
        if (q.get("code_challenge_method") !== "S256" || !q.get("code_challenge")) {
          throw new Error("fake auth: authorize URL needs an S256 code_challenge");
        }
        const redirectUri = q.get("redirect_uri") ?? "";
        const state = q.get("state") ?? "";
        const account = options.createAccount(accountOpts);
        const code = issueCode(q.get("code_challenge") ?? "", redirectUri, account);
        const callback = new URL(redirectUri);
        callback.searchParams.set("code", code);
        callback.searchParams.set("scope", q.get("scope") ?? "");
        callback.searchParams.set("state", state);
        return { callbackUrl: callback.toString(), code, account };
      },
      codeExchanges: () => exchanges,
    },
  };
}
