// Domain records as the store keeps them. `accounts` are upstream ChatGPT accounts; operators are
// the people who hold admin tokens.
// The lists of values are the admin contract's vocabulary (one list for the core, the API, the CLI and
// the console): import them from there; the types of their values are named here.
import type {
  ACCOUNT_STATUSES,
  CREDENTIAL_STATUSES,
  REASONING_EFFORTS,
  ROUTING_STRATEGIES,
} from "../admin-contract/enums.ts";

export type RoutingStrategy = (typeof ROUTING_STRATEGIES)[number];
export const DEFAULT_STRATEGY: RoutingStrategy = "bridge_ring";
export const DEFAULT_RING_SIZE = 3;

export interface Pool {
  name: string;
  strategy: RoutingStrategy;
  /** How many accounts one request may try (failover bound). */
  ringSize: number;
  /** /v1/images and the native image routes; unset means allowed (pools from before the switch). */
  allowImageGeneration?: boolean;
  /** A disabled Pool's keys are refused (401) and their dashboard sessions end; unset means enabled. */
  disabled?: boolean;
  /** Epoch ms of the latest disable: dashboard sessions from before it never come back. */
  disabledAt?: number;
  createdAt: number;
  updatedAt: number;
}

export type AccountStatus = (typeof ACCOUNT_STATUSES)[number];

export interface QuotaWindow {
  usedPercent: number;
  windowMinutes?: number;
  /** Epoch seconds. */
  resetAt?: number;
}

/** Passive quota evidence read off upstream responses. */
export interface QuotaEvidence {
  planType?: string;
  primary?: QuotaWindow;
  secondary?: QuotaWindow;
  /** Epoch ms of the observation. */
  observedAt: number;
  /** Set when the upstream answered with a usage-limit 429; epoch seconds. */
  exhaustedUntil?: number;
}

export interface Account {
  id: string;
  label: string;
  pools: string[];
  status: AccountStatus;
  /** The ChatGPT account id sent as `chatgpt-account-id`. Never shown outside the admin API. */
  chatgptAccountId: string;
  chatgptUserId?: string;
  email?: string;
  planType?: string;
  /** Name of the secret in the SecretStore holding the tokens. */
  secretName: string;
  /** Epoch ms from the access token's `exp`. */
  accessTokenExpiresAt?: number;
  lastRefreshAt?: number;
  /** Consecutive transient refresh failures and when to try again (epoch ms). */
  refreshFailures?: number;
  refreshRetryAt?: number;
  lastUsedAt?: number;
  lastErrorCode?: string;
  quota?: QuotaEvidence;
  /** Models the upstream said this account cannot serve. */
  unavailableModels?: string[];
  lastSuccessAt?: number;
  /** Bumped on every token rotation so followers can tell a refresh already happened. */
  credentialEpoch: number;
  refreshLeaseOwner?: string;
  refreshLeaseUntil?: number;
  createdAt: number;
  updatedAt: number;
}

/** What the SecretStore holds for one account (JSON). */
export interface AccountTokens {
  idToken: string;
  accessToken: string;
  refreshToken: string;
}

export const CREDENTIAL_KINDS = ["pool_key", "mcp_token", "admin_token"] as const;
export type CredentialKind = (typeof CREDENTIAL_KINDS)[number];
export type CredentialStatus = (typeof CREDENTIAL_STATUSES)[number];

export type ReasoningEffort = (typeof REASONING_EFFORTS)[number];

/** Per-key limits; an absent field means no cap (not zero). See docs/key-policy.md. */
export interface KeyPolicy {
  /** Absent: every model; a list: only those; an empty list: none. */
  allowedModels?: string[];
  /** Highest reasoning effort a request may ask for (rejected above, never clamped). */
  maxReasoningEffort?: ReasoningEffort;
  requestsPerMinute?: number;
  /** Total tokens per UTC day / ISO week (Monday 00:00 UTC). */
  tokensPerDay?: number;
  tokensPerWeek?: number;
}

