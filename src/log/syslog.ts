import type { LogSinks } from './event-log.js';

export const SYSLOG_SOCKET = '/dev/log';
/** logger(1) hands a line over in a few ms; a hung one must not hold a check or notify run. */
const HANDOVER_MS = 1000;

/** The one child process syslog needs: logger(1), reading the line on stdin. */
export interface LoggerProcess {
  readonly stdin: { end(text: string): unknown; on(event: 'error', listener: () => void): unknown } | null;
  once(event: 'exit', listener: (code: number | null) => void): unknown;
  once(event: 'error', listener: (err: Error) => void): unknown;
  kill(signal: 'SIGKILL'): unknown;
}

/** What sending to syslog needs from the host, injected so a test sees logger's argv and stdin. */
export interface SyslogHost {
  spawnLogger(args: readonly string[]): LoggerProcess;
  /** Whether the syslog socket (journald's or rsyslog's) is there to take lines. */
  hasSocket(): boolean;
  /** For the one line that says syslog is not getting our lines. */
  warn(text: string): void;
}

/**
 * Sends log lines to syslog through logger(1), the line on its stdin: in its argv, every local
 * user could read it in ps. Lines that cannot go anywhere are said so once, not dropped silently.
 */
export function syslogSink(host: SyslogHost): LogSinks['syslog'] {
  let warned = false;
  const warnOnce = (why: string) => {
    if (!warned) host.warn(`syslog gets no log lines: ${why}; use --log-file`);
    warned = true;
  };
  return (line, priority) => {
    if (!host.hasSocket()) {
      warnOnce(`there is no syslog socket at ${SYSLOG_SOCKET}`);
      return Promise.resolve();
    }
    return new Promise<void>((resolve) => {
      const child = host.spawnLogger(['-t', 'check-mysql', '-p', `daemon.${priority}`]);
      const timer = setTimeout(() => child.kill('SIGKILL'), HANDOVER_MS);
      const done = (why?: string) => {
        clearTimeout(timer);
        if (why) warnOnce(why);
        resolve();
      };
      child.once('error', (err) => done(`cannot run logger: ${(err as NodeJS.ErrnoException).code ?? err.message}`));
      child.once('exit', (code) => done(code === 0 ? undefined : `logger exited with ${code ?? 'a signal'}`));
      child.stdin?.on('error', () => undefined); // EPIPE when logger is gone: 'exit' or 'error' reports it
      child.stdin?.end(`${line}\n`);
    });
  };
}
