// The shipped Grafana dashboard (deploy/grafana/check-mysql-dashboard.json) as the tests read it:
// every panel's query expressions, taken from the JSON itself, and turned into PromQL that
// Prometheus answers by filling in Grafana's variables.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from './repo.js';

export const DASHBOARD = join(REPO_ROOT, 'deploy', 'grafana', 'check-mysql-dashboard.json');

/**
 * Series the dashboard shows that come from a branch not merged yet: their panels are listed,
 * their queries must parse, and they must return nothing yet. Whoever merges that branch removes
 * the entry here (the dashboard test then fails until they do, since the series appear).
 */
export const PENDING_MERGE: Readonly<Record<string, string>> = {
  check_mysql_maintenance: "the maintenance branch (issue 12's --maintenance-file and its gauge)",
};

export interface PanelQuery {
  readonly panel: string;
  readonly refId: string;
  /** As written in the dashboard, with Grafana's variables. */
  readonly expr: string;
  /** The PENDING_MERGE series it uses, if any. */
  readonly pending?: string;
}

interface Panel {
  id: number;
  type: string;
  title: string;
  datasource?: { type: string; uid: string };
  targets?: { refId: string; expr: string; datasource?: { uid: string } }[];
  panels?: Panel[];
}

export interface Dashboard {
  uid: string;
  title: string;
  panels: Panel[];
  templating: { list: { name: string; type: string; query: unknown; definition?: string; allValue?: string }[] };
}

export function readDashboard(): Dashboard {
  return JSON.parse(readFileSync(DASHBOARD, 'utf8')) as Dashboard;
}

/** Every panel, rows' nested panels included. */
export function allPanels(d: Dashboard = readDashboard()): Panel[] {
  return d.panels.flatMap((p) => [p, ...(p.panels ?? [])]);
}

/** The metric names an expression uses (its identifiers that look like ours or mysqld_exporter's). */
export const metricNames = (expr: string): string[] => [...new Set(expr.match(/\b(?:check_mysql|mysql)_[a-z0-9_]+\b/g) ?? [])];

export function panelQueries(d: Dashboard = readDashboard()): PanelQuery[] {
  return allPanels(d).flatMap((p) =>
    (p.targets ?? []).map((t) => {
      const pending = metricNames(t.expr).find((m) => m in PENDING_MERGE);
      return { panel: p.title, refId: t.refId, expr: t.expr, ...(pending && { pending }) };
    }),
  );
}

/**
 * Grafana's variables as a user who picked "All" gets them: $target is the dashboard's allValue,
 * $__rate_interval Grafana's floor of four scrape intervals, widened to 1m so the few seconds a
 * test has hold enough samples for rate().
 */
export function asPromql(expr: string): string {
  return expr.replaceAll('$__rate_interval', '1m').replaceAll('$target', '.*');
}