/** Pool API keys, MCP tokens and admin tokens: only the SHA-256 of the secret part is kept. */
export interface Credential {
  kind: CredentialKind;
  id: string;
  /** Pool API keys belong to exactly one Pool. */
  pool?: string;
  label?: string;
  status: CredentialStatus;
  secretHash: string;
  createdAt: number;
  updatedAt: number;
  lastUsedAt?: number;
  revokedAt?: number;
  /** Pool API keys only. */
  policy?: KeyPolicy;
  /** Admin and MCP tokens: `pool_admin` sees only `pools` (src/core/access/scope.ts); absent = owner. */
  role?: "owner" | "pool_admin";
  /** Admin and MCP tokens with the `pool_admin` role: the assigned Pools. */
  pools?: string[];
  /** Pool API keys only: the holder may sign in to the read-only dashboard (/observatory). */
  dashboardAccess?: boolean;
  /** Epoch ms: dashboard sessions created at or before this are over (pause, revoke, rotate, access off). */
  sessionsEndedAt?: number;
}

/** A key holder's dashboard session; only the SHA-256 of its secret is kept. */
export interface ObservatorySession {
  keyId: string;
  id: string;
  /** The key's Pool when it began: a key moved elsewhere ends it. */
  pool: string;
  tokenHash: string;
  createdAt: number;
  /** Epoch seconds: the absolute end (at most 14 days after creation, never renewed); DynamoDB TTL. */
  expiresAt: number;
}

export interface AuditEvent {
  id: string;
  at: number;
  actor: string;
  action: string;
  targetType: string;
  targetId?: string;
  outcome: "success" | "failure";
  /** Metadata only: labels, field names, counts. */
  details?: Record<string, string | number | boolean | null>;
}

export interface TokenUsage {
  inputTokens: number;
  cachedTokens: number;
  outputTokens: number;
  reasoningTokens: number;
  totalTokens: number;
}

export interface RequestLog {
  id: string;
  at: number;
  pool?: string;
  keyId?: string;
  accountId?: string;
  accountLabel?: string;
  route: string;
  method: string;
  transport: "http_json" | "http_sse" | "websocket";
  model?: string;
  status: number;
  errorCode?: string;
  attempts: number;
  durationMs: number;
  ttfbMs?: number;
  usage?: TokenUsage;
  /** Epoch seconds; the store deletes the row after this (DynamoDB TTL). */
  expiresAt: number;
}

/** A file held by one upstream account: metadata only, never its bytes. */
export interface StoredFile {
  /** The upstream's file id. */
  id: string;
  pool: string;
  /** The account that holds it; requests referencing the file are pinned there. */
  accountId: string;
  filename: string;
  bytes: number;
  purpose: string;
  status: "pending" | "uploaded";
  createdAt: number;
  /** Epoch seconds; the store deletes the row after this (DynamoDB TTL). */
  expiresAt: number;
}

/** A one-time invite to lend a ChatGPT account to one Pool (src/core/accounts/invites.ts). */
export interface Invite {
  id: string;
  pool: string;
  /** Who the invite is for (shown masked); the account that signs in may differ. */
  email: string;
  /** Label for the account the invite adds; default: the gateway's plan-based label. */
  label?: string;
  /** Stored status; an `active` invite past `endsAt` is expired (see `inviteStatus`). */
  status: "active" | "accepted" | "revoked";
  /** SHA-256 of the token's secret part. */
  tokenHash: string;
  createdBy: string;
  createdAt: number;
  updatedAt: number;
  /** Epoch ms: the invite cannot be used from then on (24 h after creation). */
  endsAt: number;
  /** The device-code login the invitee started last. */
  flowId?: string;
  accountId?: string;
  acceptedAt?: number;
  revokedAt?: number;
  /** Epoch seconds: the store may drop the item after this (DynamoDB TTL). */
  expiresAt: number;
}
