// Ports: what the core needs from a host. Adapters in src/adapters implement them for AWS and
// for the local Node host; the core never imports an AWS SDK.

import type { FirewallSettings } from "./access/firewall.ts";
import type { AlertRepositories } from "./alerts/ports.ts";
import type {
  Account,
  AuditEvent,
  Credential,
  CredentialKind,
  Invite,
  ObservatorySession,
  Pool,
  RequestLog,
  StoredFile,
} from "./model.ts";
import type { Page } from "./page.ts";
import type {
  RecentBucket,
  RollupIncrement,
  RollupSelector,
  RollupTarget,
  UsageRollup,
} from "./usage/model.ts";

/** Wall clock in epoch milliseconds; injected so tests can move time. */
export interface Clock {
  now(): number;
}

/** Encrypted-at-rest secret storage (upstream tokens, signing secrets). Values are opaque strings. */
export interface SecretReadOptions {
  /** Bypass any cache (a follower reading tokens another instance just rotated). */
  fresh?: boolean;
}

export interface SecretStore {
  get(name: string, options?: SecretReadOptions): Promise<string | undefined>;
  put(name: string, value: string): Promise<void>;
  delete(name: string): Promise<void>;
}

/** Outbound HTTP to the upstream and auth servers (web-standard fetch). */
export type UpstreamFetch = (url: string, init: RequestInit) => Promise<Response>;

export type MetricDimensions = Record<string, string>;

/** Metadata-only metrics sink. */
export interface Metrics {
  count(name: string, value?: number, dimensions?: MetricDimensions): void;
  timing(name: string, milliseconds: number, dimensions?: MetricDimensions): void;
}

export type { Page } from "./page.ts";

export interface PoolRepository {
  /** Fails with ConflictError when the name is taken. */
  create(pool: Pool): Promise<void>;
  get(name: string): Promise<Pool | undefined>;
  list(): Promise<Pool[]>;
  update(name: string, patch: Partial<Omit<Pool, "name" | "createdAt">>): Promise<Pool>;
}

export interface AccountRepository {
  create(account: Account): Promise<void>;
  get(id: string): Promise<Account | undefined>;
  list(): Promise<Account[]>;
  listByPool(pool: string): Promise<Account[]>;
  /** Plain update of the given fields; NotFoundError when the account is gone. */
  update(id: string, patch: Partial<Omit<Account, "id" | "createdAt">>): Promise<Account>;
  delete(id: string): Promise<void>;
  /**
   * Conditional single-item write: take the refresh lease when it is free or expired.
   * Returns false when another owner holds an unexpired lease.
   */
  acquireRefreshLease(id: string, owner: string, until: number, now: number): Promise<boolean>;
  releaseRefreshLease(id: string, owner: string): Promise<void>;
}

export interface CredentialRepository {
  create(credential: Credential): Promise<void>;
  get(kind: CredentialKind, id: string): Promise<Credential | undefined>;
  list(kind: CredentialKind, filter?: { pool?: string }): Promise<Credential[]>;
  update(
    kind: CredentialKind,
    id: string,
    patch: Partial<Omit<Credential, "id" | "kind" | "createdAt">>,
  ): Promise<Credential>;
  /** True when at least one credential of this kind exists (first-start detection). */
  any(kind: CredentialKind): Promise<boolean>;
  /** Removes the item; NotFound when it is gone. */
  delete(kind: CredentialKind, id: string): Promise<void>;
}

/**
 * A Pool's concurrency slots across instances (the optional per-Pool cap on AWS, src/core/pools/pool-slots.ts):
 * one item per Pool holding each taken slot's end, changed by conditional single-item writes.
 */
export interface PoolSlotRepository {
  /**
   * Takes slot `slot` until `untilMs` while fewer than `cap` are taken; slots past their end are
   * reclaimed first when the Pool looks full. False when all `cap` are taken.
   */
  take(pool: string, slot: string, cap: number, untilMs: number, nowMs: number): Promise<boolean>;
  give(pool: string, slot: string): Promise<void>;
}

/** Key holders' dashboard sessions, one partition per key (src/core/keys/observatory.ts). */
export interface ObservatorySessionRepository {
  put(session: ObservatorySession): Promise<void>;
  get(keyId: string, id: string): Promise<ObservatorySession | undefined>;
  /** Every stored session of the key (expired ones included until the store drops them). */
  list(keyId: string): Promise<ObservatorySession[]>;
  delete(keyId: string, id: string): Promise<void>;
}

export interface AuditRepository {
  append(event: AuditEvent): Promise<void>;
  list(query: { limit: number; cursor?: string }): Promise<Page<AuditEvent>>;
}

