/** `check-mysql maintenance` over real files in a temp dir, with the clock, host and user injected. */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { forHowLong, maintenance, type MaintenanceCommandDeps } from '../../src/commands/maintenance.js';
import { runCommand } from '../../src/commands/run-command.js';
import { nodeMaintenanceFs } from '../../src/edge/node-maintenance-fs.js';
import { realFiles } from '../helpers/option-files.js';
import { dirPerCase } from '../helpers/dir-per-case.js';

const dirs = dirPerCase();
const fresh = (): string => join(dirs.fresh(), 'maintenance');

const T0 = Date.parse('2026-12-01T18:00:00.000Z');

async function run(args: string[], { now = T0, env = {} as Record<string, string> } = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const deps: MaintenanceCommandDeps = { maintenanceFs: nodeMaintenanceFs, fs: realFiles, loginName: () => 'root', hostname: () => 'db-a', wallClock: () => now };
  const code = await runCommand(maintenance, args, env, { stdout: (t) => void out.push(t), stderr: (t) => void err.push(t), hideArgv: () => undefined }, deps);
  return { code, out: out.join(''), err: err.join('') };
}

describe('check-mysql maintenance', () => {
  it('on records the reason, the time and the person behind sudo; on again keeps the time', async () => {
    const path = fresh();
    expect(await run(['on', '--maintenance-file', path, '--reason', 'kernel patch'], { env: { SUDO_USER: 'alice' } })).toEqual({
      code: 0, out: `maintenance on (${path}): reason: kernel patch; since 2026-12-01T18:00:00.000Z, by alice@db-a\n`, err: '',
    });
    expect(JSON.parse(readFileSync(path, 'utf8'))).toEqual({ reason: 'kernel patch', since: '2026-12-01T18:00:00.000Z', by: 'alice@db-a' });
    const again = await run(['on', '--maintenance-file', path], { now: T0 + 3_723_000 });
    expect(again.out).toBe(`maintenance already on (${path}), unchanged: reason: kernel patch; since 2026-12-01T18:00:00.000Z (for 1h 2m), by alice@db-a\n`);
    const reason = await run(['on', '--maintenance-file', path, '--reason', 'kernel patch and reboot'], { now: T0 + 60_000 });
    expect(reason.out).toBe(`maintenance already on (${path}); reason updated to: kernel patch and reboot; since 2026-12-01T18:00:00.000Z (for 1m 0s), by alice@db-a\n`);
    expect(JSON.parse(readFileSync(path, 'utf8'))).toEqual({ reason: 'kernel patch and reboot', since: '2026-12-01T18:00:00.000Z', by: 'alice@db-a' });
  });

  it('on replaces a file that cannot be read, saying so; the login name without sudo', async () => {
    const path = fresh();
    writeFileSync(path, 'junk');
    const r = await run(['on', '--maintenance-file', path]);
    expect(r.out).toBe(`maintenance on (${path}): replaced a file that could not be read (it is not JSON ({"reason","since","by"})); reason: maintenance; since 2026-12-01T18:00:00.000Z, by root@db-a\n`);
  });

  it('status: 0 and the details when on, 1 when off; a broken file is on', async () => {
    const path = fresh();
    expect(await run(['status', '--maintenance-file', path])).toEqual({ code: 1, out: `off (${path} does not exist)\n`, err: '' });
    writeFileSync(path, '');
    expect(await run(['status', '--maintenance-file', path])).toEqual({ code: 0, out: `on (${path}): the file is there but cannot be read (it is not JSON ({"reason","since","by"})); it counts as maintenance\n`, err: '' });
  });

  it('off says what it ended, and is idempotent', async () => {
    const path = fresh();
    await run(['on', '--maintenance-file', path, '--reason', 'disk swap']);
    expect((await run(['off', '--maintenance-file', path], { now: T0 + 45_000 })).out).toBe(`maintenance off (${path} removed); it was on: reason: disk swap; since 2026-12-01T18:00:00.000Z (for 45s), by root@db-a\n`);
    expect(await run(['off', '--maintenance-file', path])).toEqual({ code: 0, out: `maintenance was already off (${path} does not exist)\n`, err: '' });
  });

  it.each([
    [['on', '--maintenance-file', 'X', '--config', 'Y'], 'give --maintenance-file or --config, not both'],
    [['on', '--maintenance-file', 'X', '--target', 'db1'], '--target goes with --config'],
    [['on', '--maintenance-file', 'X', '--reason', ' '], '--reason needs a text'],
    [['on', 'off', '--maintenance-file', 'X'], 'expected one action (on, off or status), got 2: on off'],
    [['--maintenance-file', 'X'], 'no action (on, off or status) given; usage: check-mysql maintenance on|off|status (--maintenance-file PATH | --config FILE [--target NAME]) [--reason TEXT]'],
  ])('refuses %j with one line and exit 2', async (args, message) => {
    const path = fresh();
    const r = await run(args.map((a) => (a === 'X' ? path : a)));
    expect(r).toEqual({ code: 2, out: '', err: `check-mysql maintenance: ${message}\n` });
  });

  it.each([
    [0, '0s'], [59_999, '59s'], [60_000, '1m 0s'], [3_600_000, '1h 0m'], [90_061_000, '1d 1h'], [-5, '0s'],
  ])('forHowLong(%d) is %s', (ms, text) => {
    expect(forHowLong(ms)).toBe(text);
  });
});
