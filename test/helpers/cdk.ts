// Small readers for synthesized CloudFormation.

/** The functions (by logical-id prefix) a metric-math alarm's inputs refer to. */
export function lambdaMetricNames(
  metrics: { MetricStat?: { Metric: { Dimensions?: { Name: string; Value: unknown }[] } } }[],
): string[] {
  return metrics
    .flatMap((m) => m.MetricStat?.Metric.Dimensions ?? [])
    .filter((d) => d.Name === "FunctionName")
    .map((d) => JSON.stringify(d.Value).match(/"(\w+?)Function[0-9A-F]{8}"/)?.[1] ?? "?")
    .sort();
}
