// EventBridge rules for the scheduled function. The input keeps the scheduled-event shape and names
// the job in `detail.task` (src/server/aws-scheduled.ts).
import { Duration } from "aws-cdk-lib";
import * as events from "aws-cdk-lib/aws-events";
import * as eventTargets from "aws-cdk-lib/aws-events-targets";
import { Construct } from "constructs";
import type { GatewayFunction } from "./gateway-function.ts";

export const SCHEDULES = {
  /** Proactive token refresh, then the usage poll (bounded concurrency) and the fleet gauges. */
  "usage-poll": {
    schedule: events.Schedule.rate(Duration.minutes(1)),
    retries: 0,
    maxAge: Duration.minutes(1),
  },
  /** Request-log rows outside the retention window. */
  retention: {
    schedule: events.Schedule.cron({ minute: "17", hour: "3" }),
    retries: 2,
    maxAge: Duration.hours(2),
  },
} as const;

export class Schedules extends Construct {
  readonly rules: Record<keyof typeof SCHEDULES, events.Rule>;

  constructor(scope: Construct, id: string, props: { handler: GatewayFunction }) {
    super(scope, id);
    const rules = {} as Record<keyof typeof SCHEDULES, events.Rule>;
    for (const [task, spec] of Object.entries(SCHEDULES) as [
      keyof typeof SCHEDULES,
      (typeof SCHEDULES)[keyof typeof SCHEDULES],
    ][]) {
      rules[task] = new events.Rule(this, task === "usage-poll" ? "UsagePoll" : "Retention", {
        description: `Codex Pooler scheduled task ${task}`,
        schedule: spec.schedule,
        targets: [
          new eventTargets.LambdaFunction(props.handler.fn, {
            event: events.RuleTargetInput.fromObject({
              "detail-type": "Scheduled Event",
              source: "aws.events",
              id: events.EventField.eventId,
              time: events.EventField.time,
              detail: { task },
            }),
            // A missed minute is replaced by the next one; a late poll is worthless.
            retryAttempts: spec.retries,
            maxEventAge: spec.maxAge,
          }),
        ],
      });
    }
    this.rules = rules;
  }
}
