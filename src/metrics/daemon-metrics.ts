/**
 * The daemon's Prometheus metrics for every checked target, on a registry the caller owns (so
 * tests get a fresh one and the HTTP layer decides how to serve it). No timers, no I/O: the daemon
 * calls record() after each check and remove() when a reload drops a target.
 *
 * A target has ~25 gauge series and is checked every second, while Prometheus reads them every
 * 15 s or so: record() only keeps the target's last state, and its gauges are published when the
 * registry is read (each metric's `collect`), from that state, so a scrape shows exactly what
 * publishing after every check would have shown. Counters and the histogram count every check
 * as it comes, on label objects made once per target.
 */
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { CheckReport } from '../types/facts.js';
import type { TargetState } from '../types/target-state.js';
import { CHECKER_GAUGES, checkerSamples } from './checker-gauges.js';
import type { GaugeSpec, LabelValues } from './gauge-sample.js';
import { MYSQLD_EXPORTER_GAUGES, mysqldExporterSamples } from './mysqld-exporter-gauges.js';
import { PROBE_GAUGES, probeSamples } from './probe-gauges.js';
import { FENCE_GAUGES, fenceSamples } from './fence-gauges.js';
import { LAG_GAUGES, lagSamples } from './lag-gauges.js';
import { PEER_GAUGES, peerSamples } from './peer-gauges.js';
import { SeriesBook, type RemovableMetric } from './series-book.js';
import { isUsableLabelName } from './label-names.js';

export interface TargetMeta {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly vip?: string;
}

export interface DaemonMetrics {
  /** After every check of a target: state.lastReport is that check's CheckReport (src/check.ts). */
  record(target: TargetMeta, state: TargetState): void;
  /** A target removed by a config reload: drop all its series. */
  remove(targetName: string): void;
}

/** From ~1 ms (Unix socket, idle server) to a few seconds (a hung server running into a long --timeout). */
export const CHECK_DURATION_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

/**
 * extraLabelNames: the union of configured per-target label keys (fixed for this registry's life).
 * onError: a target whose gauges could not be published when the registry was read (its series
 * keep their last values; the others are published).
 */
