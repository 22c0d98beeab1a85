// Dashboard and alarms. Gateway metrics are the EMF metrics of src/adapters/observability (names and
// dimensions from metric-catalog.ts, shared with the emitter); the rest are AWS service metrics.
// Every alarm notifies one SNS topic; an e-mail subscription is added when AlarmEmail is set.
import { CfnCondition, Duration, Fn } from "aws-cdk-lib";
import * as cw from "aws-cdk-lib/aws-cloudwatch";
import * as cwActions from "aws-cdk-lib/aws-cloudwatch-actions";
import type * as dynamodb from "aws-cdk-lib/aws-dynamodb";
import type * as lambda from "aws-cdk-lib/aws-lambda";
import * as sns from "aws-cdk-lib/aws-sns";
import { Construct } from "constructs";
import {
  DIMENSION,
  METRIC,
  STATUS_CLASSES,
  TOKEN_REFRESH_FAILURES,
  UPSTREAM_429_CODES,
} from "../../src/adapters/observability/metric-catalog.ts";
import { ACCOUNT_STATUSES } from "../../src/admin-contract/enums.ts";
import type { GatewayConfig } from "../config.ts";

const MINUTE = Duration.minutes(1);
const FIVE_MINUTES = Duration.minutes(5);

export interface MonitoringProps {
  config: GatewayConfig;
  namespace: string;
  functions: Record<string, lambda.IFunction>;
  tables: { state: dynamodb.ITable; requestLogs: dynamodb.ITable; stateIndexes: string[] };
  webSocket: { apiId: string; stage: string };
  /** Empty string: no e-mail subscription. */
  alarmEmail: string;
}

export class Monitoring extends Construct {
  readonly topic: sns.Topic;
  readonly dashboard: cw.Dashboard;
  readonly alarms: Record<string, cw.Alarm> = {};

