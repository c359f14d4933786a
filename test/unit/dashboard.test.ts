// The shipped Grafana dashboard, read as Grafana imports it: one datasource variable that every
// panel uses, unique panel ids, and only series the daemon exports (or that a pending branch
// will). That each query returns data from real daemons is test/integration/dashboard.test.ts.
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { createDaemonMetrics } from '../../src/metrics/daemon-metrics.js';
import { createFileWriteMetrics } from '../../src/metrics/file-write-metrics.js';
import { allPanels, metricNames, panelQueries, PENDING_MERGE, readDashboard } from '../helpers/dashboard.js';

async function exportedNames(): Promise<Set<string>> {
  const registry = new Registry();
  createDaemonMetrics(registry, []);
  createFileWriteMetrics(registry, []);
  const names = (await registry.getMetricsAsJSON()).flatMap((m) => (m.type.toString() === 'histogram' ? [`${m.name}_bucket`, `${m.name}_sum`, `${m.name}_count`] : [m.name]));
  return new Set(names);
}

describe('the Grafana dashboard', () => {
  const dashboard = readDashboard();
  const panels = allPanels(dashboard);

  it('has a stable uid, unique panel ids, and a query in every panel but the rows', () => {
    expect(dashboard.uid).toBe('check-mysql-pair');
    const ids = panels.map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(panels.filter((p) => p.type !== 'row' && (p.targets ?? []).length === 0).map((p) => p.title)).toEqual([]);
  });

  it('every panel and query uses the Prometheus datasource the importer picks', () => {
    expect(dashboard.templating.list.find((v) => v.name === 'datasource')).toMatchObject({ type: 'datasource', query: 'prometheus' });
    for (const p of panels.filter((p) => p.type !== 'row')) {
      expect(p.datasource, p.title).toEqual({ type: 'prometheus', uid: '${datasource}' });
      for (const t of p.targets ?? []) expect(t.datasource?.uid, `${p.title} ${t.refId}`).toBe('${datasource}');
    }
  });

  it('every query filters by the target variable, so picking targets narrows every panel', () => {
    for (const q of panelQueries(dashboard)) expect(q.expr, q.panel).toContain('target=~"$target"');
  });

  it('uses only series the daemon exports, or that a branch pending merge adds', async () => {
    const exported = await exportedNames();
    const unknown = panelQueries(dashboard).flatMap((q) => metricNames(q.expr).filter((m) => !exported.has(m) && !(m in PENDING_MERGE)).map((m) => `${q.panel}: ${m}`));
    expect(unknown).toEqual([]);
  });

  it('shows what the issue asks for: VIP holder, read_only, lag per channel by both sources, health, transitions, maintenance, both writable, errant transactions, check durations', () => {
    const used = new Set(panelQueries(dashboard).flatMap((q) => metricNames(q.expr)));
    for (const m of ['check_mysql_vip_held', 'check_mysql_role', 'mysql_global_variables_read_only', 'check_mysql_replication_lag_seconds', 'check_mysql_healthy', 'check_mysql_transitions_total', 'check_mysql_maintenance', 'check_mysql_peer_writable', 'check_mysql_errant_transactions', 'check_mysql_check_duration_seconds_bucket']) {
      expect(used, m).toContain(m);
    }
    const lag = panelQueries(dashboard).filter((q) => q.expr.includes('check_mysql_replication_lag_seconds')).map((q) => /source="([a-z_]+)"/.exec(q.expr)?.[1]);
    expect(lag.sort()).toEqual(['heartbeat', 'seconds_behind']);
  });
});
