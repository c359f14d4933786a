import { describe, expect, it } from 'vitest';
import { check } from '../../src/commands/check.js';
import type { Command } from '../../src/commands/command.js';
import { daemon } from '../../src/commands/daemon.js';
import { lintKeepalived } from '../../src/commands/lint-keepalived.js';
import { maintenance } from '../../src/commands/maintenance.js';
import { notify } from '../../src/commands/notify.js';
import { switchover } from '../../src/commands/switchover.js';
import { runCommand } from '../../src/commands/run-command.js';
import { COMMAND_TABLE } from '../../src/commands/table.js';
import { OPTIONS, takes } from '../../src/cli/options.js';

const COMMANDS: readonly Command<never>[] = [check, daemon, notify, switchover, maintenance, lintKeepalived];

/** Runs a command with deps that fail loudly if touched: help, version and usage errors need none. */
async function run(command: Command<never>, argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const deps = new Proxy({}, { get: (_t, key) => { throw new Error(`deps.${String(key)} used`); } }) as never;
  const code = await runCommand(command, argv, {}, { stdout: (t) => void out.push(t), stderr: (t) => void err.push(t), hideArgv: () => undefined }, deps);
  return { code, stdout: out.join(''), stderr: err.join('') };
}

// An option's own line: two spaces, then `-h, ` or four more spaces; a wrapped description may start with `--x` too.
const optionNamesIn = (help: string): string[] => [...help.matchAll(/^ {2}(?:-\w, | {4})?--([\w-]+)/gm)].map((m) => m[1]!);

describe('the command table', () => {
  it('has one command object per table row, in the same order, with the same name and summary', () => {
    expect(COMMANDS.map((c) => [c.name, c.summary])).toEqual(COMMAND_TABLE.map((c) => [c.name, c.summary]));
  });

  it('gives every option in the option table to at least one command', () => {
    for (const o of OPTIONS) expect(COMMAND_TABLE.some((c) => takes(o, c.name)), `--${o.name}`).toBe(true);
  });

  it('check-mysql --help lists every command with its summary', async () => {
    const help = (await run(check, ['--help'])).stdout;
    for (const c of COMMAND_TABLE) expect(help).toMatch(new RegExp(`^  ${c.name} +${c.summary.replace(/[()]/g, '\\$&')}$`, 'm'));
  });

  it.each(COMMANDS.map((c) => [c.name, c] as const))('%s --help shows exactly the options it takes, and exits 0', async (_name, command) => {
    const r = await run(command, ['--help']);
    expect(r).toMatchObject({ code: 0, stderr: '' });
    expect(r.stdout).toMatch(new RegExp(`^Usage: ${command.usage.replace(/[[\]()]/g, '\\$&')}\n`));
    expect(optionNamesIn(r.stdout).sort()).toEqual(OPTIONS.filter((o) => takes(o, command.name)).map((o) => o.name).sort());
  });

  it('notify --help does not offer the verdict options that do not apply to it', async () => {
    const names = optionNamesIn((await run(notify, ['--help'])).stdout);
    expect(names).not.toContain('max-lag');
    expect(names).not.toContain('on-saturated');
    expect((await run(notify, ['--help'])).stdout).toMatch(/--timeout .*\[default: 5\]/s);
  });

  it.each(COMMANDS.map((c) => [c.name, c] as const))('%s --version prints the version', async (_name, command) => {
    expect(await run(command, ['--version'])).toEqual({ code: 0, stdout: expect.stringMatching(/^check-mysql \d+\.\d+\.\d+\n$/), stderr: '' });
  });
});

