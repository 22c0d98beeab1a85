import type { FaultBehavior } from "./faults.ts";

export interface FakeAccountOptions {
  accountId?: string;
  planType?: string;
  email?: string;
  userId?: string;
  /** Lifetime of issued access/id tokens; default 3600. 0 or negative mints an already-expired token. */
  accessTokenTtlSeconds?: number;
  /** TTL of the tokens in the returned auth.json only (0 = already expired); refreshes use accessTokenTtlSeconds. */
  initialAccessTokenTtlSeconds?: number;
}

/** The Codex `$CODEX_HOME/auth.json` object (codex-protocol.md §6.1). */
export interface AuthJson {
  auth_mode: "chatgpt";
  OPENAI_API_KEY: null;
  tokens: { id_token: string; access_token: string; refresh_token: string; account_id: string };
  last_refresh: string;
}

export interface FakeAccount {
  accountId: string;
  authJson: AuthJson;
}

export type Behavior =
  | FaultBehavior
  | { kind: "text"; text?: string; delayMsBetweenEvents?: number; pauseAfterEvent?: number }
  | { kind: "tool_call"; command?: string }
  | { kind: "usage_limit_429"; resetsInSeconds?: number }
  | { kind: "rate_limit_429" }
  | { kind: "overloaded_503" }
  | { kind: "server_error_500" }
  | { kind: "unauthorized_401"; code?: "token_expired" | "invalid_api_key" }
  | { kind: "drop_mid_stream" }
  | { kind: "response_failed"; code: string; message?: string }
  | { kind: "stall" }
  | { kind: "reset_connection" };

export interface RecordedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  headers: Record<string, string>;
  /** Parsed JSON (or form fields) after content-encoding was undone; raw text for other bodies. */
  body?: unknown;
  accountId?: string;
}

export interface UsageSettings {
  primaryUsedPercent?: number;
  secondaryUsedPercent?: number;
  planType?: string;
}

/** The fake auth server's onboarding controls (device-code and browser PKCE logins). */
export interface FakeOAuthApi {
  /** What the next device-code answers carry; defaults: interval 1 s, expires in 900 s. */
  setDeviceLogin(settings: { intervalSeconds?: number; expiresInSeconds?: number }): void;
  /** The user approves the device code: a new fake account whose tokens the exchange hands out. */
  approveDevice(userCode: string, accountOpts?: FakeAccountOptions): FakeAccount;
  denyDevice(userCode: string): void;
  /** The next poll of this device code answers `slow_down`. */
  slowDownDevice(userCode: string): void;
  expireDevice(userCode: string): void;
  /**
   * The user signs in at this authorize URL: issues an authorization code bound to its S256
   * challenge and redirect URI, and returns the callback URL the browser would end on.
   */
  authorize(
    authorizeUrl: string,
    accountOpts?: FakeAccountOptions,
  ): { callbackUrl: string; code: string; account: FakeAccount };
  /** `grant_type=authorization_code` calls seen on /oauth/token. */
  codeExchanges(): number;
}

export interface FakeUpstream extends FakeOAuthApi {
  url: string;
  upstreamBaseUrl: string;
  authBaseUrl: string;
  requests: RecordedRequest[];
  createAccount(opts?: FakeAccountOptions): FakeAccount;
  enqueue(accountId: string, ...behaviors: Behavior[]): void;
  setDefaultBehavior(accountId: string, behavior: Behavior): void;
  setUsage(accountId: string, usage: UsageSettings): void;
  expireAccessToken(accountId: string): void;
  /** The account's unary routes (files, transcription, images, compaction) answer `status`; undefined heals. */
  failUnary(accountId: string, status?: number): void;
  /** The token endpoint answers `status` (e.g. 500) for this account's refreshes; undefined heals it. */
  failRefresh(accountId: string, status?: number): void;
  refreshCount(accountId: string): number;
  releasePaused(): void;
  responsesFor(accountId: string): RecordedRequest[];
  /** Every Responses WebSocket connection the fake accepted, oldest first. */
  websocketSessions: FakeWebSocketSession[];
  /** Kills the account's open upstream WebSockets (a network drop between turns); returns how many. */
  dropWebSockets(accountId: string): number;
  close(): Promise<void>;
}

/** One accepted upstream WebSocket connection (test metadata: handshake headers and turn bodies). */
export interface FakeWebSocketSession {
  accountId: string;
  path: string;
  headers: Record<string, string>;
  /** The parsed `response.create` frames, in order. */
  requests: Record<string, unknown>[];
  /** Client frames received (any type). */
  frames: number;
  open: boolean;
  closeCode?: number;
}
