// Access tokens for upstream accounts, refreshed before expiry. Refresh tokens rotate and are
// single-use, so a refresh runs once per account across every instance: an in-process promise
// map for this instance plus a conditional-write lease on the account item for the others.
import { randomBytes } from "node:crypto";
import type { CoreContext } from "../context.ts";
import { GatewayError } from "../errors.ts";
import type { Account, AccountTokens } from "../model.ts";
import { readUpstreamJson } from "../support/bounded-read.ts";
import { SingleFlight } from "../support/single-flight.ts";
import { readTokenFacts } from "./auth-json.ts";

export const CODEX_CLIENT_ID = "app_EMoamEEZ73f0CkXaXp7hrann";
/** Longer than the token call's timeout plus slack, so a slow refresh never outlives its lease. */
const LEASE_MS = 60_000;
const REFRESH_TIMEOUT_MS = 30_000;
const FOLLOWER_POLL_MS = 200;
const FOLLOWER_WAIT_MS = 15_000;
const RETRY_BASE_MS = 30_000;
const RETRY_MAX_MS = 15 * 60_000;
/** Refresh errors that mean the login is gone for good (codex-rs and the original agree). */
const PERMANENT_CODES = new Set([
  "refresh_token_expired",
  "refresh_token_reused",
  "refresh_token_invalidated",
  "invalid_grant",
  "revoked",
  "invalid_refresh_token",
  "token_expired",
]);

export class TokenManager {
  readonly #inflight = new Map<string, Promise<AccountTokens>>();
  /**
   * Tokens last read or rotated here, per account, with their credential epoch. Every rotation and
   * re-import moves the epoch, so tokens at a known epoch can be reused without reading (and
   * decrypting) the SecretStore on every request; a newer epoch means another instance rotated them.
   */
  readonly #tokens = new Map<string, { epoch: number; tokens: AccountTokens }>();
  /** Reads of an account's tokens at one epoch in flight (a prefetch and the request share one). */
  readonly #reads = new SingleFlight<AccountTokens>();

  constructor(private readonly ctx: CoreContext) {}

  /** A usable access token, refreshed first when it expires within the configured skew. */
  async accessToken(account: Account): Promise<AccountTokens> {
    const known = this.#tokens.get(account.id);
    // A local refresh is ahead of the (briefly cached) account record: its epoch is higher.
    const tokens =
      known && known.epoch >= account.credentialEpoch ? known.tokens : await this.#readAtEpoch(account);
    const expiresAt = account.accessTokenExpiresAt;
    const now = this.ctx.clock.now();
    if (expiresAt === undefined || expiresAt - this.ctx.config.refreshSkewMs > now) return tokens;
    try {
      return await this.refresh(account, "proactive_expiry");
    } catch (error) {
      // A transient failure inside the skew window: the current token is still good for now.
      if (error instanceof GatewayError && error.code === "account_refresh_failed" && expiresAt > now)
        return tokens;
      throw error;
    }
  }

  /**
   * Reads the tokens of accounts this instance holds none for yet (a cold instance), before a request
   * picks one: the read then overlaps the request's own store reads. Never rejects.
   */
  prefetch(accounts: Account[]): void {
    for (const account of accounts) {
      const known = this.#tokens.get(account.id);
      if (known && known.epoch >= account.credentialEpoch) continue;
      this.ctx.background(this.#readAtEpoch(account).catch(() => undefined));
    }
  }

  #readAtEpoch(account: Account): Promise<AccountTokens> {
    return this.#reads.run(`${account.id}\u0000${account.credentialEpoch}`, () => this.#read(account, true));
  }

  /** Single-flight refresh; `reason` is what codex-rs sends as refresh_reason. */
  refresh(account: Account, reason: "proactive_expiry" | "unauthorized_recovery"): Promise<AccountTokens> {
    const running = this.#inflight.get(account.id);
    if (running) return running;
    const task = this.#refresh(account, reason).finally(() => this.#inflight.delete(account.id));
    this.#inflight.set(account.id, task);
    return task;
  }

