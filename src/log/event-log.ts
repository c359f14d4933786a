import { createJsonLogger } from './json-logger.js';

/**
 * keepalived sends a script's stdout and stderr to /dev/null, so what a check or a notify run
 * decided must also go where an operator looks: syslog/journal (via logger(1)) and/or a file.
 * One pino JSON line per event.
 */
export interface LogSinks {
  appendFile(path: string, text: string): void;
  /** Sends one line to syslog with tag check-mysql; resolves once handed over. */
  syslog(line: string, priority: 'warning' | 'info' | 'err'): Promise<void>;
}

export interface LogTargets {
  readonly logFile?: string;
  readonly syslog: boolean;
}

export type EventLevel = 'info' | 'warn' | 'error';

const SYSLOG_PRIORITY = { info: 'info', warn: 'warning', error: 'err' } as const;

export async function logEvent(level: EventLevel, fields: Record<string, unknown>, msg: string, targets: LogTargets, sinks: LogSinks): Promise<void> {
  if (!targets.logFile && !targets.syslog) return;
  // pino costs ~20 ms to load; only runs that log pay for it. (require, not import(): the
  // one-shot bundle runs in a vm.Script, which has no dynamic-import hook.)
  const { pino } = require('pino') as typeof import('pino');
  let line = '';
  const logger = createJsonLogger(pino, { write: (s: string) => void (line += s) });
  logger[level](fields, msg);
  if (targets.logFile) sinks.appendFile(targets.logFile, line);
  if (targets.syslog) await sinks.syslog(line.trimEnd(), SYSLOG_PRIORITY[level]);
}
