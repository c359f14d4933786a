/**
 * Which names a target's extra labels may take. The daemon config checks them when it reads a
 * file and the metrics when they are built; this module loads no prom-client, so the config
 * pays nothing for asking.
 */
import { CHECKER_GAUGES } from './checker-gauges.js';
import { MYSQLD_EXPORTER_GAUGES } from './mysqld-exporter-gauges.js';
import { PROBE_GAUGES } from './probe-gauges.js';
import { FENCE_GAUGES } from './fence-gauges.js';
import { LAG_GAUGES } from './lag-gauges.js';
import { PEER_GAUGES } from './peer-gauges.js';

/**
 * Label names our metrics use themselves, or Prometheus sets or reserves (a target label named
 * `instance` would be renamed exported_instance at scrape time and break `on (instance)` joins).
 */
export const RESERVED_LABEL_NAMES: ReadonlySet<string> = new Set(
  ['target', 'instance', 'job', 'result', 'reason', 'kind', 'le', 'quantile', ...[...MYSQLD_EXPORTER_GAUGES, ...CHECKER_GAUGES, ...PROBE_GAUGES, ...LAG_GAUGES, ...FENCE_GAUGES, ...PEER_GAUGES].flatMap((g) => g.labelNames)],
);

/** Prometheus' label-name syntax; names starting with `__` are reserved for its internal use. */
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

export const isUsableLabelName = (name: string): boolean => LABEL_NAME.test(name) && !name.startsWith('__') && !RESERVED_LABEL_NAMES.has(name);
