/**
 * The daemon's Prometheus metrics for every checked target, on a registry the caller owns (so
 * tests get a fresh one and the HTTP layer decides how to serve it). No timers, no I/O: the daemon
 * calls record() after each check and remove() when a reload drops a target.
 */
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { CheckReport } from '../types/facts.js';
import type { TargetState } from '../types/target-state.js';
import { CHECKER_GAUGES, checkerSamples } from './checker-gauges.js';
import type { GaugeSpec, LabelValues } from './gauge-sample.js';
import { MYSQLD_EXPORTER_GAUGES, mysqldExporterSamples } from './mysqld-exporter-gauges.js';
import { PROBE_GAUGES, probeSamples } from './probe-gauges.js';
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

/** extraLabelNames: the union of configured per-target label keys (fixed for this registry's life). */
export function createDaemonMetrics(registry: Registry, extraLabelNames: readonly string[]): DaemonMetrics {
  const extras = [...new Set(extraLabelNames)];
  const bad = extras.filter((n) => !isUsableLabelName(n));
  if (bad.length > 0) throw new Error(`target label names not usable in metrics (invalid or reserved): ${bad.join(', ')}`);
  const base = ['target', ...extras];
  const registers = [registry];

  const gauges = new Map<string, Gauge>();
  for (const spec of [...MYSQLD_EXPORTER_GAUGES, ...CHECKER_GAUGES, ...PROBE_GAUGES, ...LAG_GAUGES, ...PEER_GAUGES]) gauges.set(spec.name, gaugeFor(spec, base, registry));
  const gaugeSet: ReadonlySet<RemovableMetric> = new Set(gauges.values());

  const checks = new Counter({ name: 'check_mysql_checks_total', help: 'Checks run, by raw result (before hysteresis).', labelNames: [...base, 'result'], registers });
  const failures = new Counter({
    name: 'check_mysql_failures_total',
    help: 'Reasons given by unhealthy checks, by reason code (one check can give several).',
    labelNames: [...base, 'reason'],
    registers,
  });
  const transitions = new Counter({ name: 'check_mysql_transitions_total', help: 'Changes of the verdict after rise/fall hysteresis.', labelNames: base, registers });
  const duration = new Histogram({
    name: 'check_mysql_check_duration_seconds',
    help: 'Wall time of one check: connect, queries and quit.',
    labelNames: base,
    buckets: CHECK_DURATION_BUCKETS,
    registers,
  });

  const book = new SeriesBook();
  const seenTransitions = new Map<string, number>();
  const seenCheckAt = new Map<string, number | undefined>();
  const seenBase = new Map<string, string>();

  function targetLabels(target: TargetMeta): LabelValues {
    const labels: Record<string, string> = { target: target.name };
    for (const name of extras) labels[name] = target.labels[name] ?? '';
    return labels;
  }

  function publishGauges(target: TargetMeta, state: TargetState, own: LabelValues): void {
    const report = state.lastReport;
    const samples = [...(report ? [...mysqldExporterSamples(report.facts), ...probeSamples(report.facts), ...lagSamples(report.facts), ...peerSamples(report)] : []), ...checkerSamples(state, target.vip)];
    const current = new Set<string>();
    for (const s of samples) {
      const gauge = gauges.get(s.name)!;
      const labels = { ...own, ...s.labels };
      gauge.set(labels, s.value);
      current.add(book.note(target.name, gauge, labels));
    }
    book.sweep(target.name, gaugeSet, current);
  }

  function countCheck(target: TargetMeta, report: CheckReport, own: LabelValues): void {
    // Both results start at 0, so rate() and increase() see the first failure.
    for (const result of ['healthy', 'unhealthy']) {
      const labels = { ...own, result };
      checks.inc(labels, result === (report.verdict.healthy ? 'healthy' : 'unhealthy') ? 1 : 0);
      book.note(target.name, checks, labels);
    }
    for (const reason of report.verdict.reasons) {
      const labels = { ...own, reason: reason.code };
      failures.inc(labels);
      book.note(target.name, failures, labels);
    }
    duration.observe(own, report.elapsedMs / 1000);
    book.note(target.name, duration, own);
  }

  function countTransitions(target: TargetMeta, state: TargetState, own: LabelValues): void {
    // The state carries a running total; a smaller one means the daemon started the target afresh.
    const before = seenTransitions.get(target.name) ?? 0;
    transitions.inc(own, state.transitions >= before ? state.transitions - before : state.transitions);
    book.note(target.name, transitions, own);
    seenTransitions.set(target.name, state.transitions);
  }

  /** Recording the same state again (e.g. to fill a fresh registry after a reload) is not another check. */
  function isNewCheck(target: TargetMeta, state: TargetState): boolean {
    const seen = seenCheckAt.has(target.name) && seenCheckAt.get(target.name) === state.lastCheckAt;
    seenCheckAt.set(target.name, state.lastCheckAt);
    return !seen;
  }

  function forget(targetName: string): void {
    book.forget(targetName);
    seenTransitions.delete(targetName);
    seenCheckAt.delete(targetName);
  }

  return {
    record(target, state) {
      const own = targetLabels(target);
      // A reload that changed a target's label values: its old series would otherwise linger.
      const ownKey = JSON.stringify(own);
      if (seenBase.has(target.name) && seenBase.get(target.name) !== ownKey) forget(target.name);
      seenBase.set(target.name, ownKey);
      publishGauges(target, state, own);
      if (state.lastReport && isNewCheck(target, state)) countCheck(target, state.lastReport, own);
      countTransitions(target, state, own);
    },
    remove(targetName) {
      forget(targetName);
      seenBase.delete(targetName);
    },
  };
}

function gaugeFor(spec: GaugeSpec, base: readonly string[], registry: Registry): Gauge {
  return new Gauge({ name: spec.name, help: spec.help, labelNames: [...base, ...spec.labelNames], registers: [registry] });
}
