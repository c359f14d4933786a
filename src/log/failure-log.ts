import type { CheckReport } from '../types/facts.js';
import { render } from '../types/finding.js';
import { logEvent, type LogSinks, type LogTargets } from './event-log.js';

/** One line per unhealthy one-shot result: keepalived throws the script's output away. */
export function logUnhealthy(report: CheckReport, targets: LogTargets, sinks: LogSinks): Promise<void> {
  const { verdict, facts } = report;
  const reasons = verdict.reasons.map(render);
  return logEvent(
    'warn',
    { target: facts.target, role: verdict.role, reasons, warnings: verdict.warnings.map(render), elapsedMs: Math.round(report.elapsedMs) },
    `unhealthy: ${reasons.join('; ')}`,
    targets,
    sinks,
  );
}
