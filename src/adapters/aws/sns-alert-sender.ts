// Alert channel kind `sns`: publishes the rendered event to an SNS topic (on AWS, the monitoring
// stack's topic). Handed to the core by the AWS host; the core knows only the sender interface.
import { PublishCommand, type SNSClient } from "@aws-sdk/client-sns";
import { readChannelSecret } from "../../core/alerts/delivery.ts";
import type { AlertSender } from "../../core/alerts/sender.ts";

export function snsAlertSender(client: SNSClient): AlertSender {
  return async (ctx, channel, { eventId, attemptId, body }) => {
    const started = ctx.clock.now();
    const target = await readChannelSecret(ctx, channel);
    if (!target?.url) return { outcome: "refused", errorCode: "channel_secret_missing", durationMs: 0 };
    try {
      await client.send(
        new PublishCommand({
          TopicArn: target.url,
          Subject: "Codex Pooler alert",
          Message: body,
          MessageAttributes: {
            event_id: { DataType: "String", StringValue: eventId },
            attempt_id: { DataType: "String", StringValue: attemptId },
          },
        }),
      );
      return { outcome: "delivered", durationMs: ctx.clock.now() - started };
    } catch (error) {
      // The error's name only (e.g. AuthorizationErrorException); messages can carry ARNs.
      const code = (error as { name?: string }).name ?? "sns_error";
      return { outcome: "http_error", errorCode: code.slice(0, 64), durationMs: ctx.clock.now() - started };
    }
  };
}
