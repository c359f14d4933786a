import type { CheckReport } from '../types/facts.js';
import { render } from '../types/finding.js';

/** One line for a person at a terminal: verdict, role, target, then why. */
export function formatHuman(report: CheckReport): string {
  const { verdict, facts } = report;
  const head = `${verdict.healthy ? 'healthy' : 'UNHEALTHY'}: ${verdict.role} ${facts.target}`;
  const parts = [...verdict.reasons.map(render), ...verdict.warnings.map((w) => `warning ${render(w)}`)];
  if (parts.length === 0) parts.push(verdict.checks.map((c) => c.detail).join('; '));
  return `${head} - ${parts.join('; ')} (${Math.round(report.elapsedMs)} ms)`;
}
