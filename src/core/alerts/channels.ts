// Alert channel management. The webhook URL and signing secret go to the SecretStore (encrypted at
// rest: AES-256-GCM files locally, Secrets Manager with KMS on AWS) under `alert-channels/<id>`;
// the channel record keeps only the URL's host, the start of its path and a fingerprint. Audited
// as `alert_channel.create|update|enable|disable|delete`, with the same metadata only.
import { createHash, randomBytes } from "node:crypto";
import { recordAudit } from "../audit.ts";
import type { CoreContext } from "../context.ts";
import { badRequest, conflict, notFound } from "../errors.ts";
import { type ChannelSecret, channelSecretName, readChannelSecret, sendTestEvent } from "./delivery.ts";
import type { AlertChannel, AlertDelivery, ChannelFormat, ChannelKind } from "./model.ts";
import { newSigningSecret } from "./signing.ts";
import { checkWebhookUrl, urlParts } from "./webhook-url.ts";

export interface CreateChannelInput {
  name: string;
  kind?: ChannelKind;
  url: string;
  /** Operator-chosen signing secret; generated (and returned once) when absent. */
  secret?: string;
  format?: ChannelFormat;
}

export interface UpdateChannelInput {
  name?: string;
  url?: string;
  secret?: string;
  rotateSecret?: boolean;
  format?: ChannelFormat;
}

const allowLocal = (ctx: CoreContext) => ctx.config.alertWebhookAllowInsecure === true;

export async function requireChannel(ctx: CoreContext, id: string): Promise<AlertChannel> {
  const channel = await ctx.store.alerts.channels.get(id);
  if (!channel) {
    throw notFound(
      `alert channel ${id} does not exist; see \`pooler alert channel list\``,
      "alert_channel_not_found",
    );
  }
  return channel;
}

export async function createChannel(
  ctx: CoreContext,
  input: CreateChannelInput,
  actor: string,
): Promise<{ channel: AlertChannel; secret?: string }> {
  const kind = input.kind ?? "webhook";
  const { target, parts } = channelTarget(kind, input.url, allowLocal(ctx));
  const id = `alc_${randomBytes(8).toString("hex")}`;
  const generated = input.secret === undefined ? newSigningSecret() : undefined;
  const secret: ChannelSecret = { url: target, secret: input.secret ?? (generated as string) };
  const now = ctx.clock.now();
  const channel: AlertChannel = {
    id,
    name: input.name,
    kind,
    format: input.format ?? "json",
    state: "active",
    secretName: channelSecretName(id),
    urlHost: parts.host,
    urlPathPrefix: parts.pathPrefix,
    urlFingerprint: parts.fingerprint,
    createdBy: actor,
    createdAt: now,
    updatedAt: now,
  };
  // The secret first: a channel record never points at nothing.
  await ctx.secrets.put(channel.secretName, JSON.stringify(secret));
  await ctx.store.alerts.channels.create(channel);
  await recordAudit(ctx, {
    actor,
    action: "alert_channel.create",
    targetType: "alert_channel",
    targetId: id,
    details: {
      name: channel.name,
      kind: channel.kind,
      format: channel.format,
      urlHost: channel.urlHost,
      urlFingerprint: channel.urlFingerprint,
    },
  });
  return { channel, secret: generated };
}

