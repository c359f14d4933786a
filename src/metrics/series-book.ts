/**
 * Which label sets each target has put into which metric. prom-client can only remove a series
 * by its complete label set, and a channel that disappears, or a server that stops answering,
 * must take its series with it rather than leave the last value standing.
 */
import type { LabelValues } from './gauge-sample.js';

export interface RemovableMetric {
  remove(labels: LabelValues): void;
}

interface Series {
  readonly metric: RemovableMetric;
  readonly labels: LabelValues;
}

export class SeriesBook {
  private readonly byTarget = new Map<string, Map<string, Series>>();
  // prom-client's typings do not expose a metric's name, so metrics are told apart by identity.
  private readonly metricIds = new Map<RemovableMetric, number>();

  private keyOf(metric: RemovableMetric, labels: LabelValues): string {
    let id = this.metricIds.get(metric);
    if (id === undefined) this.metricIds.set(metric, (id = this.metricIds.size));
    return `${id}${JSON.stringify(Object.entries(labels))}`;
  }

  /** Records that `target` has a series of `metric` with `labels`; returns its key. */
  note(target: string, metric: RemovableMetric, labels: LabelValues): string {
    let series = this.byTarget.get(target);
    if (!series) this.byTarget.set(target, (series = new Map()));
    const key = this.keyOf(metric, labels);
    if (!series.has(key)) series.set(key, { metric, labels });
    return key;
  }

  /** Removes the target's series of `metrics` whose keys are not in `current`. */
  sweep(target: string, metrics: ReadonlySet<RemovableMetric>, current: ReadonlySet<string>): void {
    const series = this.byTarget.get(target);
    for (const [key, s] of series ?? []) {
      if (metrics.has(s.metric) && !current.has(key)) {
        s.metric.remove(s.labels);
        series!.delete(key);
      }
    }
  }

  /** Removes every series the target has. */
  forget(target: string): void {
    for (const s of this.byTarget.get(target)?.values() ?? []) s.metric.remove(s.labels);
    this.byTarget.delete(target);
  }
}
