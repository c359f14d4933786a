/**
 * Secrets against a local unprivileged user, with the real CLI: a password given on the daemon's
 * command line leaves /proc/PID/cmdline (which every user can read) at once and is warned about,
 * and a check whose log lines cannot reach syslog says so instead of dropping them.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeRun, runCheck } from '../helpers/clients/cli.js';
import { DaemonProcess, now } from '../helpers/clients/daemon.js';
import { freePort } from '../helpers/ports.js';
import { makeTempDir, removeTempDir } from '../helpers/temp-dir.js';

const SECRET = 'MySecretPassw0rd-argv';
/** Measured 30 to 45 ms (Node's own start); the bound leaves room for a busy 2-core machine. */
const HIDDEN_WITHIN_MS = 500;

let dir = '';
beforeAll(async () => {
  dir = await makeTempDir();
});
afterAll(() => removeTempDir(dir));

const cmdline = (pid: number): string | undefined => {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8');
  } catch {
    return undefined;
  }
};

/** Polls /proc/PID/cmdline every ms from the spawn on; resolves with the ms until the secret left it. */
function watchCmdline(secret: string): { onSpawn: (pid: number) => void; hiddenAfter: Promise<number> } {
  let resolve!: (ms: number) => void;
  const hiddenAfter = new Promise<number>((r) => (resolve = r));
  const onSpawn = (pid: number) => {
    const t0 = now();
    let seen = false;
    const poll = () => {
      const text = cmdline(pid) ?? '';
      // Before exec, the forked child still shows the test runner's command line.
      if (text.includes(secret)) seen = true;
      else if (seen || text.startsWith('check-mysql')) return resolve(now() - t0);
      if (now() - t0 > 10_000) return resolve(Infinity);
      setTimeout(poll, 1);
    };
    poll();
  };
  return { onSpawn, hiddenAfter };
}

describe('a password on the daemon command line', () => {
  let daemon: DaemonProcess | undefined;
  afterAll(() => daemon?.kill());

  it('leaves /proc/PID/cmdline within a few tens of ms and is warned about in the log and on stderr', async () => {
    const watch = watchCmdline(SECRET);
    const args = ['--host', '127.0.0.1', '--port', '1', `--password=${SECRET}`, '--listen', `127.0.0.1:${await freePort()}`, '--track-file', join(dir, 'db.track')];
    daemon = await DaemonProcess.start({ args, marker: dir, onSpawn: watch.onSpawn });
    const ms = await watch.hiddenAfter;
    console.log(`password left /proc/${daemon.pid}/cmdline ${ms.toFixed(1)} ms after spawn`);
    expect(ms, daemon.describe()).toBeLessThan(HIDDEN_WITHIN_MS);
    expect(cmdline(daemon.pid)).not.toContain(SECRET);

    const warning = 'warning: a password on the command line is visible to other users (ps); use MYSQL_PWD or an option file';
    const logged = await daemon.waitForLog('the warning', (l) => l.level === 'warn' && l.msg === warning);
    expect(logged.config).toBe('the command line');
    expect(daemon.otherOutput).toContain(`check-mysql daemon: ${warning}\n`);
    expect(JSON.stringify(daemon.lines) + daemon.otherOutput).not.toContain(SECRET);
  });
});

describe('syslog', () => {
  it.skipIf(existsSync('/dev/log'))('without a syslog socket, a failing check says on stderr that its line goes nowhere', async () => {
    const run = await runCheck(['--no-defaults', '--protocol', 'tcp', '-h', '127.0.0.1', '-P', '1', '-u', 'check']);
    expect(run.code, describeRun(run)).toBe(1);
    expect(run.stderr, describeRun(run)).toBe('check-mysql: warning: syslog gets no log lines: there is no syslog socket at /dev/log; use --log-file\n');
  });
});
