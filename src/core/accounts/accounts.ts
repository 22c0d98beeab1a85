// Upstream ChatGPT accounts: import from a Codex auth.json (or an OAuth login), lifecycle, and views
// without secrets.
import { recordAudit } from "../audit.ts";
import type { CoreContext } from "../context.ts";
import { GatewayError, notFound } from "../errors.ts";
import { accountId } from "../ids.ts";
import { normalizeLabel } from "../keys/credentials.ts";
import type { Account, AccountStatus, AccountTokens } from "../model.ts";
import { requirePool } from "../pools/pools.ts";
import { type ImportedAuth, parseAuthJson } from "./auth-json.ts";

export const accountSecretName = (id: string) => `accounts/${id}`;

export interface ImportResult {
  account: Account;
  warnings: string[];
  replaced: boolean;
}

export async function importAccount(
  ctx: CoreContext,
  input: { pool: string; authJson: unknown; label?: string },
  actor: string,
): Promise<ImportResult> {
  await requirePool(ctx, input.pool);
  const auth = parseAuthJson(input.authJson);
  return saveAccountLogin(ctx, { pool: input.pool, label: input.label, auth }, actor, {
    action: "upstream_account.import",
    ownershipWarning:
      "the gateway now refreshes this account's tokens: stop using this auth.json elsewhere (a second copy refreshing " +
      "the same login invalidates both, and the account then needs a new import)",
  });
}

/**
 * Tokens → account, shared by auth.json import and OAuth onboarding: stores the tokens in the
 * SecretStore, creates the account or updates the known login (same account id and user id),
 * and leaves one audit event with `source.action`.
 */
export async function saveAccountLogin(
  ctx: CoreContext,
  input: { pool: string; label?: string; auth: ImportedAuth },
  actor: string,
  source: { action: string; ownershipWarning: string; auditDetails?: Record<string, string> },
): Promise<ImportResult> {
  const { auth } = input;
  const label = normalizeLabel(input.label);
  const now = ctx.clock.now();
  const warnings = [source.ownershipWarning];
  if (auth.accessTokenExpiresAt !== undefined && auth.accessTokenExpiresAt <= now) {
    warnings.push("the access token has expired; it will be refreshed before the first request");
  }
  // Workspace seats share an account id, so the identity is (account id, user id).
  const existing = (await ctx.store.accounts.list()).find(
    (a) => a.chatgptAccountId === auth.chatgptAccountId && a.chatgptUserId === auth.chatgptUserId,
  );
  const id = existing?.id ?? accountId();
  const secretName = accountSecretName(id);
  await ctx.secrets.put(secretName, JSON.stringify(auth.tokens satisfies AccountTokens));
  const facts = {
    planType: auth.planType,
    email: auth.email,
    accessTokenExpiresAt: auth.accessTokenExpiresAt,
    lastErrorCode: undefined,
    updatedAt: now,
  };
  let account: Account;
  if (existing) {
    const pools = existing.pools.includes(input.pool) ? existing.pools : [...existing.pools, input.pool];
    account = await ctx.store.accounts.update(id, {
      ...facts,
      pools,
      label: label ?? existing.label,
      status: existing.status === "paused" ? "paused" : "active",
      credentialEpoch: existing.credentialEpoch + 1,
    });
    warnings.push(`replaced the tokens of existing account ${existing.label} (${id})`);
  } else {
    account = {
      ...facts,
      id,
      label: label ?? `${auth.planType ?? "chatgpt"}-${id.slice(4, 10)}`,
      pools: [input.pool],
      status: "active",
      chatgptAccountId: auth.chatgptAccountId,
      chatgptUserId: auth.chatgptUserId,
      secretName,
      credentialEpoch: 1,
      createdAt: now,
    };
    await ctx.store.accounts.create(account);
  }
  await recordAudit(ctx, {
    actor,
    action: source.action,
    targetType: "upstream_account",
    targetId: id,
    details: {
      pool: input.pool,
      label: account.label,
      plan: account.planType ?? null,
      replaced: Boolean(existing),
      ...source.auditDetails,
    },
  });
  return { account, warnings, replaced: Boolean(existing) };
}

export async function requireAccount(ctx: CoreContext, id: string): Promise<Account> {
  const account = await ctx.store.accounts.get(id);
  if (!account)
    throw notFound(`account ${id} does not exist; see \`pooler account list\``, "account_not_found");
  return account;
}

export async function setAccountStatus(
  ctx: CoreContext,
  id: string,
  action: "pause" | "resume",
  actor: string,
): Promise<Account> {
  const account = await requireAccount(ctx, id);
  if (action === "resume" && account.status === "reauth_required") {
    throw new GatewayError(
      409,
      "reauth_required",
      "this account needs a new login: run `codex login` and import its auth.json again",
    );
  }
  const status: AccountStatus = action === "pause" ? "paused" : "active";
  const updated = await ctx.store.accounts.update(id, { status, updatedAt: ctx.clock.now() });
  await recordAudit(ctx, {
    actor,
    action: action === "pause" ? "upstream_account.pause" : "upstream_account.reactivate",
    targetType: "upstream_account",
    targetId: id,
    details: { from: account.status, to: status },
  });
  return updated;
}

export async function removeAccount(ctx: CoreContext, id: string, actor: string): Promise<void> {
  const account = await requireAccount(ctx, id);
  await ctx.secrets.delete(account.secretName);
  await ctx.store.accounts.delete(id);
  await recordAudit(ctx, {
    actor,
    action: "upstream_account.delete",
    targetType: "upstream_account",
    targetId: id,
    details: { label: account.label },
  });
}

/** An epoch-ms time as ISO 8601; null for none (a defined time always gives a string). */
export function iso(ms: number): string;
export function iso(ms: number | undefined): string | null;
export function iso(ms: number | undefined): string | null {
  return ms === undefined ? null : new Date(ms).toISOString();
}
