// Invites (docs/invites.md): an operator invites a teammate to lend a ChatGPT account to one Pool
// without handing over an auth.json. The invite is a one-time URL `/onboarding/invites/<token>`,
// shown once, valid for 24 hours and revocable at once; only the SHA-256 of the token's secret is
// stored. Opening it runs the device-code sign-in (oauth-device.ts) and attaches the account to the
// invite's Pool. Statuses: active → accepted | revoked; an active invite past its end reads expired.
import { INVITE_STATUSES } from "../../admin-contract/enums.ts";

export { INVITE_STATUSES };

import { randomBytes } from "node:crypto";
import { recordAudit } from "../audit.ts";
import type { CoreContext } from "../context.ts";
import { GatewayError, notFound } from "../errors.ts";
import { normalizeLabel } from "../keys/credentials.ts";
import type { Account, Invite } from "../model.ts";
import { requirePool } from "../pools/pools.ts";
import type { OAuthFlow } from "../ports.ts";
import { pollDeviceFlow, startDeviceFlow } from "./oauth-device.ts";
import type { PollResult } from "./oauth-flows.ts";

export type { Invite };

import { hashSecret, secretMatches } from "../keys/secrets-format.ts";

export const INVITE_TTL_MS = 24 * 3_600_000;
/** Ended invites stay listed this long (then DynamoDB TTL, or the local expiry sweep, drops them). */
const KEEP_AFTER_END_S = 30 * 86_400;
export const INVITE_PATH = "/onboarding/invites/";

export type InviteStatus = (typeof INVITE_STATUSES)[number];

// `inv_<16 hex>-<43-char base64url secret>`: the id selects the item, the secret is compared by hash.
const TOKEN = /^(inv_[0-9a-f]{16})-([A-Za-z0-9_-]{43})$/;
const EMAIL = /^[^\s@]{1,64}@[^\s@]{1,190}\.[^\s@]{2,63}$/;

export const inviteStatus = (invite: Invite, now: number): InviteStatus =>
  invite.status === "active" && now >= invite.endsAt ? "expired" : invite.status;

export async function createInvite(
  ctx: CoreContext,
  input: { pool: string; email: string; label?: string },
  actor: string,
): Promise<{ invite: Invite; token: string }> {
  await requirePool(ctx, input.pool);
  const email = input.email.trim();
  if (!EMAIL.test(email))
    throw new GatewayError(400, "invalid_request", "email must be an email address", { param: "email" });
  const label = normalizeLabel(input.label);
  const id = `inv_${randomBytes(8).toString("hex")}`;
  const secret = randomBytes(32).toString("base64url");
  const now = ctx.clock.now();
  const endsAt = now + INVITE_TTL_MS;
  const invite: Invite = {
    id,
    pool: input.pool,
    email,
    label,
    status: "active",
    tokenHash: hashSecret(secret),
    createdBy: actor,
    createdAt: now,
    updatedAt: now,
    endsAt,
    expiresAt: Math.ceil(endsAt / 1000) + KEEP_AFTER_END_S,
  };
  await ctx.store.invites.create(invite);
  await recordAudit(ctx, {
    actor,
    action: "invite.create",
    targetType: "invite",
    targetId: id,
    details: { pool: input.pool, expiresAt: new Date(endsAt).toISOString() },
  });
  return { invite, token: `${id}-${secret}` };
}

export async function requireInvite(ctx: CoreContext, id: string): Promise<Invite> {
  const invite = /^inv_[0-9a-f]{16}$/.test(id) ? await ctx.store.invites.get(id) : undefined;
  if (!invite)
    throw notFound(`invite ${id.slice(0, 40)} does not exist; see GET /admin/v1/invites`, "invite_not_found");
  return invite;
}

/** Revoke takes effect at once: the URL stops working, a sign-in in progress cannot complete. */
export async function revokeInvite(ctx: CoreContext, id: string, actor: string): Promise<Invite> {
  const invite = await requireInvite(ctx, id);
  const now = ctx.clock.now();
  const status = inviteStatus(invite, now);
  if (status !== "active") {
    throw new GatewayError(
      409,
      "invite_not_active",
      `invite ${id} is ${status}; only an active invite can be revoked`,
    );
  }
  const revoked = await ctx.store.invites.transition(id, "active", {
    status: "revoked",
    revokedAt: now,
    updatedAt: now,
  });
  if (!revoked)
    throw new GatewayError(409, "invite_not_active", `invite ${id} changed meanwhile; list it again`);
  await recordAudit(ctx, {
    actor,
    action: "invite.revoke",
    targetType: "invite",
    targetId: id,
    details: { pool: invite.pool },
  });
  return revoked;
}