export interface RequestLogQuery {
  limit: number;
  cursor?: string;
  pool?: string;
  /** Only rows of these Pools (a Pool admin's scope); empty matches nothing. At most 100. */
  pools?: readonly string[];
  keyId?: string;
  /**
   * A bounded look (the key holder's dashboard): stop after reading this many rows, matching or not,
   * and return no cursor.
   */
  scanLimit?: number;
}

export interface RequestLogRepository {
  append(log: RequestLog): Promise<void>;
  list(query: RequestLogQuery): Promise<Page<RequestLog>>;
  /** One row by id (ids carry their time, so this is a single read); undefined when gone. */
  get(id: string): Promise<RequestLog | undefined>;
}

export interface Store {
  pools: PoolRepository;
  accounts: AccountRepository;
  credentials: CredentialRepository;
  audit: AuditRepository;
  requestLogs: RequestLogRepository;
  routing: RoutingStateRepository;
  pins: PinRepository;
  files: FileRepository;
  oauthFlows: OAuthFlowRepository;
  keyUsage: KeyUsageRepository;
  /** Daily usage rollups per Pool, key and account (src/core/usage/). */
  usageRollups: UsageRollupRepository;
  /** Alert rules, channels, incidents, deliveries and the evaluation lease (src/core/alerts/). */
  alerts: AlertRepositories;
  /** Gateway-wide switches an operator changes at run time (src/core/access/settings.ts). */
  settings: SettingsRepository;
  /** One-time invites to lend an account to a Pool (src/core/accounts/invites.ts). */
  invites: InviteRepository;
  /** Key holders' dashboard sessions. */
  observatorySessions: ObservatorySessionRepository;
  /** The optional per-Pool concurrency cap's slots. */
  poolSlots: PoolSlotRepository;
  /** Cheap reachability probe for /readyz. */
  ping(): Promise<void>;
}

/** One account's circuit for one model in one Pool. */
export interface CircuitRecord {
  accountId: string;
  model: string;
  failures: number;
  /** Epoch ms; open until then, half-open after. */
  openUntil?: number;
  /** Epoch ms; a half-open probe is in flight until then. */
  probeUntil?: number;
}

export interface RoutingSnapshot {
  /** `${model}|${accountId}` → demoted until (epoch ms). */
  demotions: Map<string, number>;
  /** `${accountId}|${model}` → circuit. */
  circuits: Map<string, CircuitRecord>;
  /** accountId → epoch ms of the latest success (least_recent_success). */
  lastSuccess: Map<string, number>;
}

/**
 * Routing state shared by every instance: demotions, circuits and last successes of a Pool live in
 * one partition so a single query refreshes a warm instance's cache.
 */
export interface RoutingStateRepository {
  load(pool: string, nowMs: number): Promise<RoutingSnapshot>;
  demote(pool: string, model: string, accountId: string, untilMs: number, reason: string): Promise<void>;
  /** Counts a failure; opens the circuit (until `openUntil`) when the count reaches the threshold. */
  recordFailure(
    pool: string,
    accountId: string,
    model: string,
    nowMs: number,
    policy: { threshold: number; openMs: number },
  ): Promise<CircuitRecord>;
  /** Closes the circuit, clears the demotion and stamps the last success. */
  recordSuccess(pool: string, accountId: string, model: string, nowMs: number): Promise<void>;
  /** Conditional write: exactly one half-open probe across instances. */
  acquireProbe(
    pool: string,
    accountId: string,
    model: string,
    nowMs: number,
    leaseMs: number,
  ): Promise<boolean>;
}

/** One item of gateway-wide settings; absent until an operator first changes one. */
export interface SettingsRepository {
  get(): Promise<GatewaySettings | undefined>;
  put(settings: GatewaySettings): Promise<void>;
}

export interface GatewaySettings {
  /** The instance MCP gate: when false, /mcp refuses every token (403). */
  mcpEnabled: boolean;
  /** The runtime client-IP allow-list (src/core/access/firewall.ts); absent = off. */
  firewall?: FirewallSettings;
  updatedAt?: number;
}

/** Continuity pins: a hashed anchor (session, previous response id, prompt cache key) → account. */
export interface PinRepository {
  get(hash: string): Promise<{ accountId: string; expiresAt: number } | undefined>;
  put(hash: string, accountId: string, expiresAtSeconds: number): Promise<void>;
}

/** One per-key counting window (a minute, a UTC day, an ISO week). */
export interface UsageWindow {
  kind: "minute" | "day" | "week";
  /** e.g. `2025-06-02T10:31`, `2025-06-02`, `2025-W23`. */
  id: string;
  /** Epoch seconds; the store may drop the counter after this (DynamoDB TTL). */
  expiresAt: number;
}

export interface UsageCounts {
  requests: number;
  tokens: number;
}

/** A key's minute, UTC day and ISO week at one moment. */
export interface KeyUsageWindows {
  minute: UsageWindow;
  day: UsageWindow;
  week: UsageWindow;
}

