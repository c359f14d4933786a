/**
 * Files that are not config files, named where a config file goes: /dev/zero (which grew a check
 * to 6.5 GB), a FIFO (which hung the check, notify and the daemon for ever), a 2 MiB file and a
 * directory. Through the real CLI, each must end at once with exit 2 and one line saying why.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeRun, runCheck } from '../helpers/clients/cli.js';
import { makeTempDir, removeTempDir } from '../helpers/temp-dir.js';

/** Far below the 5 s after which a hung CLI is killed; node's start alone is ~50 ms. */
const PROMPT_MS = 2_000;

let dir = '';
const paths: Record<string, string> = {};

beforeAll(async () => {
  dir = await makeTempDir();
  paths.fifo = join(dir, 'fifo.cnf');
  execFileSync('mkfifo', [paths.fifo]);
  paths.large = join(dir, 'large.cnf');
  writeFileSync(paths.large, `[client]\n${'#'.repeat(2 * 1024 * 1024)}\n`);
  paths.directory = join(dir, 'directory.cnf');
  mkdirSync(paths.directory);
  paths.zero = '/dev/zero';
});

afterAll(() => removeTempDir(dir));

const KINDS: [string, string][] = [
  ['zero', 'not a regular file (a character device)'],
  ['fifo', 'not a regular file (a FIFO)'],
  ['large', `${2 * 1024 * 1024 + 10} bytes, over the 1 MiB limit for a config file`],
  ['directory', 'not a regular file (a directory)'],
];

/** One file whose only line includes `target`. */
function including(target: string, group: string): string {
  const file = join(dir, `includes-${Math.random().toString(36).slice(2)}.cnf`);
  writeFileSync(file, `[${group}]\n!include ${target}\n`, { mode: 0o600 });
  return file;
}

async function expectPromptRefusal(args: string[], line: string): Promise<void> {
  const run = await runCheck(args, { killAfterMs: 5_000 });
  expect(run.code, describeRun(run)).toBe(2);
  expect(run.stderr, describeRun(run)).toBe(`${line}\n`);
  expect(run.wallMs, describeRun(run)).toBeLessThan(PROMPT_MS);
}

describe('a config file that is not a small regular file is refused at once (exit 2)', () => {
  it.each(KINDS)('--defaults-file %s', async (kind, why) => {
    await expectPromptRefusal(['--defaults-file', paths[kind]!, '--no-syslog'], `check-mysql: cannot read option file ${paths[kind]}: ${why}`);
  });

  it.each(KINDS)('an !include of %s', async (kind, why) => {
    const main = including(paths[kind]!, 'client');
    await expectPromptRefusal(['--defaults-file', main, '--no-syslog'], `check-mysql: cannot read !include in ${main} ${paths[kind]}: ${why}`);
  });

  it.each(KINDS)("the daemon's --config %s", async (kind, why) => {
    await expectPromptRefusal(['daemon', '--config', paths[kind]!], `check-mysql daemon: cannot read --config ${paths[kind]}: ${why}`);
  });

  it.each(KINDS)("a daemon target's defaults-file %s", async (kind, why) => {
    const config = join(dir, `daemon-${kind}.cnf`);
    writeFileSync(config, `[target db1]\ndefaults-file = ${paths[kind]}\n`, { mode: 0o600 });
    await expectPromptRefusal(['daemon', '--config', config], `check-mysql daemon: ${config} [target db1]: cannot read option file ${paths[kind]}: ${why}`);
  });

  it('notify with a FIFO as --defaults-file', async () => {
    await expectPromptRefusal(
      ['notify', '--defaults-file', paths.fifo!, '--no-syslog', '--vip', '192.0.2.10', '--lock-file', join(dir, 'notify.lock'), 'INSTANCE', 'VI_1', 'BACKUP'],
      `check-mysql notify: cannot read option file ${paths.fifo}: not a regular file (a FIFO)`,
    );
  });
});