  async #refresh(seen: Account, reason: string): Promise<AccountTokens> {
    const { store, clock, config } = this.ctx;
    const owner = `${config.instanceId}:${randomBytes(4).toString("hex")}`;
    if (!(await store.accounts.acquireRefreshLease(seen.id, owner, clock.now() + LEASE_MS, clock.now()))) {
      return this.#follow(seen);
    }
    try {
      const current = await store.accounts.get(seen.id);
      if (!current) throw new GatewayError(503, "account_unavailable", "upstream account was removed");
      // Another instance finished a refresh between our read and our lease: use its tokens.
      if (current.credentialEpoch > seen.credentialEpoch) return this.#read(current, true);
      const tokens = await this.#read(current, true);
      await store.accounts.update(current.id, {
        status: statusDuringRefresh(current),
        updatedAt: clock.now(),
      });
      const fresh = await this.#callTokenEndpoint(current, tokens, reason);
      // Persist the rotated refresh token before anyone uses the new access token.
      await this.ctx.secrets.put(current.secretName, JSON.stringify(fresh));
      this.#tokens.set(current.id, { epoch: current.credentialEpoch + 1, tokens: fresh });
      const facts = readTokenFacts(fresh.accessToken);
      // Re-read: an operator may have paused the account while the refresh ran.
      const latest = await store.accounts.get(current.id);
      await store.accounts.update(current.id, {
        status: latest?.status === "paused" ? "paused" : "active",
        credentialEpoch: current.credentialEpoch + 1,
        accessTokenExpiresAt: facts.expiresAt ?? fresh.expiresAt,
        planType: readTokenFacts(fresh.idToken).planType ?? current.planType,
        lastRefreshAt: clock.now(),
        lastErrorCode: undefined,
        refreshFailures: undefined,
        refreshRetryAt: undefined,
        updatedAt: clock.now(),
      });
      this.ctx.metrics.count("token_refresh", 1, { outcome: "success" });
      return fresh;
    } finally {
      await store.accounts.releaseRefreshLease(seen.id, owner).catch(() => undefined);
    }
  }

  /** Another instance holds the lease: wait for its rotation to land, then read the new tokens. */
  async #follow(seen: Account): Promise<AccountTokens> {
    const deadline = this.ctx.clock.now() + FOLLOWER_WAIT_MS;
    while (this.ctx.clock.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, FOLLOWER_POLL_MS));
      const current = await this.ctx.store.accounts.get(seen.id);
      if (!current) break;
      if (current.credentialEpoch > seen.credentialEpoch) return this.#read(current, true);
      // Judge the outcome only once the leader has let go, so an old failure status is not mistaken for its.
      if (!current.refreshLeaseUntil || current.refreshLeaseUntil < this.ctx.clock.now()) {
        if (current.status === "reauth_required" || current.status === "refresh_failed") {
          throw refreshError(current.status, current.lastErrorCode);
        }
        break;
      }
    }
    throw new GatewayError(503, "refresh_in_progress", "upstream account token refresh is still in progress");
  }

  async #callTokenEndpoint(
    account: Account,
    tokens: AccountTokens,
    reason: string,
  ): Promise<AccountTokens & { expiresAt?: number }> {
    const { clock, config } = this.ctx;
    let response: Response;
    try {
      response = await this.ctx.fetch(`${config.authBaseUrl}/oauth/token`, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          accept: "application/json",
          originator: "codex_cli_rs",
          "user-agent": `codex_cli_rs/${config.clientVersion}`,
        },
        body: JSON.stringify({
          client_id: CODEX_CLIENT_ID,
          grant_type: "refresh_token",
          refresh_token: tokens.refreshToken,
          refresh_reason: reason,
        }),
        signal: AbortSignal.timeout(REFRESH_TIMEOUT_MS),
      });
    } catch {
      await this.#fail(account, "refresh_failed", "refresh_network_error");
      throw refreshError("refresh_failed", "refresh_network_error");
    }
    const body = (await readUpstreamJson(response)) as Record<string, unknown> | null | undefined;
    if (!response.ok) {
      const code = errorCode(body) ?? `http_${response.status}`;
      const permanent = response.status === 401 || PERMANENT_CODES.has(code);
      const status = permanent ? "reauth_required" : "refresh_failed";
      await this.#fail(account, status, code);
      this.ctx.logger.warn("token refresh failed", { account: account.label, status: response.status, code });
      throw refreshError(status, code);
    }
    const accessToken = str(body?.access_token);
    if (!accessToken) {
      await this.#fail(account, "refresh_failed", "refresh_response_invalid");
      throw refreshError("refresh_failed", "refresh_response_invalid");
    }
    const expiresIn = typeof body?.expires_in === "number" ? body.expires_in : undefined;
    return {
      accessToken,
      idToken: str(body?.id_token) ?? tokens.idToken,
      refreshToken: str(body?.refresh_token) ?? tokens.refreshToken,
      expiresAt: expiresIn !== undefined ? clock.now() + expiresIn * 1000 : undefined,
    };
  }

  async #fail(account: Account, status: "refresh_failed" | "reauth_required", code: string): Promise<void> {
    this.ctx.metrics.count("token_refresh", 1, { outcome: status });
    const now = this.ctx.clock.now();
    // Transient failures back off (30 s doubling, at most 15 min); permanent ones wait for a new login.
    const failures = (account.refreshFailures ?? 0) + 1;
    const backoff = Math.min(RETRY_BASE_MS * 2 ** (failures - 1), RETRY_MAX_MS);
    await this.ctx.store.accounts.update(account.id, {
      status: account.status === "paused" ? "paused" : status,
      lastErrorCode: code,
      refreshFailures: status === "refresh_failed" ? failures : undefined,
      refreshRetryAt: status === "refresh_failed" ? now + backoff : undefined,
      updatedAt: now,
    });
  }

  async #read(account: Account, fresh: boolean): Promise<AccountTokens> {
    const raw = await this.ctx.secrets.get(account.secretName, { fresh });
    if (!raw) {
      this.#tokens.delete(account.id);
      throw new GatewayError(
        503,
        "account_unavailable",
        "upstream account credentials are missing; re-import it",
      );
    }
    const tokens = JSON.parse(raw) as AccountTokens;
    this.#tokens.set(account.id, { epoch: account.credentialEpoch, tokens });
    return tokens;
  }
}

const statusDuringRefresh = (account: Account) => (account.status === "paused" ? "paused" : "refreshing");

export const str = (v: unknown) => (typeof v === "string" && v.length > 0 ? v : undefined);

/**
 * The auth server's error code, cut to a short code-like token: it is stored on the account, logged
 * and can end up in a message, and the server is outside bytes.
 */
export function errorCode(body: Record<string, unknown> | null | undefined): string | undefined {
  if (!body) return undefined;
  const error = body.error;
  const raw =
    typeof error === "string"
      ? error
      : error && typeof error === "object"
        ? str((error as Record<string, unknown>).code)
        : str(body.code);
  return raw?.replace(/[^A-Za-z0-9_.-]/g, "").slice(0, 64) || undefined;
}

function refreshError(status: string, code: string | undefined): GatewayError {
  return status === "reauth_required"
    ? new GatewayError(
        503,
        "account_reauth_required",
        `upstream account needs a new login (${code ?? "unknown"})`,
      )
    : new GatewayError(503, "account_refresh_failed", `upstream token refresh failed (${code ?? "unknown"})`);
}