export async function updateChannel(
  ctx: CoreContext,
  id: string,
  input: UpdateChannelInput,
  actor: string,
): Promise<{ channel: AlertChannel; secret?: string }> {
  const current = await requireChannel(ctx, id);
  if (input.secret !== undefined && input.rotateSecret) {
    throw badRequest("give either secret or rotateSecret, not both", "rotateSecret");
  }
  const patch: Partial<AlertChannel> = { updatedAt: ctx.clock.now() };
  const changed: string[] = [];
  if (input.name !== undefined && input.name !== current.name) {
    patch.name = input.name;
    changed.push("name");
  }
  if (input.format !== undefined && input.format !== current.format) {
    patch.format = input.format;
    changed.push("format");
  }
  let generated: string | undefined;
  if (input.url !== undefined || input.secret !== undefined || input.rotateSecret) {
    const stored = await readChannelSecret(ctx, current);
    if (!stored && (input.url === undefined || (input.secret === undefined && !input.rotateSecret))) {
      throw conflict(
        `alert channel ${id} lost its stored URL or secret; give both url and secret (or rotateSecret)`,
        "alert_channel_secret_missing",
      );
    }
    const next: ChannelSecret = { url: stored?.url ?? "", secret: stored?.secret ?? "" };
    if (input.url !== undefined) {
      const { target, parts } = channelTarget(current.kind, input.url, allowLocal(ctx));
      next.url = target;
      Object.assign(patch, {
        urlHost: parts.host,
        urlPathPrefix: parts.pathPrefix,
        urlFingerprint: parts.fingerprint,
      });
      changed.push("url");
    }
    if (input.secret !== undefined || input.rotateSecret) {
      generated = input.rotateSecret ? newSigningSecret() : undefined;
      next.secret = input.secret ?? (generated as string);
      changed.push("secret");
    }
    await ctx.secrets.put(current.secretName, JSON.stringify(next));
  }
  const channel = await ctx.store.alerts.channels.update(id, patch);
  await recordAudit(ctx, {
    actor,
    action: "alert_channel.update",
    targetType: "alert_channel",
    targetId: id,
    details: {
      name: channel.name,
      changed: changed.join(","),
      urlHost: channel.urlHost,
      urlFingerprint: channel.urlFingerprint,
    },
  });
  return { channel, secret: generated };
}

export async function setChannelState(
  ctx: CoreContext,
  id: string,
  action: "enable" | "disable",
  actor: string,
): Promise<AlertChannel> {
  const current = await requireChannel(ctx, id);
  const state = action === "enable" ? "active" : "disabled";
  if (current.state === state)
    throw conflict(`alert channel ${id} is already ${state}`, `alert_channel_already_${state}`);
  const channel = await ctx.store.alerts.channels.update(id, { state, updatedAt: ctx.clock.now() });
  await recordAudit(ctx, {
    actor,
    action: `alert_channel.${action}`,
    targetType: "alert_channel",
    targetId: id,
    details: { name: channel.name, from: current.state, to: state },
  });
  return channel;
}

/** Deletes the channel, its stored URL and secret, and its place in every rule. */
export async function deleteChannel(ctx: CoreContext, id: string, actor: string): Promise<void> {
  const channel = await requireChannel(ctx, id);
  let rules = 0;
  for (const rule of await ctx.store.alerts.rules.list()) {
    if (!rule.channelIds.includes(id)) continue;
    await ctx.store.alerts.rules.update(rule.id, {
      channelIds: rule.channelIds.filter((c) => c !== id),
      updatedAt: ctx.clock.now(),
    });
    rules++;
  }
  await ctx.store.alerts.channels.delete(id);
  await ctx.secrets.delete(channel.secretName);
  await recordAudit(ctx, {
    actor,
    action: "alert_channel.delete",
    targetType: "alert_channel",
    targetId: id,
    details: { name: channel.name, rulesUpdated: rules },
  });
}

/** Sends one signed test event now (no retry) and answers the recorded attempt. */
export async function testChannel(ctx: CoreContext, id: string): Promise<AlertDelivery> {
  return sendTestEvent(ctx, await requireChannel(ctx, id));
}

const SNS_TOPIC_ARN = /^arn:aws[a-z-]*:sns:([a-z0-9-]+):(\d{12}):([A-Za-z0-9_-]{1,256}(?:\.fifo)?)$/;

/** A channel's destination: a checked webhook URL, or (kind `sns`) an SNS topic ARN. */
function channelTarget(kind: ChannelKind, value: string, allowLocalUrls: boolean) {
  if (kind === "sns") {
    const match = SNS_TOPIC_ARN.exec(value.trim());
    if (!match)
      throw badRequest("an sns channel needs an SNS topic ARN (arn:aws:sns:REGION:ACCOUNT:TOPIC)", "url");
    const fingerprint = createHash("sha256").update(value.trim()).digest("hex").slice(0, 12);
    return { target: value.trim(), parts: { host: "sns", pathPrefix: `/${match[1]}`, fingerprint } };
  }
  const url = checkWebhookUrl(value, allowLocalUrls);
  return { target: url.toString(), parts: urlParts(url) };
}
