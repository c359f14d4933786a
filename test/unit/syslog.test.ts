import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { syslogSink, type LoggerProcess, type SyslogHost } from '../../src/log/syslog.js';

const LINE = '{"level":"warn","msg":"unhealthy: access denied for user check"}';

/** A logger(1) that records its argv and stdin and ends as told: exit code, or a spawn error. */
function fakeHost(opts: { socket?: boolean; exit?: number; spawnError?: string } = {}) {
  const spawned: { args: readonly string[]; stdin: string }[] = [];
  const warnings: string[] = [];
  const host: SyslogHost = {
    hasSocket: () => opts.socket ?? true,
    warn: (text) => void warnings.push(text),
    spawnLogger(args) {
      const run = { args, stdin: '' };
      spawned.push(run);
      const child = Object.assign(new EventEmitter(), {
        stdin: Object.assign(new EventEmitter(), { end: (text: string) => void (run.stdin += text) }),
        kill: () => true,
      });
      setImmediate(() => (opts.spawnError ? child.emit('error', Object.assign(new Error('spawn logger'), { code: opts.spawnError })) : child.emit('exit', opts.exit ?? 0)));
      return child as unknown as LoggerProcess;
    },
  };
  return { host, spawned, warnings };
}

describe('syslog through logger(1)', () => {
  it('hands the line to logger on stdin, never in its argv (which ps shows to every user)', async () => {
    const { host, spawned, warnings } = fakeHost();
    await syslogSink(host)(LINE, 'warning');
    expect(spawned).toEqual([{ args: ['-t', 'check-mysql', '-p', 'daemon.warning'], stdin: `${LINE}\n` }]);
    expect(warnings).toEqual([]);
  });

  it('without a syslog socket, says so once instead of dropping lines silently', async () => {
    const { host, spawned, warnings } = fakeHost({ socket: false });
    const syslog = syslogSink(host);
    await syslog(LINE, 'warning');
    await syslog(LINE, 'err');
    expect(spawned).toEqual([]);
    expect(warnings).toEqual(['syslog gets no log lines: there is no syslog socket at /dev/log; use --log-file']);
  });

  it.each([
    ['logger is not installed', { spawnError: 'ENOENT' }, 'syslog gets no log lines: cannot run logger: ENOENT; use --log-file'],
    ['logger fails', { exit: 1 }, 'syslog gets no log lines: logger exited with 1; use --log-file'],
  ])('when %s, says so once', async (_name, opts, warning) => {
    const { host, warnings } = fakeHost(opts);
    const syslog = syslogSink(host);
    await syslog(LINE, 'info');
    await syslog(LINE, 'info');
    expect(warnings).toEqual([warning]);
  });
});
