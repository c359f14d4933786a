import type { CheckReport } from '../check.js';
import { render } from '../verdict/finding.js';

/**
 * keepalived sends a vrrp_script's stdout and stderr to /dev/null, so a failed check must also
 * leave its reason where an operator looks: syslog/journal (via logger(1)) and/or --log-file.
 */
export interface LogSinks {
  appendFile(path: string, text: string): void;
  /** Sends one line to syslog with tag check-mysql; resolves once handed over. */
  syslog(line: string): Promise<void>;
}

export interface LogTargets {
  readonly logFile?: string;
  readonly syslog: boolean;
}

export async function logUnhealthy(report: CheckReport, targets: LogTargets, sinks: LogSinks): Promise<void> {
  if (!targets.logFile && !targets.syslog) return;
  // pino costs ~20 ms to load; only failing runs pay for it. (require, not import(): the bundle
  // runs in a vm.Script, which has no dynamic-import hook.)
  const { pino } = require('pino') as typeof import('pino');
  let line = '';
  const logger = pino(
    { base: { name: 'check-mysql' }, timestamp: pino.stdTimeFunctions.isoTime, formatters: { level: (label) => ({ level: label }) } },
    { write: (s: string) => void (line += s) },
  );
  const { verdict, facts } = report;
  logger.warn(
    { target: facts.target, role: verdict.role, reasons: verdict.reasons.map(render), warnings: verdict.warnings.map(render), elapsedMs: Math.round(report.elapsedMs) },
    `unhealthy: ${verdict.reasons.map(render).join('; ')}`,
  );
  if (targets.logFile) sinks.appendFile(targets.logFile, line);
  if (targets.syslog) await sinks.syslog(line.trimEnd());
}
