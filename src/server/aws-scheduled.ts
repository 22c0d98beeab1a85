// The scheduled jobs on AWS. EventBridge rules deliver a scheduled-event-shaped input whose
// `detail.task` names the job (lib/constructs/schedules.ts); each job is a core function any
// scheduler can call (the local host runs the same ones on a timer).
import { documentClient } from "../adapters/dynamodb/dynamo-store.ts";
import { purgeExpiredRequestLogs } from "../adapters/dynamodb/request-log-retention.ts";
import { refreshDueAccounts } from "../core/accounts/refresh-sweep.ts";
import { pollAccountUsage } from "../core/accounts/usage-poller.ts";
import { evaluateAlerts } from "../core/alerts/evaluate.ts";
import { reportFleetGauges } from "../core/support/fleet-gauges.ts";
import type { AwsHost } from "./aws-host.ts";

export const SCHEDULED_TASKS = ["usage-poll", "retention"] as const;
export type ScheduledTask = (typeof SCHEDULED_TASKS)[number];

export interface ScheduledEvent {
  "detail-type"?: string;
  source?: string;
  time?: string;
  detail?: { task?: string };
}

export function scheduledHandler(host: AwsHost) {
  const { gateway, ctx, config } = host;
  const jobs: Record<ScheduledTask, () => Promise<Record<string, number>>> = {
    // Every minute: proactive token refresh, the usage poll, the gauges it makes fresh, then alerts.
    async "usage-poll"() {
      const refresh = await refreshDueAccounts(gateway);
      const poll = await pollAccountUsage(gateway, { concurrency: config.usagePollConcurrency });
      await reportFleetGauges(gateway.ctx);
      // Alert rules when due (every 5 minutes across instances, under a store lease); the outbox every run.
      const alerts = await evaluateAlerts(gateway.ctx);
      return {
        refreshed: refresh.refreshed,
        refreshFailed: refresh.failed,
        ...poll,
        alertRulesEvaluated: alerts.rulesEvaluated,
        alertIncidentsOpened: alerts.opened,
        alertDeliveries: alerts.deliveries.attempted,
      };
    },
    // Daily: request-log day partitions past the retention window.
    async retention() {
      return purgeExpiredRequestLogs(documentClient(host.dynamo), {
        table: config.tables.requestLogs,
        retentionDays: config.requestLogRetentionDays,
        clock: ctx.clock,
      });
    },
  };
  return async (event: ScheduledEvent): Promise<{ task: ScheduledTask } & Record<string, unknown>> => {
    const task = event.detail?.task;
    if (!task || !(SCHEDULED_TASKS as readonly string[]).includes(task)) {
      throw new Error(
        `unknown scheduled task ${JSON.stringify(task)}; expected one of ${SCHEDULED_TASKS.join(", ")}`,
      );
    }
    const started = ctx.clock.now();
    try {
      const result = await jobs[task as ScheduledTask]();
      ctx.logger.info("scheduled task done", { task, durationMs: ctx.clock.now() - started, ...result });
      return { task: task as ScheduledTask, ...result };
    } finally {
      await host.settle();
    }
  };
}
