// The incident state machine. A finding with no unresolved incident opens one (and notifies); a
// finding that persists updates it and, while it is open (not acknowledged), repeats the
// notification after the rule's cooldown, doubling each time up to a day; a condition that no
// longer holds resolves it (and notifies). Operators may acknowledge (silences repeats) or resolve.
import { recordAudit } from "../audit.ts";
import type { CoreContext } from "../context.ts";
import { conflict, notFound } from "../errors.ts";
import { sortableId } from "../ids.ts";
import type { Finding } from "./conditions.ts";
import { enqueueIncidentEvent } from "./delivery.ts";
import {
  type AlertChannel,
  type AlertDelivery,
  type AlertIncident,
  type AlertRule,
  type Resolution,
  scopeTypeOf,
} from "./model.ts";

const MAX_REPEAT_MS = 24 * 3_600_000;
const RESOLVED_KEEP_SECONDS = 90 * 86_400;

/** Delay before the notification after `sent` ones: cooldown, 2× cooldown, 4× … capped at a day. */
export function repeatDelayMs(cooldownMinutes: number, sent: number): number {
  return Math.min(MAX_REPEAT_MS, cooldownMinutes * 60_000 * 2 ** Math.max(0, sent - 1));
}

export interface Transition {
  opened: number;
  repeated: number;
  resolved: number;
  deliveries: AlertDelivery[];
}

export const channelsOf = (rule: AlertRule | undefined, channels: Map<string, AlertChannel>) =>
  (rule?.channelIds ?? []).map((id) => channels.get(id)).filter((c): c is AlertChannel => c !== undefined);

export async function applyFindings(
  ctx: CoreContext,
  rule: AlertRule,
  findings: Finding[],
  active: AlertIncident[],
  channels: Map<string, AlertChannel>,
): Promise<Transition> {
  const now = ctx.clock.now();
  const out: Transition = { opened: 0, repeated: 0, resolved: 0, deliveries: [] };
  const targets = channelsOf(rule, channels);
  const byKey = new Map(active.map((i) => [i.dedupeKey, i]));
  for (const finding of findings) {
    const existing = byKey.get(finding.dedupeKey);
    if (!existing) {
      const incident: AlertIncident = {
        id: sortableId("inc", now),
        ruleId: rule.id,
        ruleKind: rule.kind,
        pool: rule.pool,
        severity: rule.severity,
        dedupeKey: finding.dedupeKey,
        state: "open",
        reasonCode: finding.reasonCode,
        scopeType: scopeTypeOf(rule.kind),
        accountId: finding.accountId,
        accountLabel: finding.accountLabel,
        model: rule.model,
        summary: finding.summary,
        evidence: finding.evidence,
        occurrenceCount: 1,
        firstSeenAt: now,
        lastSeenAt: now,
        notificationCount: 1,
        lastNotifiedAt: now,
        nextNotifyAt: now + repeatDelayMs(rule.cooldownMinutes, 1),
      };
      if (!(await ctx.store.alerts.incidents.open(incident))) continue; // another evaluator won
      out.opened++;
      ctx.metrics.count("alert_incident", 1, { transition: "opened", kind: rule.kind });
      ctx.logger.info("alert incident opened", {
        incidentId: incident.id,
        ruleId: rule.id,
        kind: rule.kind,
        pool: rule.pool,
      });
      out.deliveries.push(...(await enqueueIncidentEvent(ctx, incident, "incident.opened", targets)));
      continue;
    }
    const repeat = existing.state === "open" && (existing.nextNotifyAt ?? Number.POSITIVE_INFINITY) <= now;
    const sent = existing.notificationCount + (repeat ? 1 : 0);
    const updated = await ctx.store.alerts.incidents.update(existing.id, ["open", "acknowledged"], {
      occurrenceCount: existing.occurrenceCount + 1,
      lastSeenAt: now,
      severity: rule.severity,
      reasonCode: finding.reasonCode,
      summary: finding.summary,
      evidence: finding.evidence,
      accountLabel: finding.accountLabel,
      ...(repeat
        ? {
            notificationCount: sent,
            lastNotifiedAt: now,
            nextNotifyAt: now + repeatDelayMs(rule.cooldownMinutes, sent),
          }
        : {}),
    });
    if (!updated || !repeat) continue;
    out.repeated++;
    ctx.metrics.count("alert_incident", 1, { transition: "repeated", kind: rule.kind });
    out.deliveries.push(...(await enqueueIncidentEvent(ctx, updated, "incident.repeated", targets)));
  }
  const holding = new Set(findings.map((f) => f.dedupeKey));
  for (const incident of active) {
    if (holding.has(incident.dedupeKey)) continue;
    const resolved = await resolve(ctx, incident, "system", "condition_cleared", targets);
    if (!resolved) continue;
    out.resolved++;
    out.deliveries.push(...resolved.deliveries);
  }
  return out;
}

