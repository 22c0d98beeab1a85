// Metrics port → CloudWatch Embedded Metric Format via Powertools Metrics: one EMF line per data
// point on stdout, which CloudWatch turns into metrics without any API call from the function.
// Dimensions are bounded here, at the edge: raw routes, statuses and codes from the core are mapped
// onto the small sets of metric-catalog.ts.
import { Metrics as PowertoolsMetrics } from "@aws-lambda-powertools/metrics";
import type { MetricDimensions, Metrics } from "../../core/ports.ts";
import {
  DIMENSION,
  KNOWN_ERROR_CODES,
  METRIC,
  type ROUTE_FAMILIES,
  type STATUS_CLASSES,
} from "./metric-catalog.ts";

type Unit = "Count" | "Milliseconds" | "Percent";

export interface Datapoint {
  name: string;
  unit: Unit;
  value: number;
  dimensions: Record<string, string>;
}

export interface EmfMetricsOptions {
  namespace: string;
  /** Where EMF lines go; stdout (the function's log stream) by default. */
  write?: (line: string) => void;
}

export class EmfMetrics implements Metrics {
  readonly #metrics: PowertoolsMetrics;
  readonly #write: (line: string) => void;

  constructor(options: EmfMetricsOptions) {
    this.#metrics = new PowertoolsMetrics({ namespace: options.namespace });
    // No implicit `service` dimension: alarms must match the dimension sets below exactly.
    this.#metrics.clearDefaultDimensions();
    this.#write = options.write ?? ((line) => process.stdout.write(`${line}\n`));
  }

  count(name: string, value = 1, dimensions: MetricDimensions = {}): void {
    for (const point of datapoints("count", name, value, dimensions)) this.#emit(point);
  }

  timing(name: string, milliseconds: number, dimensions: MetricDimensions = {}): void {
    for (const point of datapoints("timing", name, milliseconds, dimensions)) this.#emit(point);
  }

  #emit(point: Datapoint): void {
    if (!Number.isFinite(point.value)) return;
    const m = this.#metrics;
    m.addDimensions(point.dimensions);
    m.addMetric(point.name, point.unit, point.value);
    const emf = m.serializeMetrics();
    m.clearMetrics();
    m.clearDimensions();
    this.#write(JSON.stringify(emf));
  }
}

/** The data points one core metric call becomes (exported for tests). */
export function datapoints(
  kind: "count" | "timing",
  name: string,
  value: number,
  dims: MetricDimensions,
): Datapoint[] {
  const count = (metric: string, dimensions: Record<string, string> = {}): Datapoint => ({
    name: metric,
    unit: "Count",
    value,
    dimensions,
  });
  const ms = (metric: string, dimensions: Record<string, string>): Datapoint => ({
    name: metric,
    unit: "Milliseconds",
    value,
    dimensions,
  });
  switch (name) {
    case "requests": {
      const statusClass = statusClassOf(dims.status);
      const points = [
        count(METRIC.requests, {
          [DIMENSION.routeFamily]: routeFamily(dims.route),
          [DIMENSION.statusClass]: statusClass,
        }),
        // The same count without the route: what the 5xx-rate alarm divides.
        count(METRIC.requests, { [DIMENSION.statusClass]: statusClass }),
      ];
      if (dims.code)
        points.push(count(METRIC.requestErrors, { [DIMENSION.errorCode]: errorCode(dims.code) }));
      return points;
    }
    case "request_duration":
      return [ms(METRIC.requestDuration, { [DIMENSION.routeFamily]: routeFamily(dims.route) })];
    case "ttfb":
      return [ms(METRIC.timeToFirstByte, { [DIMENSION.routeFamily]: routeFamily(dims.route) })];
    case "upstream_failover":
      return [count(METRIC.upstreamFailover, { [DIMENSION.code]: errorCode(dims.code) })];
    case "routing_failure":
      return [count(METRIC.routingFailure, { [DIMENSION.code]: errorCode(dims.reason) })];
    case "token_refresh":
      return [count(METRIC.tokenRefresh, { [DIMENSION.outcome]: word(dims.outcome) })];
    case "usage_poll":
      return [count(METRIC.usagePoll, { [DIMENSION.outcome]: word(dims.outcome) })];
    case "accounts":
      return [count(METRIC.accounts, { [DIMENSION.accountStatus]: word(dims.status) })];
    case "pool_quota_used_percent":
      return [
        {
          name: METRIC.poolQuotaUsedPercent,
          unit: "Percent",
          value,
          dimensions: { [DIMENSION.pool]: word(dims.pool, 63) },
        },
      ];
    case "max_pool_quota_used_percent":
      return [{ name: METRIC.maxPoolQuotaUsedPercent, unit: "Percent", value, dimensions: {} }];
    default:
      // A metric the catalog does not know yet: keep it, but without dimensions.
      return [kind === "timing" ? ms(pascal(name), {}) : count(pascal(name))];
  }
}

export function statusClassOf(status: string | undefined): (typeof STATUS_CLASSES)[number] {
  const n = Number(status);
  if (n >= 500) return "5xx";
  if (n >= 400) return "4xx";
  if (n >= 300) return "3xx";
  return "2xx";
}

export function routeFamily(route: string | undefined): (typeof ROUTE_FAMILIES)[number] {
  if (!route) return "other";
  if (route.startsWith("/admin")) return "admin";
  if (route.startsWith("/mcp")) return "mcp";
  if (route.startsWith("/v1/")) {
    if (route.includes("/chat/completions")) return "v1_chat_completions";
    if (route.endsWith("/responses") || route.includes("/responses/")) return "v1_responses";
    if (route.includes("/models")) return "v1_models";
    return "v1_other";
  }
  if (route.includes("usage")) return "backend_usage";
  if (route.startsWith("/backend-api/codex/")) {
    if (route.includes("/responses")) return "backend_responses";
    if (route.includes("/models")) return "backend_models";
  }
  return "other";
}

export function errorCode(code: string | undefined): string {
  if (!code) return "none";
  if ((KNOWN_ERROR_CODES as readonly string[]).includes(code)) return code;
  const http = /^upstream_http_(\d)\d\d$/.exec(code);
  if (http) return `upstream_http_${http[1]}xx`;
  return "other";
}

function word(value: string | undefined, max = 32): string {
  return value && new RegExp(`^[A-Za-z0-9_-]{1,${max}}$`).test(value) ? value : "other";
}

function pascal(name: string): string {
  return name.replace(/(^|_)([a-z0-9])/g, (_m, _sep, c: string) => c.toUpperCase());
}
