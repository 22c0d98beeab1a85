// What a channel receives. The JSON format carries the original's fields (`event_id`, `attempt_id`,
// `incident_id`, `channel_id`, `dedupe_key`, `severity`, `rule_kind`, `reason_code`,
// `scope_metadata`, `safe_evidence_summary`, `occurrence_count`, `first_seen_at`, `last_seen_at`)
// plus `event_type`, `state`, `pool`, `summary`, with null fields dropped. The Slack format is a
// `{text}` message an incoming webhook accepts. Metadata only, like every view.
import type { AlertChannel, AlertEventType, AlertIncident } from "./model.ts";

const iso = (ms: number | undefined) => (ms === undefined ? undefined : new Date(ms).toISOString());

function dropNulls(value: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined && v !== null));
}

/** The event's fields, frozen when the event is created (the attempt id is added per attempt). */
export function incidentEvent(
  eventId: string,
  eventType: AlertEventType,
  incident: AlertIncident,
  channel: AlertChannel,
): Record<string, unknown> {
  return dropNulls({
    event_id: eventId,
    event_type: eventType,
    incident_id: incident.id,
    channel_id: channel.id,
    rule_id: incident.ruleId,
    dedupe_key: incident.dedupeKey,
    severity: incident.severity,
    rule_kind: incident.ruleKind,
    reason_code: incident.reasonCode,
    state: incident.state,
    pool: incident.pool,
    summary: incident.summary,
    scope_metadata: dropNulls({
      scope_type: incident.scopeType,
      pool: incident.pool,
      account_id: incident.accountId,
      account_label: incident.accountLabel,
      model: incident.model,
    }),
    safe_evidence_summary: incident.evidence,
    occurrence_count: incident.occurrenceCount,
    first_seen_at: iso(incident.firstSeenAt),
    last_seen_at: iso(incident.lastSeenAt),
    resolved_at: iso(incident.resolvedAt),
  });
}

export function testEvent(eventId: string, channel: AlertChannel, at: number): Record<string, unknown> {
  return {
    event_id: eventId,
    event_type: "channel.test",
    channel_id: channel.id,
    severity: "info",
    summary: `Test notification for alert channel "${channel.name}"`,
    first_seen_at: iso(at),
    last_seen_at: iso(at),
  };
}

const SLACK_ICON: Record<string, string> = {
  info: ":information_source:",
  warning: ":warning:",
  critical: ":rotating_light:",
};

/** The exact body to send (and sign) for one attempt. */
export function renderBody(
  format: AlertChannel["format"],
  event: Record<string, unknown>,
  attemptId: string,
): string {
  if (format === "slack") {
    const type = String(event.event_type ?? "");
    const state = type === "incident.resolved" ? "Resolved" : type === "channel.test" ? "Test" : "Alert";
    const icon =
      type === "incident.resolved" ? ":white_check_mark:" : (SLACK_ICON[String(event.severity)] ?? "");
    const lines = [
      `${icon} *${state}* ${event.pool ? `[${String(event.pool)}] ` : ""}${String(event.summary ?? "")}`.trim(),
      event.rule_kind
        ? `rule \`${String(event.rule_kind)}\` · severity ${String(event.severity)} · seen ${String(event.occurrence_count ?? 1)}×`
        : undefined,
      `event ${String(event.event_id)} · attempt ${attemptId}`,
    ].filter((l): l is string => Boolean(l));
    return JSON.stringify({ text: lines.join("\n") });
  }
  const { event_id, ...rest } = event;
  return JSON.stringify({ event_id, attempt_id: attemptId, ...rest });
}
