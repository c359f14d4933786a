/** --heartbeat-table: what names are taken, how they are quoted, and the one line a bad one gets. */
import { describe, expect, it } from 'vitest';
import { parseArgv } from '../../src/cli/parse-argv.js';
import { buildCheckConfig } from '../../src/config/config.js';
import { buildDaemonConfig } from '../../src/daemon/daemon-config.js';
import { fakeFiles, noFiles } from '../helpers/option-files.js';

const policyOf = (...argv: string[]) => buildCheckConfig({ argv: parseArgv(['--no-defaults', ...argv]), env: {}, fs: noFiles }).policy;

describe('--heartbeat-table', () => {
  it.each([
    ['heartbeat.heartbeat', '`heartbeat`.`heartbeat`'],
    ['percona.heartbeat', '`percona`.`heartbeat`'],
    ['db_1.$beat', '`db_1`.`$beat`'],
    ['1db.t2', '`1db`.`t2`'],
    ['`my db`.`beat.v2`', '`my db`.`beat.v2`'],
    ['`123`.heartbeat', '`123`.`heartbeat`'],
    ['tëst.hb', '`tëst`.`hb`'],
  ])('%s is quoted %s in every statement', (written, quoted) => {
    expect(policyOf('--heartbeat-table', written).heartbeat?.table.quoted).toBe(quoted);
  });

  it('bounds the write on the server by the check deadline', () => {
    expect(policyOf('--heartbeat-table', 'hb.t', '--timeout', '0.5').heartbeat?.writeBoundMs).toBe(500);
  });

  it('is off unless given', () => {
    expect(policyOf().heartbeat).toBeUndefined();
  });

  it.each([
    ['heartbeat'],
    ['a.b.c'],
    ['.t'],
    ['db.'],
    ['db.a b'],
    ['db.t;DROP TABLE x'],
    ['123.heartbeat'],
    ['db.`t`x`'],
    ['db.`ends in space `'],
    [`db.${'x'.repeat(65)}`],
    ['db.t\u0000'],
    ['db.😀'],
  ])('refuses %j with one line naming the option', (written) => {
    expect(() => policyOf('--heartbeat-table', written)).toThrow(
      `invalid --heartbeat-table '${written}': expected DB.TABLE, each a MySQL identifier (letters, digits, $ and _, at most 64 characters, or quoted in backticks), e.g. heartbeat.heartbeat`,
    );
  });

  it('is a [target] key of the daemon config, named as a key when it is wrong', () => {
    const config = (table: string) =>
      buildDaemonConfig({ argv: parseArgv(['--config', 'd.cnf']), env: {}, fs: fakeFiles({ 'd.cnf': `[target db1]\nhost = 127.0.0.1\nheartbeat-table = ${table}\n` }) });
    expect(config('hb.beat').targets[0]?.policy.heartbeat?.table.quoted).toBe('`hb`.`beat`');
    expect(() => config('beat')).toThrow("d.cnf [target db1]: invalid heartbeat-table 'beat': expected DB.TABLE");
  });
});