/** The limits a key's policy sets (absent: no cap). */
export interface KeyUsageLimits {
  requestsPerMinute?: number;
  tokensPerDay?: number;
  tokensPerWeek?: number;
}

/**
 * Per-key request and token counters: one item per key and ISO week holding the week's counters,
 * each of its days' and the current minute's, changed only by single-item atomic updates, so every
 * instance sees the same totals and a limit check is a condition on the write that counts the
 * request.
 */
export interface KeyUsageRepository {
  /**
   * Counts one request in the key's minute, day and week, only while every limit holds (one
   * conditional write; a second at a minute's start when another instance began the minute first).
   * Returns the windows whose limit refused it, and then counts nothing; empty when admitted.
   */
  admit(keyId: string, windows: KeyUsageWindows, limits: KeyUsageLimits): Promise<UsageWindow["kind"][]>;
  /** Adds a finished request's tokens to its day and week: one update. */
  addTokens(keyId: string, windows: Pick<KeyUsageWindows, "day" | "week">, tokens: number): Promise<void>;
  get(keyId: string, windows: KeyUsageWindows): Promise<Record<UsageWindow["kind"], UsageCounts>>;
}

export type OAuthFlowKind = "device" | "browser";
export type OAuthFlowStatus = "pending" | "exchanging" | "complete" | "failed" | "expired";

/**
 * An OAuth login in progress (device code or browser PKCE). Only public metadata lives here; the
 * device_auth_id, PKCE verifier and state are secret flow state kept in the SecretStore.
 */
export interface OAuthFlow {
  id: string;
  kind: OAuthFlowKind;
  pool: string;
  label?: string;
  status: OAuthFlowStatus;
  /** Device flow: what the operator types at `verificationUrl`. */
  userCode?: string;
  verificationUrl?: string;
  intervalSeconds?: number;
  /** Device flow: epoch ms before which the provider must not be asked again. */
  nextPollAt?: number;
  /** Set when complete. */
  accountId?: string;
  /** Set when failed or expired. */
  errorCode?: string;
  createdAt: number;
  updatedAt: number;
  /** Epoch ms: the login must be completed before this. */
  endsAt: number;
  /** Epoch seconds: the store may drop the item after this (DynamoDB TTL), a day after `endsAt`. */
  expiresAt: number;
}

export interface OAuthFlowRepository {
  create(flow: OAuthFlow): Promise<void>;
  get(id: string): Promise<OAuthFlow | undefined>;
  /**
   * Conditional single-item write: applies `patch` only while the flow is in status `from`.
   * Returns the updated flow, or undefined when the status moved on (another caller won).
   */
  transition(
    id: string,
    from: OAuthFlowStatus,
    patch: Partial<Omit<OAuthFlow, "id" | "kind" | "createdAt" | "endsAt" | "expiresAt">>,
  ): Promise<OAuthFlow | undefined>;
  /** Flows that ended (`endsAt`) before `beforeMs`, oldest first, at most `limit`. */
  listEnded(beforeMs: number, limit: number): Promise<OAuthFlow[]>;
  delete(id: string): Promise<void>;
}

/** File metadata per Pool (OpenAI /v1/files and the /backend-api/files bridge). */
export interface FileRepository {
  put(file: StoredFile): Promise<void>;
  /** Undefined when missing, expired or in another Pool. */
  get(pool: string, id: string): Promise<StoredFile | undefined>;
  /** Unexpired files of a Pool, newest first, at most `limit`. */
  list(pool: string, limit: number): Promise<StoredFile[]>;
}

/** Daily usage counters, changed only by atomic single-item ADD updates (src/core/usage/). */
export interface UsageRollupRepository {
  /**
   * Adds one request to each target's item of the increment's day (one atomic update per item, in
   * parallel); the Pool's item counts its five-minute bucket too.
   */
  add(targets: RollupTarget[], increment: RollupIncrement): Promise<void>;
  /** One day's rollups matching the selector (strongly consistent). */
  list(day: string, selector: RollupSelector): Promise<UsageRollup[]>;
  /** A Pool's buckets from `fromBucket` to `toBucket` inclusive (strongly consistent). */
  listRecent(pool: string, fromBucket: string, toBucket: string): Promise<RecentBucket[]>;
}

export interface InviteRepository {
  create(invite: Invite): Promise<void>;
  get(id: string): Promise<Invite | undefined>;
  /** Every stored invite, newest first. */
  list(): Promise<Invite[]>;
  /** Conditional single-item write: applies `patch` only while the stored status is `from`. */
  transition(
    id: string,
    from: Invite["status"],
    patch: Partial<
      Pick<Invite, "status" | "flowId" | "accountId" | "acceptedAt" | "revokedAt" | "updatedAt">
    >,
  ): Promise<Invite | undefined>;
}
