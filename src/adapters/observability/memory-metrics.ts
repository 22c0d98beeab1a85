import type { MetricDimensions, Metrics } from "../../core/ports.ts";

/** In-process counters for the local host (the AWS host emits CloudWatch EMF instead). */
export class MemoryMetrics implements Metrics {
  readonly counters = new Map<string, number>();

  count(name: string, value = 1, dimensions: MetricDimensions = {}): void {
    const key = `${name}${JSON.stringify(dimensions)}`;
    this.counters.set(key, (this.counters.get(key) ?? 0) + value);
  }

  timing(name: string, milliseconds: number, dimensions: MetricDimensions = {}): void {
    this.count(`${name}_ms_total`, milliseconds, dimensions);
  }
}
