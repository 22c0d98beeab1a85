// Delivering events to channels: one delivery per event and channel, stored before the first try
// (an outbox), each attempt claimed with a conditional write, signed, sent, and recorded as
// metadata (time, duration, outcome, HTTP status, a short error code). Failures are retried with
// back-off (30 s, 2 min, 10 min, 30 min, 2 h; six attempts in all) by later evaluation runs.
import type { CoreContext } from "../context.ts";
import { sortableId } from "../ids.ts";
import type { AlertChannel, AlertDelivery, AlertEventType, AlertIncident, DeliveryAttempt } from "./model.ts";
import { incidentEvent, renderBody, testEvent } from "./payload.ts";
import type { AlertSender, AlertSenderDeps, PostResult, WebhookPost } from "./sender.ts";
import { signedHeaders } from "./signing.ts";
import { checkWebhookUrl } from "./webhook-url.ts";

export const RETRY_BACKOFF_MS = [30_000, 120_000, 600_000, 1_800_000, 7_200_000];
export const MAX_ATTEMPTS = RETRY_BACKOFF_MS.length + 1;
/** A claimed attempt that never reports (a crash) becomes due again after this. */
const CLAIM_MS = 60_000;
const SEND_TIMEOUT_MS = 10_000;
const KEEP_SECONDS = 30 * 86_400;
const SEND_CONCURRENCY = 4;

/** What the SecretStore holds for a channel (JSON under `alert-channels/<id>`). */
export interface ChannelSecret {
  url: string;
  secret: string;
}

export const channelSecretName = (id: string) => `alert-channels/${id}`;

export async function readChannelSecret(
  ctx: Pick<CoreContext, "secrets">,
  channel: AlertChannel,
): Promise<ChannelSecret | undefined> {
  const raw = await ctx.secrets.get(channel.secretName, { fresh: true });
  if (!raw) return undefined;
  try {
    const value = JSON.parse(raw) as Partial<ChannelSecret>;
    return typeof value.url === "string" && typeof value.secret === "string"
      ? { url: value.url, secret: value.secret }
      : undefined;
  } catch {
    return undefined;
  }
}

const allowLocal = (deps: AlertSenderDeps) => deps.config.alertWebhookAllowInsecure === true;

/** The built-in `webhook` kind: the channel's URL checked, the body signed, sent by the host's `post`. */
export function webhookSender(post: WebhookPost): AlertSender {
  return async (ctx, channel, { eventId, attemptId, body }) => {
    const secret = await readChannelSecret(ctx, channel);
    if (!secret) return { outcome: "refused", errorCode: "channel_secret_missing", durationMs: 0 };
    let url: URL;
    try {
      url = checkWebhookUrl(secret.url, allowLocal(ctx));
    } catch {
      return { outcome: "refused", errorCode: "url_refused", durationMs: 0 };
    }
    return post(url, body, signedHeaders(secret.secret, eventId, attemptId, body), {
      allowLocal: allowLocal(ctx),
      timeoutMs: SEND_TIMEOUT_MS,
    });
  };
}

function newDelivery(
  ctx: CoreContext,
  incidentId: string,
  channel: AlertChannel,
  eventType: AlertEventType,
  event: (eventId: string) => Record<string, unknown>,
  maxAttempts: number,
): AlertDelivery {
  const now = ctx.clock.now();
  const eventId = sortableId("evt", now);
  return {
    eventId,
    eventType,
    incidentId,
    channelId: channel.id,
    status: "pending",
    attempts: [],
    attemptCount: 0,
    maxAttempts,
    nextAttemptAt: now,
    event: event(eventId),
    createdAt: now,
    updatedAt: now,
    expiresAt: Math.floor(now / 1000) + KEEP_SECONDS,
  };
}

/** Stores one pending delivery per active channel of the rule; they are sent by `deliverAll`. */
export async function enqueueIncidentEvent(
  ctx: CoreContext,
  incident: AlertIncident,
  eventType: AlertEventType,
  channels: AlertChannel[],
): Promise<AlertDelivery[]> {
  const deliveries = channels
    .filter((c) => c.state === "active")
    .map((channel) =>
      newDelivery(
        ctx,
        incident.id,
        channel,
        eventType,
        (id) => incidentEvent(id, eventType, incident, channel),
        MAX_ATTEMPTS,
      ),
    );
  await Promise.all(deliveries.map((d) => ctx.store.alerts.deliveries.create(d)));
  return deliveries;
}