  constructor(scope: Construct, id: string, props: MonitoringProps) {
    super(scope, id);
    const { config, namespace } = props;
    const thresholds = config.alarms;
    this.topic = new sns.Topic(this, "AlarmTopic", {
      displayName: `Codex Pooler ${config.name} alarms`,
      enforceSSL: true,
    });
    const emailGiven = new CfnCondition(this, "AlarmEmailGiven", {
      expression: Fn.conditionNot(Fn.conditionEquals(props.alarmEmail, "")),
    });
    const subscription = new sns.CfnSubscription(this, "AlarmEmailSubscription", {
      topicArn: this.topic.topicArn,
      protocol: "email",
      endpoint: props.alarmEmail,
    });
    subscription.cfnOptions.condition = emailGiven;

    const gw = (
      name: string,
      dimensionsMap: Record<string, string> = {},
      statistic = "Sum",
      period = MINUTE,
    ) => new cw.Metric({ namespace, metricName: name, dimensionsMap, statistic, period });
    const search = (dims: string[], metric: string, statistic: string, period = MINUTE, prefix = "") =>
      new cw.MathExpression({
        expression: `${prefix}SEARCH('{${[namespace, ...dims].map((d) => `"${d}"`).join(",")}} MetricName="${metric}"', '${statistic}', ${period.toSeconds()})`,
        usingMetrics: {},
        period,
      });
    const sumOf = (metrics: Record<string, cw.IMetric>, label: string, period = MINUTE) =>
      new cw.MathExpression({
        expression: Object.keys(metrics)
          .map((k) => `FILL(${k}, 0)`)
          .join(" + "),
        usingMetrics: metrics,
        label,
        period,
      });

    // --- gateway alarms ------------------------------------------------------------------------
    const byClass = Object.fromEntries(
      STATUS_CLASSES.map((c) => [`s${c[0]}`, gw(METRIC.requests, { [DIMENSION.statusClass]: c })]),
    );
    const total = STATUS_CLASSES.map((c) => `FILL(s${c[0]}, 0)`).join(" + ");
    const error5xxRate = new cw.MathExpression({
      // Minutes with fewer than 10 requests do not count: one failure in two requests is not an outage.
      expression: `IF((${total}) >= 10, 100 * FILL(s5, 0) / (${total}), 0)`,
      usingMetrics: byClass,
      label: "5xx responses (% of requests)",
      period: MINUTE,
    });
    this.alarm("Gateway5xxRate", error5xxRate, {
      threshold: thresholds.error5xxRatePercent,
      evaluationPeriods: 5,
      datapointsToAlarm: 3,
      description: `Gateway 5xx responses above ${thresholds.error5xxRatePercent}% of requests in 3 of 5 minutes`,
    });
    this.alarm(
      "NoEligibleAccount",
      gw(METRIC.requestErrors, { [DIMENSION.errorCode]: "no_eligible_backend" }, "Sum", FIVE_MINUTES),
      {
        threshold: 1,
        evaluationPeriods: 1,
        description:
          "Requests answered 503 no_eligible_backend: a Pool had no routable account (see the message in the request log)",
      },
    );
    this.alarm(
      "AccountsNeedReauth",
      gw(METRIC.accounts, { [DIMENSION.accountStatus]: "reauth_required" }, "Maximum", FIVE_MINUTES),
      {
        threshold: 1,
        evaluationPeriods: 1,
        description:
          "At least one upstream account needs a new login: re-import its auth.json (pooler account import)",
      },
    );
    const refreshFailures = sumOf(
      Object.fromEntries(
        TOKEN_REFRESH_FAILURES.map((o, i) => [
          `r${i}`,
          gw(METRIC.tokenRefresh, { [DIMENSION.outcome]: o }, "Sum", Duration.minutes(15)),
        ]),
      ),
      "failed token refreshes",
      Duration.minutes(15),
    );
    this.alarm("RefreshFailures", refreshFailures, {
      threshold: thresholds.refreshFailures,
      evaluationPeriods: 1,
      description: `${thresholds.refreshFailures} or more failed token refreshes in 15 minutes (auth server or network trouble)`,
    });
    this.alarm("PoolQuotaHigh", gw(METRIC.maxPoolQuotaUsedPercent, {}, "Maximum", FIVE_MINUTES), {
      threshold: thresholds.poolQuotaUsedPercent,
      evaluationPeriods: 2,
      description: `A Pool has used ${thresholds.poolQuotaUsedPercent}% or more of its quota for 10 minutes: add accounts or expect usage-limit answers`,
    });

    // --- AWS service alarms --------------------------------------------------------------------
    const fns = Object.entries(props.functions);
    const lambdaSum = (metric: (fn: lambda.IFunction) => cw.Metric, label: string) =>
      sumOf(
        Object.fromEntries(fns.map(([name, fn]) => [name.toLowerCase(), metric(fn)])),
        label,
        FIVE_MINUTES,
      );
    this.alarm(
      "LambdaErrors",
      lambdaSum((fn) => fn.metricErrors({ period: FIVE_MINUTES, statistic: "Sum" }), "function errors"),
      {
        threshold: 1,
        evaluationPeriods: 1,
        description:
          "A gateway function failed (uncaught error, timeout or out of memory); see its log group",
      },
    );
    this.alarm(
      "LambdaThrottles",
      lambdaSum((fn) => fn.metricThrottles({ period: FIVE_MINUTES, statistic: "Sum" }), "function throttles"),
      {
        threshold: 1,
        evaluationPeriods: 1,
        description:
          "Lambda throttled a gateway function: each streaming turn holds one concurrent execution; raise the account's concurrency quota",
      },
    );
    const dynamoThrottles: Record<string, cw.IMetric> = {};
    const tableMetric = (table: dynamodb.ITable, name: string, index?: string) =>
      new cw.Metric({
        namespace: "AWS/DynamoDB",
        metricName: name,
        dimensionsMap: { TableName: table.tableName, ...(index ? { GlobalSecondaryIndexName: index } : {}) },
        statistic: "Sum",
        period: FIVE_MINUTES,
      });
    for (const kind of ["Read", "Write"]) {
      dynamoThrottles[`st${kind[0]}`] = tableMetric(props.tables.state, `${kind}ThrottleEvents`);
      dynamoThrottles[`lg${kind[0]}`] = tableMetric(props.tables.requestLogs, `${kind}ThrottleEvents`);
      props.tables.stateIndexes.forEach((index, i) => {
        dynamoThrottles[`ix${i}${kind[0]}`] = tableMetric(props.tables.state, `${kind}ThrottleEvents`, index);
      });
    }
    this.alarm("DynamoDbThrottles", sumOf(dynamoThrottles, "DynamoDB throttle events", FIVE_MINUTES), {
      threshold: 1,
      evaluationPeriods: 1,
      description:
        "DynamoDB throttled the gateway's reads or writes (on-demand tables throttle above their table limits)",
    });

    // --- dashboard ----------------------------------------------------------------------------
    const api = { ApiId: props.webSocket.apiId, Stage: props.webSocket.stage };
    const apiMetric = (name: string) =>
      new cw.Metric({
        namespace: "AWS/ApiGateway",
        metricName: name,
        dimensionsMap: api,
        statistic: "Sum",
        period: FIVE_MINUTES,
      });
    const perFunction = (label: string, metric: (fn: lambda.IFunction) => cw.IMetric) =>
      new cw.GraphWidget({ title: label, left: fns.map(([, fn]) => metric(fn)), width: 6 });
    this.dashboard = new cw.Dashboard(this, "Dashboard", {
      dashboardName: `${config.name}-gateway`,
      defaultInterval: Duration.hours(3),
      widgets: [
        [
          new cw.TextWidget({
            markdown: `# Codex Pooler · ${config.name}\nRequests, latency and upstream health from the gateway's EMF metrics (namespace \`${namespace}\`), then accounts, quota and the AWS services. Alarms go to the SNS topic.`,
            width: 24,
            height: 2,
          }),
        ],
        [
          new cw.GraphWidget({
            title: "Requests by route and status",
            left: [search([DIMENSION.routeFamily, DIMENSION.statusClass], METRIC.requests, "Sum")],
            width: 12,
          }),
          new cw.GraphWidget({
            title: "Errors by code",
            left: [search([DIMENSION.errorCode], METRIC.requestErrors, "Sum")],
            width: 6,
          }),
          new cw.AlarmWidget({
            title: "Gateway 5xx rate (%)",
            alarm: this.alarms.Gateway5xxRate as cw.Alarm,
            width: 6,
          }),
        ],
        [
          new cw.GraphWidget({
            title: "Time to first byte p50 (ms)",
            left: [search([DIMENSION.routeFamily], METRIC.timeToFirstByte, "p50")],
            width: 6,
          }),
          new cw.GraphWidget({
            title: "Time to first byte p99 (ms)",
            left: [search([DIMENSION.routeFamily], METRIC.timeToFirstByte, "p99")],
            width: 6,
          }),
          new cw.GraphWidget({
            title: "Upstream 429s (account throttled or out of quota)",
            left: UPSTREAM_429_CODES.map((code) => gw(METRIC.upstreamFailover, { [DIMENSION.code]: code })),
            width: 6,
          }),
          new cw.GraphWidget({
            title: "Failovers by upstream code",
            left: [search([DIMENSION.code], METRIC.upstreamFailover, "Sum")],
            width: 6,
          }),
        ],
        [
          new cw.GraphWidget({
            title: "Accounts by status",
            left: ACCOUNT_STATUSES.map((s) =>
              gw(METRIC.accounts, { [DIMENSION.accountStatus]: s }, "Maximum", FIVE_MINUTES),
            ),
            width: 8,
          }),
          new cw.GraphWidget({
            title: "Quota remaining per Pool (%)",
            left: [search([DIMENSION.pool], METRIC.poolQuotaUsedPercent, "Maximum", FIVE_MINUTES, "100 - ")],
            leftYAxis: { min: 0, max: 100 },
            width: 8,
          }),
          new cw.GraphWidget({
            title: "Token refreshes by outcome",
            left: [search([DIMENSION.outcome], METRIC.tokenRefresh, "Sum", FIVE_MINUTES)],
            width: 8,
          }),
        ],
        [
          new cw.GraphWidget({
            title: "WebSocket connections and messages",
            left: [apiMetric("ConnectCount"), apiMetric("MessageCount")],
            right: [apiMetric("ClientError"), apiMetric("ExecutionError")],
            width: 8,
          }),
          new cw.GraphWidget({
            title: "DynamoDB throttles and consumed capacity",
            left: [sumOf(dynamoThrottles, "throttle events", FIVE_MINUTES)],
            right: [
              props.tables.state.metricConsumedReadCapacityUnits({ period: FIVE_MINUTES }),
              props.tables.state.metricConsumedWriteCapacityUnits({ period: FIVE_MINUTES }),
              props.tables.requestLogs.metricConsumedWriteCapacityUnits({ period: FIVE_MINUTES }),
            ],
            width: 8,
          }),
          new cw.AlarmStatusWidget({ title: "Alarms", alarms: Object.values(this.alarms), width: 8 }),
        ],
        [
          perFunction("Lambda errors", (fn) => fn.metricErrors({ period: FIVE_MINUTES })),
          perFunction("Lambda throttles", (fn) => fn.metricThrottles({ period: FIVE_MINUTES })),
          perFunction("Lambda duration p99", (fn) =>
            fn.metricDuration({ period: FIVE_MINUTES, statistic: "p99" }),
          ),
          perFunction("Lambda concurrency (max)", (fn) =>
            fn.metric("ConcurrentExecutions", { period: FIVE_MINUTES, statistic: "Maximum" }),
          ),
        ],
      ],
    });
  }

  private alarm(
    id: string,
    metric: cw.IMetric,
    options: {
      threshold: number;
      evaluationPeriods: number;
      datapointsToAlarm?: number;
      description: string;
    },
  ): cw.Alarm {
    const alarm = new cw.Alarm(this, id, {
      metric,
      threshold: options.threshold,
      evaluationPeriods: options.evaluationPeriods,
      datapointsToAlarm: options.datapointsToAlarm,
      comparisonOperator: cw.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      // No traffic, no poll yet: not an alarm.
      treatMissingData: cw.TreatMissingData.NOT_BREACHING,
      alarmDescription: options.description,
    });
    alarm.addAlarmAction(new cwActions.SnsAction(this.topic));
    alarm.addOkAction(new cwActions.SnsAction(this.topic));
    this.alarms[id] = alarm;
    return alarm;
  }
}