describe('usage errors are one line and exit 2, the same for every command', () => {
  it.each([
    ['check', check, ['--interval', '3'], "check-mysql: --interval is only for 'check-mysql daemon'\n"],
    ['check', check, ['--frobnicate'], 'check-mysql: unknown option --frobnicate; usage: check-mysql [check] [options]\n'],
    ['check', check, ['status'], "check-mysql: unexpected argument 'status'\n"],
    ['daemon', daemon, ['--catchup-timeout', '3'], "check-mysql daemon: --catchup-timeout is only for 'check-mysql notify' and 'check-mysql switchover'\n"],
    ['daemon', daemon, ['extra'], "check-mysql daemon: unexpected argument 'extra'\n"],
    ['notify', notify, ['--max-lag', '3', 'INSTANCE', 'VI_1', 'MASTER'], "check-mysql notify: --max-lag is only for the one-shot check, 'check-mysql daemon' and 'check-mysql switchover'\n"],
    ['notify', notify, ['INSTANCE'], "check-mysql notify: expected keepalived's TYPE NAME STATE [PRIORITY] after the options, got 1 word(s)\n"],
    // Before anything is read or touched (these deps throw if used): out of order, a MASTER run
    // without --vip could not tell it is stale, and alternating runs ended writable (issue 9).
    ['notify', notify, ['-h', 'db1', 'INSTANCE', 'VI_1', 'MASTER', '100'], 'check-mysql notify: MASTER without --vip: not promoting, since keepalived may run notifications out of order and only the VIP tells a current one from a stale one (add --vip ADDRESS to the notify line)\n'],
    ['lint-keepalived', lintKeepalived, ['--host', 'x', 'a.conf'], "check-mysql lint-keepalived: --host is only for the one-shot check, 'check-mysql daemon', 'check-mysql notify' and 'check-mysql switchover'\n"],
    // Before anything is read or touched (these deps throw if used).
    ['switchover', switchover, ['--vip', '192.0.2.100', '--maintenance-file', '/run/m'], 'check-mysql switchover: switchover needs --peer; usage: check-mysql switchover --peer HOST[:PORT] --maintenance-file PATH --vip ADDR [options]\n'],
    ['switchover', switchover, ['--peer', 'db2:99999', '--vip', '192.0.2.100', '--maintenance-file', '/run/m'], "check-mysql switchover: invalid --peer port '99999': expected a whole number from 1 to 65535\n"],
    ['switchover', switchover, ['--peer', 'db2', '--vip', '192.0.2.100', '--maintenance-file', '/run/m', 'now'], "check-mysql switchover: unexpected argument 'now'\n"],
    ['switchover', switchover, ['--peer', 'db2', '--vip', '192.0.2.100', '--maintenance-file', '/run/m', '--interval', '1'], "check-mysql switchover: --interval is only for 'check-mysql daemon'\n"],
    ['lint-keepalived', lintKeepalived, ['--format', 'json', 'a.conf'], "check-mysql lint-keepalived: --format is only for the one-shot check\n"],
  ])('%s %j', async (_name, command, argv, line) => {
    expect(await run(command as Command<never>, argv as string[])).toEqual({ code: 2, stdout: '', stderr: line });
  });
});

describe('dispatch: the first word picks the command, and the table picks its bundle', () => {
  async function dispatched(argv: string[]) {
    const { dispatch } = await import('../../src/entries/check-mysql.js');
    const loads: { bundle: string; name: string; argv: readonly string[] }[] = [];
    const err: string[] = [];
    const events: string[] = [];
    const edge = {
      stdout: () => undefined,
      stderr: (t: string) => void err.push(t),
      hideArgv: () => void events.push('hideArgv'),
      pid: 1,
      logDestination: { write: () => true },
      onSignal: () => undefined,
      load: (bundle: string) => {
        events.push(`load ${bundle}`);
        return { runNamed: async (name: string, words: readonly string[]) => (loads.push({ bundle, name, argv: words }), 0) };
      },
    };
    const code = await dispatch(argv, {}, edge);
    return { code, loads, stderr: err.join(''), events };
  }

  it.each([
    [['daemon', '--config', 'x.cnf'], { bundle: 'daemon', name: 'daemon', argv: ['--config', 'x.cnf'] }],
    [['lint-keepalived', 'k.conf'], { bundle: 'tools', name: 'lint-keepalived', argv: ['k.conf'] }],
  ])('%j goes to its own bundle with the words after the command', async (argv, load) => {
    expect(await dispatched(argv)).toMatchObject({ code: 0, loads: [load], stderr: '' });
  });

  it.each([['--password=s3cret'], ['-ps3cret']])('a password on the command line (%s) leaves ps before the daemon bundle loads', async (password) => {
    expect((await dispatched(['daemon', '--no-defaults', password])).events).toEqual(['hideArgv', 'load daemon']);
  });

  it('a first word that is not a command is the check\'s, and the check takes no words', async () => {
    expect(await dispatched(['status'])).toMatchObject({ code: 2, loads: [], stderr: "check-mysql: unexpected argument 'status'\n" });
  });

  it('notify runs in the one-shot bundle (no second bundle to load at failover time)', async () => {
    expect(await dispatched(['notify', 'INSTANCE'])).toMatchObject({ code: 2, loads: [] });
  });
});
