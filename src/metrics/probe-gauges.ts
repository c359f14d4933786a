/**
 * Per-probe success and duration of the last check, as mysqld_exporter's
 * mysql_exporter_collector_success / _duration_seconds and blackbox_exporter's probe_success /
 * probe_duration_seconds: a probe that fails lowers its own series instead of hiding the others.
 */
import type { Facts } from '../types/facts.js';
import { probeRuns } from '../probes/registry.js';
import { bit, type GaugeSample, type GaugeSpec } from './gauge-sample.js';

export const PROBE_GAUGES: readonly GaugeSpec[] = [
  {
    name: 'check_mysql_probe_success',
    help: 'Whether the probe succeeded in the last check: 1 yes, 0 no; absent when it did not run (no connection, or it did not apply).',
    labelNames: ['probe'],
  },
  {
    name: 'check_mysql_probe_duration_seconds',
    help: 'Time the probe took in the last check. Probes sent in the daemon\'s one round trip each report that whole round trip\'s time.',
    labelNames: ['probe'],
  },
];

export function probeSamples(facts: Facts): GaugeSample[] {
  return probeRuns(facts).flatMap(({ name, result }) => [
    { name: 'check_mysql_probe_success', labels: { probe: name }, value: bit(result.ok) },
    { name: 'check_mysql_probe_duration_seconds', labels: { probe: name }, value: result.elapsedMs / 1000 },
  ]);
}