/** The token's id part (for throttling bad attempts), or undefined when the token is malformed. */
export const inviteTokenId = (token: string) => TOKEN.exec(token)?.[1];

const unusable = (status: InviteStatus) =>
  new GatewayError(
    410,
    `invite_${status}`,
    status === "accepted"
      ? "this invite was already used; ask the operator for a new one if you want to add another account"
      : `this invite has been ${status === "expired" ? "open for 24 hours and expired" : "revoked"}; ask the operator for a new one`,
  );

/** The invite a token opens; 404 for anything that is not a valid token (one answer for all). */
export async function openInvite(ctx: CoreContext, token: string): Promise<Invite> {
  const match = TOKEN.exec(token);
  const invite = match ? await ctx.store.invites.get(match[1] as string) : undefined;
  if (!match || !invite || !secretMatches(match[2] as string, invite.tokenHash)) {
    throw notFound(
      "this invite link is not valid; check that it was copied whole, or ask the operator for a new one",
      "invite_not_found",
    );
  }
  return invite;
}

const inviteActor = (invite: Invite) => `invite:${invite.id}`;

/** Starts (or restarts) the invitee's device-code sign-in; the invite must be active. */
export async function startInviteLogin(
  ctx: CoreContext,
  token: string,
): Promise<{ invite: Invite; flow: OAuthFlow }> {
  const invite = await openInvite(ctx, token);
  const status = inviteStatus(invite, ctx.clock.now());
  if (status !== "active") throw unusable(status);
  const flow = await startDeviceFlow(ctx, { pool: invite.pool, label: invite.label });
  const updated = await ctx.store.invites.transition(invite.id, "active", {
    flowId: flow.id,
    updatedAt: ctx.clock.now(),
  });
  if (!updated)
    throw unusable(inviteStatus((await ctx.store.invites.get(invite.id)) ?? invite, ctx.clock.now()));
  return { invite: updated, flow };
}

export type InviteProgress =
  | { status: "ready"; invite: Invite }
  | { status: "pending"; invite: Invite; flow: OAuthFlow }
  | { status: "accepted"; invite: Invite; account?: Account };

/**
 * Where the invitee stands: not started, waiting for the code to be entered (polls the auth server no
 * faster than it allows), or done. Completion attaches the account to the invite's Pool and accepts
 * the invite (a conditional write: a revoke that landed first wins).
 */
export async function inviteProgress(ctx: CoreContext, token: string): Promise<InviteProgress> {
  const invite = await openInvite(ctx, token);
  const status = inviteStatus(invite, ctx.clock.now());
  if (status === "accepted") return { status, invite };
  if (status !== "active") throw unusable(status);
  if (!invite.flowId) return { status: "ready", invite };
  const flow = await ctx.store.oauthFlows.get(invite.flowId);
  if (!flow || flow.status === "failed" || flow.status === "expired" || ctx.clock.now() >= flow.endsAt) {
    return { status: "ready", invite };
  }
  let result: PollResult;
  try {
    result = await pollDeviceFlow(ctx, flow.id, inviteActor(invite));
  } catch (error) {
    // A refused or expired sign-in ends that attempt only; the invite can start another.
    if (error instanceof GatewayError && error.status < 500) return { status: "ready", invite };
    throw error;
  }
  if (result.status !== "complete") return { status: "pending", invite, flow: result.flow };
  const now = ctx.clock.now();
  const accepted = await ctx.store.invites.transition(invite.id, "active", {
    status: "accepted",
    accountId: result.account.id,
    acceptedAt: now,
    updatedAt: now,
  });
  if (!accepted) throw unusable(inviteStatus((await ctx.store.invites.get(invite.id)) ?? invite, now));
  await recordAudit(ctx, {
    actor: inviteActor(invite),
    action: "invite.accept",
    targetType: "invite",
    targetId: invite.id,
    details: { pool: invite.pool, account: result.account.id },
  });
  return { status: "accepted", invite: accepted, account: result.account };
}
