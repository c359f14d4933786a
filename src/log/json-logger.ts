import type { DestinationStream, Logger, pino as Pino } from 'pino';

/**
 * The one shape of check-mysql's JSON log lines, for the daemon's stdout and a notify or check
 * run's file and syslog alike: `name`, an ISO `time` and the level as a word, so one query reads
 * them all. pino comes from the caller: the one-shot loads it only when it logs.
 */
export function createJsonLogger(pino: typeof Pino, destination: DestinationStream): Logger {
  return pino({ base: { name: 'check-mysql' }, timestamp: pino.stdTimeFunctions.isoTime, formatters: { level: (label) => ({ level: label }) } }, destination);
}
