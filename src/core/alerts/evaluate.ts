// `evaluateAlerts(ctx)`: the one entry point any scheduler calls (the local host's poller tick, the
// scheduled Lambda, `POST /admin/v1/alerts/evaluate`). Under a store lease, so one run at a time
// across instances: when rules are due (every 5 minutes, or forced), evaluate each active rule
// from persisted evidence and move its incidents; then send what is pending in the outbox.
import { randomBytes } from "node:crypto";
import type { CoreContext } from "../context.ts";
import type { Account } from "../model.ts";
import type { RoutingSnapshot } from "../ports.ts";
import { findingsFor } from "./conditions.ts";
import { type DeliveryTally, deliverAll, emptyTally } from "./delivery.ts";
import { applyFindings } from "./incidents.ts";
import type { AlertDelivery, AlertIncident } from "./model.ts";

export const DEFAULT_EVALUATE_INTERVAL_MS = 5 * 60_000;
const LEASE_MS = 2 * 60_000;
const OUTBOX_BATCH = 100;

export interface EvaluateOptions {
  /** Evaluate rules now even if they are not due (manual runs). */
  force?: boolean;
  intervalMs?: number;
}

export interface EvaluateResult {
  /** `busy`: another run holds the lease (the "already queued" answer). */
  status: "done" | "busy";
  rulesEvaluated: number;
  /** Rules evaluated this run, or false when they were not due (only the outbox was worked). */
  rulesDue: boolean;
  opened: number;
  repeated: number;
  resolved: number;
  deliveries: DeliveryTally;
  nextEvaluationAt?: number;
}

export async function evaluateAlerts(
  ctx: CoreContext,
  options: EvaluateOptions = {},
): Promise<EvaluateResult> {
  const { store, clock } = ctx;
  const now = clock.now();
  const owner = `${ctx.config.instanceId}:${randomBytes(4).toString("hex")}`;
  const result: EvaluateResult = {
    status: "done",
    rulesEvaluated: 0,
    rulesDue: false,
    opened: 0,
    repeated: 0,
    resolved: 0,
    deliveries: emptyTally(),
  };
  const schedule = await store.alerts.schedule.acquire(owner, now, now + LEASE_MS);
  if (!schedule) return { ...result, status: "busy" };
  let nextEvaluationAt = schedule.nextEvaluationAt;
  let lastEvaluatedAt: number | undefined;
  try {
    const fresh: AlertDelivery[] = [];
    if (options.force || (schedule.nextEvaluationAt ?? 0) <= now) {
      result.rulesDue = true;
      const rules = (await store.alerts.rules.list()).filter((r) => r.state === "active");
      const [channels, active] = await Promise.all([
        store.alerts.channels.list(),
        store.alerts.incidents.listActive(),
      ]);
      const channelMap = new Map(channels.map((c) => [c.id, c]));
      const activeByRule = new Map<string, AlertIncident[]>();
      for (const incident of active) {
        activeByRule.set(incident.ruleId, [...(activeByRule.get(incident.ruleId) ?? []), incident]);
      }
      // Evidence once per Pool: its accounts (fresh from the store) and its routing state.
      const pools = new Map<string, Promise<{ accounts: Account[]; snapshot: RoutingSnapshot }>>();
      const evidenceOf = (pool: string) => {
        let found = pools.get(pool);
        if (!found) {
          found = Promise.all([store.accounts.listByPool(pool), store.routing.load(pool, now)]).then(
            ([accounts, snapshot]) => ({ accounts, snapshot }),
          );
          pools.set(pool, found);
        }
        return found;
      };
      for (const rule of rules) {
        try {
          const evidence = await evidenceOf(rule.pool);
          const findings = await findingsFor(ctx, rule, { ...evidence, now });
          const moved = await applyFindings(ctx, rule, findings, activeByRule.get(rule.id) ?? [], channelMap);
          result.rulesEvaluated++;
          result.opened += moved.opened;
          result.repeated += moved.repeated;
          result.resolved += moved.resolved;
          fresh.push(...moved.deliveries);
        } catch (error) {
          // One broken rule must not stop the others.
          ctx.logger.error("alert rule evaluation failed", { ruleId: rule.id, error: (error as Error).name });
        }
      }
      lastEvaluatedAt = now;
      nextEvaluationAt = now + (options.intervalMs ?? DEFAULT_EVALUATE_INTERVAL_MS);
    }
    // The outbox index is eventually consistent: deliveries created this run are passed directly.
    const due = await store.alerts.deliveries.listDue(clock.now(), OUTBOX_BATCH);
    result.deliveries = await deliverAll(ctx, [...fresh, ...due]);
    result.nextEvaluationAt = nextEvaluationAt;
    ctx.metrics.count("alert_evaluation", 1, { rules: result.rulesDue ? "evaluated" : "not_due" });
    return result;
  } finally {
    await store.alerts.schedule.release(owner, { nextEvaluationAt, lastEvaluatedAt });
  }
}