export function createDaemonMetrics(registry: Registry, extraLabelNames: readonly string[], onError?: (target: string, err: unknown) => void): DaemonMetrics {
  const extras = [...new Set(extraLabelNames)];
  const bad = extras.filter((n) => !isUsableLabelName(n));
  if (bad.length > 0) throw new Error(`target label names not usable in metrics (invalid or reserved): ${bad.join(', ')}`);
  const base = ['target', ...extras];
  const registers = [registry];

  /** Targets recorded since the registry was last read: their gauges are published then. */
  const unpublished = new Map<string, { target: TargetMeta; state: TargetState; own: LabelValues }>();
  // prom-client calls a metric's collect() whenever the registry reads it; the first one publishes.
  const collect = () => {
    for (const { target, state, own } of unpublished.values()) {
      try {
        publishGauges(target, state, own);
      } catch (err) {
        onError?.(target.name, err);
      }
    }
    unpublished.clear();
  };

  const gauges = new Map<string, Gauge>();
  for (const spec of [...MYSQLD_EXPORTER_GAUGES, ...CHECKER_GAUGES, ...PROBE_GAUGES, ...LAG_GAUGES, ...FENCE_GAUGES, ...PEER_GAUGES]) gauges.set(spec.name, gaugeFor(spec, base, registry, collect));
  const gaugeSet: ReadonlySet<RemovableMetric> = new Set(gauges.values());

  const checks = new Counter({ name: 'check_mysql_checks_total', help: 'Checks run, by raw result (before hysteresis).', labelNames: [...base, 'result'], registers, collect });
  const failures = new Counter({
    name: 'check_mysql_failures_total',
    help: 'Reasons given by unhealthy checks, by reason code (one check can give several).',
    labelNames: [...base, 'reason'],
    registers,
    collect,
  });
  const transitions = new Counter({ name: 'check_mysql_transitions_total', help: 'Changes of the verdict after rise/fall hysteresis.', labelNames: base, registers, collect });
  const duration = new Histogram({
    name: 'check_mysql_check_duration_seconds',
    help: 'Wall time of one check: connect, queries and quit.',
    labelNames: base,
    buckets: CHECK_DURATION_BUCKETS,
    registers,
    collect,
  });

  const book = new SeriesBook();
  const seenTransitions = new Map<string, number>();
  const seenCheckAt = new Map<string, number | undefined>();
  const counted = new Map<string, CountedLabels>();

  /** The target's own labels, made again only when its configured labels change (a reload). */
  function labelsOf(target: TargetMeta): CountedLabels {
    const known = counted.get(target.name);
    if (known && known.from === target.labels) return known;
    const own: Record<string, string> = { target: target.name };
    for (const name of extras) own[name] = target.labels[name] ?? '';
    const key = JSON.stringify(own);
    if (known && known.key === key) {
      known.from = target.labels;
      return known;
    }
    return { from: target.labels, key, own, healthy: { ...own, result: 'healthy' }, unhealthy: { ...own, result: 'unhealthy' }, reasons: new Map(), noted: false };
  }

  function publishGauges(target: TargetMeta, state: TargetState, own: LabelValues): void {
    const report = state.lastReport;
    const samples = [...(report ? [...mysqldExporterSamples(report.facts), ...probeSamples(report.facts), ...lagSamples(report.facts), ...fenceSamples(report), ...peerSamples(report)] : []), ...checkerSamples(state, target.vip)];
    const current = new Set<string>();
    for (const s of samples) {
      const gauge = gauges.get(s.name)!;
      const labels = { ...own, ...s.labels };
      gauge.set(labels, s.value);
      current.add(book.note(target.name, gauge, labels));
    }
    book.sweep(target.name, gaugeSet, current);
  }

  function countCheck(target: TargetMeta, report: CheckReport, labels: CountedLabels): void {
    // Both results start at 0, so rate() and increase() see the first failure.
    const healthy = report.verdict.healthy;
    checks.inc(labels.healthy, healthy ? 1 : 0);
    checks.inc(labels.unhealthy, healthy ? 0 : 1);
    duration.observe(labels.own, report.elapsedMs / 1000);
    if (!labels.noted) {
      book.note(target.name, checks, labels.healthy);
      book.note(target.name, checks, labels.unhealthy);
      book.note(target.name, duration, labels.own);
      labels.noted = true;
    }
    for (const reason of report.verdict.reasons) {
      let reasonLabels = labels.reasons.get(reason.code);
      if (!reasonLabels) {
        labels.reasons.set(reason.code, (reasonLabels = { ...labels.own, reason: reason.code }));
        book.note(target.name, failures, reasonLabels);
      }
      failures.inc(reasonLabels);
    }
  }

  function countTransitions(target: TargetMeta, state: TargetState, own: LabelValues): void {
    // The state carries a running total; a smaller one means the daemon started the target afresh.
    const before = seenTransitions.get(target.name);
    const delta = state.transitions >= (before ?? 0) ? state.transitions - (before ?? 0) : state.transitions;
    // Its series exists from the first record on, at 0.
    if (delta > 0 || before === undefined) {
      transitions.inc(own, delta);
      book.note(target.name, transitions, own);
    }
    seenTransitions.set(target.name, state.transitions);
  }

  /** Recording the same state again (e.g. to fill a fresh registry after a reload) is not another check. */
  function isNewCheck(target: TargetMeta, state: TargetState): boolean {
    const seen = seenCheckAt.has(target.name) && seenCheckAt.get(target.name) === state.lastCheckAt;
    seenCheckAt.set(target.name, state.lastCheckAt);
    return !seen;
  }

  function forget(targetName: string): void {
    unpublished.delete(targetName);
    book.forget(targetName);
    seenTransitions.delete(targetName);
    seenCheckAt.delete(targetName);
  }

  return {
    record(target, state) {
      const labels = labelsOf(target);
      const was = counted.get(target.name);
      // A reload that changed a target's label values: its old series would otherwise linger.
      if (was && was.key !== labels.key) forget(target.name);
      if (was !== labels) counted.set(target.name, labels);
      unpublished.set(target.name, { target, state, own: labels.own });
      if (state.lastReport && isNewCheck(target, state)) countCheck(target, state.lastReport, labels);
      countTransitions(target, state, labels.own);
    },
    remove(targetName) {
      forget(targetName);
      counted.delete(targetName);
    },
  };
}

/** A target's label objects for its counters, made once (prom-client keeps the objects it is given). */
interface CountedLabels {
  /** The configured labels they were made from (compared by identity: the config is frozen). */
  from: Readonly<Record<string, string>>;
  readonly key: string;
  readonly own: LabelValues;
  readonly healthy: LabelValues;
  readonly unhealthy: LabelValues;
  readonly reasons: Map<string, LabelValues>;
  /** Whether the series book has its check counters and histogram (its reasons are noted as they come). */
  noted: boolean;
}

function gaugeFor(spec: GaugeSpec, base: readonly string[], registry: Registry, collect: () => void): Gauge {
  return new Gauge({ name: spec.name, help: spec.help, labelNames: [...base, ...spec.labelNames], registers: [registry], collect });
}