export interface DeliveryTally {
  attempted: number;
  delivered: number;
  retrying: number;
  failed: number;
}

export const emptyTally = (): DeliveryTally => ({ attempted: 0, delivered: 0, retrying: 0, failed: 0 });

/** One attempt for each delivery (a few at a time); deliveries another sender claimed are skipped. */
export async function deliverAll(ctx: CoreContext, deliveries: AlertDelivery[]): Promise<DeliveryTally> {
  const tally = emptyTally();
  // The first copy of an event wins: callers put this run's own deliveries before index reads.
  const seen = new Set<string>();
  const queue = deliveries.filter((d) => !seen.has(d.eventId) && seen.add(d.eventId));
  const worker = async () => {
    for (let d = queue.shift(); d; d = queue.shift()) {
      const outcome = await attemptOnce(ctx, d);
      if (outcome === "skipped") continue;
      tally.attempted++;
      tally[outcome]++;
    }
  };
  await Promise.all(Array.from({ length: SEND_CONCURRENCY }, worker));
  return tally;
}

/** Claims, sends and records one attempt of a delivery. */
export async function attemptOnce(
  ctx: CoreContext,
  delivery: AlertDelivery,
): Promise<"delivered" | "retrying" | "failed" | "skipped"> {
  const { store, clock } = ctx;
  const now = clock.now();
  if (!(await store.alerts.deliveries.claim(delivery, now + CLAIM_MS))) return "skipped";
  const attemptNumber = delivery.attemptCount + 1;
  const attemptId = sortableId("att", now);
  const channel = await store.alerts.channels.get(delivery.channelId);
  let result: PostResult;
  if (!channel) result = { outcome: "refused", errorCode: "channel_deleted", durationMs: 0 };
  else if (channel.state !== "active" && delivery.eventType !== "channel.test")
    result = { outcome: "refused", errorCode: "channel_disabled", durationMs: 0 };
  else {
    const sender = ctx.alertSenders?.[channel.kind];
    result = sender
      ? await sender(ctx, channel, {
          eventId: delivery.eventId,
          attemptId,
          body: renderBody(channel.format, delivery.event, attemptId),
        })
      : { outcome: "refused", errorCode: "channel_kind_unsupported", durationMs: 0 };
  }
  const attempt: DeliveryAttempt = {
    attemptId,
    at: now,
    durationMs: result.durationMs,
    outcome: result.outcome,
    statusCode: result.statusCode,
    errorCode: result.errorCode,
  };
  const delivered = result.outcome === "delivered";
  // A refusal (deleted or disabled channel, forbidden URL) will not get better by retrying.
  const final = delivered || result.outcome === "refused" || attemptNumber >= delivery.maxAttempts;
  const status = delivered ? "delivered" : final ? "failed" : "pending";
  const finishedAt = clock.now();
  await store.alerts.deliveries.recordAttempt(delivery, attempt, {
    status,
    nextAttemptAt: final
      ? undefined
      : finishedAt + (RETRY_BACKOFF_MS[attemptNumber - 1] ?? RETRY_BACKOFF_MS.at(-1) ?? 0),
    errorCode: delivered ? undefined : result.errorCode,
    updatedAt: finishedAt,
  });
  if (channel) {
    await store.alerts.channels
      .update(channel.id, {
        lastDeliveryAt: now,
        lastDeliveryOutcome: result.outcome,
        lastDeliveryStatusCode: result.statusCode,
      })
      .catch(() => undefined); // deleted meanwhile
  }
  ctx.metrics.count("alert_delivery", 1, { outcome: result.outcome });
  if (!delivered) {
    ctx.logger.warn("alert delivery failed", {
      channelId: delivery.channelId,
      eventId: delivery.eventId,
      attempt: attemptNumber,
      outcome: result.outcome,
      statusCode: result.statusCode,
      errorCode: result.errorCode,
      final,
    });
  }
  return delivered ? "delivered" : final ? "failed" : "retrying";
}

/** A test send: one event, one attempt, no retry; recorded like any delivery (incident `test`). */
export async function sendTestEvent(ctx: CoreContext, channel: AlertChannel): Promise<AlertDelivery> {
  const delivery = newDelivery(
    ctx,
    "test",
    channel,
    "channel.test",
    (id) => testEvent(id, channel, ctx.clock.now()),
    1,
  );
  await ctx.store.alerts.deliveries.create(delivery);
  await attemptOnce(ctx, delivery);
  return (await ctx.store.alerts.deliveries.get("test", delivery.eventId)) ?? delivery;
}
