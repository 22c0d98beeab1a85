// How alert rules, channels, incidents and deliveries read on a terminal: detail lines and tables.
import type { CliIO, Column } from "../../output.ts";
import { formatTime, printTable } from "../../output.ts";
import type { Channel, Delivery, Incident, Rule } from "./schemas.ts";

/** A rule's kind-specific settings on one line (`model=m min=2 …`). */
export function ruleParams(r: Rule): string {
  const parts = [
    r.model ? `model=${r.model}` : "",
    r.minUsableAssignments ? `min=${r.minUsableAssignments}` : "",
    r.targetState ? `state=${r.targetState}` : "",
    r.windowSelector ? `window=${r.windowSelector}` : "",
    r.thresholdUsedPercent ? `used>=${r.thresholdUsedPercent}%` : "",
    r.windowMinutes ? `last ${r.windowMinutes}m` : "",
    r.thresholdErrorPercent ? `errors>=${r.thresholdErrorPercent}%` : "",
    r.minRequests ? `min ${r.minRequests} req` : "",
  ];
  return parts.filter(Boolean).join(" ");
}

export const ruleInfo = (r: Rule) => [
  `  id:       ${r.id}`,
  `  pool:     ${r.pool ?? "-"}`,
  `  kind:     ${r.kind ?? "-"}`,
  `  name:     ${r.displayName ?? "-"}`,
  `  severity: ${r.severity ?? "-"}`,
  `  state:    ${r.state ?? "-"}`,
  `  cooldown: ${r.cooldownMinutes ?? "-"} min`,
  `  channels: ${r.channelIds?.length ? r.channelIds.join(", ") : "none"}`,
  `  params:   ${ruleParams(r) || "-"}`,
];

export const RULE_COLUMNS: Column<Rule>[] = [
  { header: "ID", value: (r) => r.id },
  { header: "POOL", value: (r) => r.pool, maxWidth: 24 },
  { header: "KIND", value: (r) => r.kind },
  { header: "NAME", value: (r) => r.displayName, maxWidth: 32 },
  { header: "SEVERITY", value: (r) => r.severity },
  { header: "STATE", value: (r) => r.state },
  { header: "CHANNELS", value: (r) => r.channelIds?.length ?? 0, align: "right" },
  { header: "PARAMS", value: ruleParams, maxWidth: 48 },
];

const urlText = (c: Channel) => (c.url ? `${c.url.host ?? ""}${c.url.pathPrefix ?? ""}` : "-");

export const channelInfo = (c: Channel) => [
  `  id:          ${c.id}`,
  `  name:        ${c.name ?? "-"}`,
  `  kind:        ${c.kind ?? "-"} (${c.format ?? "json"})`,
  `  state:       ${c.state ?? "-"}`,
  `  url:         ${urlText(c)}`,
  `  fingerprint: ${c.url?.fingerprint ?? "-"}`,
];

export const CHANNEL_COLUMNS: Column<Channel>[] = [
  { header: "ID", value: (c) => c.id },
  { header: "NAME", value: (c) => c.name, maxWidth: 32 },
  { header: "KIND", value: (c) => c.kind },
  { header: "FORMAT", value: (c) => c.format },
  { header: "STATE", value: (c) => c.state },
  { header: "URL", value: urlText, maxWidth: 48 },
  { header: "FINGERPRINT", value: (c) => c.url?.fingerprint },
  {
    header: "LAST DELIVERY",
    value: (c) =>
      c.lastDelivery
        ? `${c.lastDelivery.outcome ?? "?"}${c.lastDelivery.statusCode ? ` ${c.lastDelivery.statusCode}` : ""} ${formatTime(c.lastDelivery.at)}`
        : "",
  },
];

/** The one-time signing secret, when the answer carries one. */
export const secretLines = (secret: string | null | undefined) =>
  secret
    ? [
        "Signing secret (verify x-codex-pooler-signature with it). This is the only time it is shown: store it now.",
        secret,
      ]
    : [];

export const incidentInfo = (i: Incident) => [
  `  id:         ${i.id}`,
  `  state:      ${i.state ?? "-"}`,
  `  severity:   ${i.severity ?? "-"}`,
  `  pool:       ${i.pool ?? "-"}`,
  `  kind:       ${i.ruleKind ?? "-"} (rule ${i.ruleId ?? "-"})`,
  `  reason:     ${i.reasonCode ?? "-"}`,
  `  summary:    ${i.summary ?? "-"}`,
  `  seen:       ${i.occurrenceCount ?? 0}× from ${formatTime(i.firstSeenAt)} to ${formatTime(i.lastSeenAt)}`,
  `  notified:   ${i.notificationCount ?? 0}×`,
  ...(i.acknowledgedAt ? [`  acked:      ${formatTime(i.acknowledgedAt)}`] : []),
  ...(i.resolvedAt ? [`  resolved:   ${formatTime(i.resolvedAt)} (${i.resolution ?? "-"})`] : []),
];

export const INCIDENT_COLUMNS: Column<Incident>[] = [
  { header: "ID", value: (i) => i.id },
  { header: "STATE", value: (i) => i.state },
  { header: "SEVERITY", value: (i) => i.severity },
  { header: "POOL", value: (i) => i.pool, maxWidth: 24 },
  { header: "KIND", value: (i) => i.ruleKind },
  { header: "SEEN", value: (i) => i.occurrenceCount ?? 0, align: "right" },
  { header: "OPENED", value: (i) => formatTime(i.firstSeenAt) },
  { header: "SUMMARY", value: (i) => i.summary, maxWidth: 72 },
];

/** A delivery's last attempt, in full (`failed (HTTP 500) http_500`). */
export function lastAttemptText(d: Delivery): string {
  const a = d.attempts?.at(-1);
  return a
    ? `${a.outcome ?? "?"}${a.statusCode ? ` (HTTP ${a.statusCode})` : ""}${a.errorCode ? ` ${a.errorCode}` : ""}`
    : "no attempt";
}

export function printDeliveries(io: CliIO, deliveries: Delivery[]): void {
  printTable(
    io,
    deliveries,
    [
      { header: "EVENT", value: (d) => d.eventId },
      { header: "TYPE", value: (d) => d.eventType },
      { header: "CHANNEL", value: (d) => d.channelId },
      { header: "STATUS", value: (d) => d.status },
      { header: "ATTEMPTS", value: (d) => d.attemptCount ?? 0, align: "right" },
      {
        header: "LAST",
        value: (d) => {
          const a = d.attempts?.at(-1);
          return a ? `${a.outcome ?? "?"}${a.statusCode ? ` ${a.statusCode}` : ""}` : "";
        },
      },
      { header: "NEXT", value: (d) => formatTime(d.nextAttemptAt) },
    ],
    "No deliveries.",
  );
}
