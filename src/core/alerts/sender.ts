// How alert deliveries leave the gateway: the senders a host hands the core (`CoreContext.alertSenders`)
// and the webhook POST port the built-in webhook sender uses.
import type { Clock, SecretStore } from "../ports.ts";
import type { AlertChannel, AttemptOutcome } from "./model.ts";

/** How one delivery attempt went, as metadata. */
export interface PostResult {
  outcome: AttemptOutcome;
  statusCode?: number;
  /** A short code, never a message (messages may echo the URL). */
  errorCode?: string;
  durationMs: number;
}

/**
 * One signed webhook POST, made by the host's adapter (on Node, with the SSRF guard at connect time).
 * The core checks the URL and signs; the adapter only sends.
 */
export type WebhookPost = (
  url: URL,
  body: string,
  headers: Record<string, string>,
  options: { allowLocal: boolean; timeoutMs: number },
) => Promise<PostResult>;

/** What a sender may use: the channel's secret (its URL or topic) and the clock. */
export interface AlertSenderDeps {
  secrets: SecretStore;
  clock: Clock;
  config: { alertWebhookAllowInsecure?: boolean };
}

/**
 * How one channel kind sends. `webhook` is built in (`webhookSender`); on AWS, `sns` (see
 * docs/alerts.md). Each receives the same rendered body and ids and reports a PostResult.
 */
export type AlertSender = (
  deps: AlertSenderDeps,
  channel: AlertChannel,
  send: { eventId: string; attemptId: string; body: string },
) => Promise<PostResult>;

export type AlertSenders = Readonly<Record<string, AlertSender>>;