/** Moves an unresolved incident to resolved, frees its dedupe key and notifies the rule's channels. */
async function resolve(
  ctx: CoreContext,
  incident: AlertIncident,
  actor: string,
  resolution: Resolution,
  targets: AlertChannel[],
): Promise<{ incident: AlertIncident; deliveries: AlertDelivery[] } | undefined> {
  const now = ctx.clock.now();
  const updated = await ctx.store.alerts.incidents.update(incident.id, ["open", "acknowledged"], {
    state: "resolved",
    resolvedAt: now,
    resolvedBy: actor,
    resolution,
    nextNotifyAt: undefined,
    expiresAt: Math.floor(now / 1000) + RESOLVED_KEEP_SECONDS,
  });
  if (!updated) return undefined;
  await ctx.store.alerts.incidents.releaseKey(updated.dedupeKey, updated.id);
  ctx.metrics.count("alert_incident", 1, { transition: "resolved", kind: updated.ruleKind });
  ctx.logger.info("alert incident resolved", { incidentId: updated.id, ruleId: updated.ruleId, resolution });
  return {
    incident: updated,
    deliveries: await enqueueIncidentEvent(ctx, updated, "incident.resolved", targets),
  };
}

export async function requireIncident(ctx: CoreContext, id: string): Promise<AlertIncident> {
  const incident = await ctx.store.alerts.incidents.get(id);
  if (!incident) {
    throw notFound(
      `alert incident ${id} does not exist; see \`pooler alert incident list\``,
      "alert_incident_not_found",
    );
  }
  return incident;
}

export async function acknowledgeIncident(
  ctx: CoreContext,
  id: string,
  actor: string,
): Promise<AlertIncident> {
  const incident = await requireIncident(ctx, id);
  const updated = await ctx.store.alerts.incidents.update(id, ["open"], {
    state: "acknowledged",
    acknowledgedAt: ctx.clock.now(),
    acknowledgedBy: actor,
    nextNotifyAt: undefined,
  });
  if (!updated) {
    throw conflict(
      `alert incident ${id} is ${incident.state}; only an open incident can be acknowledged`,
      "alert_incident_not_open",
    );
  }
  await recordAudit(ctx, {
    actor,
    action: "alert_incident.acknowledge",
    targetType: "alert_incident",
    targetId: id,
    details: { pool: updated.pool, ruleKind: updated.ruleKind, ruleId: updated.ruleId },
  });
  return updated;
}

/** Operator resolve; the resolved notification is sent in the background. */
export async function resolveIncidentByOperator(
  ctx: CoreContext,
  id: string,
  actor: string,
  send: (deliveries: AlertDelivery[]) => void,
): Promise<AlertIncident> {
  const incident = await requireIncident(ctx, id);
  const rule = await ctx.store.alerts.rules.get(incident.ruleId);
  const channels = new Map((await ctx.store.alerts.channels.list()).map((c) => [c.id, c]));
  const resolved = await resolve(ctx, incident, actor, "operator", channelsOf(rule, channels));
  if (!resolved) {
    throw conflict(`alert incident ${id} is already resolved`, "alert_incident_resolved");
  }
  await recordAudit(ctx, {
    actor,
    action: "alert_incident.resolve",
    targetType: "alert_incident",
    targetId: id,
    details: {
      pool: incident.pool,
      ruleKind: incident.ruleKind,
      ruleId: incident.ruleId,
      previousState: incident.state,
    },
  });
  send(resolved.deliveries);
  return resolved.incident;
}

/** A deleted rule's unresolved incidents can never clear by themselves: resolve them. */
export async function resolveForDeletedRule(
  ctx: CoreContext,
  ruleId: string,
  actor: string,
): Promise<number> {
  const active = (await ctx.store.alerts.incidents.listActive()).filter((i) => i.ruleId === ruleId);
  let n = 0;
  for (const incident of active) if (await resolve(ctx, incident, actor, "rule_deleted", [])) n++;
  return n;
}
