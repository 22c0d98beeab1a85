// View functions of the alerting records (src/admin-contract/responses.ts has their schemas): of a
// channel's URL only its host, path start and fingerprint (never the URL or the signing secret).
import type { z } from "zod";
import type * as C from "../admin-contract/responses.ts";
import { iso } from "../core/accounts/accounts.ts";
import type { EvaluateResult } from "../core/alerts/evaluate.ts";
import type { AlertChannel, AlertDelivery, AlertIncident, AlertRule } from "../core/alerts/model.ts";
import { scopeTypeOf } from "../core/alerts/model.ts";

type Out<S extends z.ZodType> = z.output<S>;

export function ruleView(r: AlertRule): Out<typeof C.AlertRule> {
  return {
    id: r.id,
    pool: r.pool,
    kind: r.kind,
    scopeType: scopeTypeOf(r.kind),
    displayName: r.displayName,
    severity: r.severity,
    cooldownMinutes: r.cooldownMinutes,
    state: r.state,
    channelIds: r.channelIds,
    model: r.model ?? null,
    minUsableAssignments: r.minUsableAssignments ?? null,
    targetState: r.targetState ?? null,
    windowSelector: r.windowSelector ?? null,
    thresholdUsedPercent: r.thresholdUsedPercent ?? null,
    windowMinutes: r.windowMinutes ?? null,
    thresholdErrorPercent: r.thresholdErrorPercent ?? null,
    minRequests: r.minRequests ?? null,
    createdBy: r.createdBy,
    createdAt: iso(r.createdAt),
    updatedAt: iso(r.updatedAt),
  };
}

export function channelView(c: AlertChannel): Out<typeof C.AlertChannel> {
  return {
    id: c.id,
    name: c.name,
    kind: c.kind,
    format: c.format,
    state: c.state,
    url: { host: c.urlHost, pathPrefix: c.urlPathPrefix, fingerprint: c.urlFingerprint },
    secretConfigured: true,
    lastDelivery: c.lastDeliveryAt
      ? {
          at: iso(c.lastDeliveryAt),
          outcome: c.lastDeliveryOutcome ?? null,
          statusCode: c.lastDeliveryStatusCode ?? null,
        }
      : null,
    createdBy: c.createdBy,
    createdAt: iso(c.createdAt),
    updatedAt: iso(c.updatedAt),
  };
}

export function incidentView(i: AlertIncident): Out<typeof C.AlertIncident> {
  return {
    id: i.id,
    ruleId: i.ruleId,
    ruleKind: i.ruleKind,
    pool: i.pool,
    severity: i.severity,
    state: i.state,
    dedupeKey: i.dedupeKey,
    reasonCode: i.reasonCode,
    scopeType: i.scopeType,
    accountId: i.accountId ?? null,
    accountLabel: i.accountLabel ?? null,
    model: i.model ?? null,
    summary: i.summary,
    evidence: i.evidence,
    occurrenceCount: i.occurrenceCount,
    firstSeenAt: iso(i.firstSeenAt),
    lastSeenAt: iso(i.lastSeenAt),
    notificationCount: i.notificationCount,
    lastNotifiedAt: iso(i.lastNotifiedAt),
    nextNotifyAt: iso(i.nextNotifyAt),
    acknowledgedAt: iso(i.acknowledgedAt),
    acknowledgedBy: i.acknowledgedBy ?? null,
    resolvedAt: iso(i.resolvedAt),
    resolvedBy: i.resolvedBy ?? null,
    resolution: i.resolution ?? null,
  };
}

export function deliveryView(d: AlertDelivery): Out<typeof C.AlertDelivery> {
  return {
    eventId: d.eventId,
    eventType: d.eventType,
    incidentId: d.incidentId === "test" ? null : d.incidentId,
    channelId: d.channelId,
    status: d.status,
    attemptCount: d.attemptCount,
    maxAttempts: d.maxAttempts,
    nextAttemptAt: d.status === "pending" ? iso(d.nextAttemptAt) : null,
    errorCode: d.errorCode ?? null,
    attempts: (d.attempts ?? []).map((a) => ({
      attemptId: a.attemptId,
      at: iso(a.at),
      durationMs: a.durationMs,
      outcome: a.outcome,
      statusCode: a.statusCode ?? null,
      errorCode: a.errorCode ?? null,
    })),
    createdAt: iso(d.createdAt),
    updatedAt: iso(d.updatedAt),
  };
}

/** A finished evaluation run (a busy one is answered 409 by the route). */
export function evaluationView(r: EvaluateResult & { status: "done" }): Out<typeof C.AlertEvaluation> {
  return {
    status: r.status,
    rulesEvaluated: r.rulesEvaluated,
    rulesDue: r.rulesDue,
    opened: r.opened,
    repeated: r.repeated,
    resolved: r.resolved,
    deliveries: r.deliveries,
    nextEvaluationAt: iso(r.nextEvaluationAt),
  };
}
