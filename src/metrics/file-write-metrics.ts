/**
 * Whether the daemon could write each target's track and status file. Apart from the check
 * metrics on purpose: a verdict keepalived cannot read is a fault of this host, not of the
 * server checked, and it is set by the file writes rather than by a check's report.
 */
import { Gauge, type Registry } from 'prom-client';
import type { TargetMeta } from './daemon-metrics.js';

export interface FileWriteMetrics {
  set(target: TargetMeta, kind: 'track' | 'status', ok: boolean): void;
}

export function createFileWriteMetrics(registry: Registry, extraLabelNames: readonly string[]): FileWriteMetrics {
  const extras = [...new Set(extraLabelNames)];
  const gauge = new Gauge({
    name: 'check_mysql_file_write_ok',
    help: "Whether the last write of the target's track or status file succeeded (1) or failed (0).",
    labelNames: ['target', ...extras, 'kind'],
    registers: [registry],
  });
  return {
    set(target, kind, ok) {
      const labels: Record<string, string> = { target: target.name, kind };
      for (const name of extras) labels[name] = target.labels[name] ?? '';
      gauge.set(labels, ok ? 1 : 0);
    },
  };
}
