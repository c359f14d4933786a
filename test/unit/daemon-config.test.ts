import { mkdirSync, realpathSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseArgv } from '../../src/cli/parse-argv.js';
import { buildDaemonConfig } from '../../src/daemon/daemon-config.js';
import { UsageError } from '../../src/usage-error.js';
import type { OptionFileSystem } from '../../src/types/host.js';
import { fakeFiles, realFiles } from '../helpers/option-files.js';
import { makeTempDir, removeTempDir } from '../helpers/temp-dir.js';

const DIR = join(__dirname, '..', 'fixtures', 'daemon-configs');
const realPath = (p: string) => {
  try {
    return realpathSync(p);
  } catch {
    return undefined;
  }
};
const load = (args: string[], fs: OptionFileSystem = realFiles) => buildDaemonConfig({ argv: parseArgv(args), env: {}, fs, loginName: () => 'login', realPath });

function errorOf(args: string[], fs?: OptionFileSystem): string {
  try {
    load(args, fs);
  } catch (err) {
    if (err instanceof UsageError) return err.message;
    throw err;
  }
  throw new Error('expected a UsageError');
}

describe('daemon config', () => {
  it('reads targets, per-target overrides, files and labels from the config file', () => {
    const c = load(['--config', join(DIR, 'valid-two-targets.cnf')]);
    expect(c.listen).toEqual({ host: '127.0.0.1', port: 9797 });
    const [db1, db2] = c.targets;
    expect(db1).toMatchObject({
      name: 'db1',
      intervalMs: 1000,
      rise: 2,
      fall: 3,
      trackFile: '/run/check-mysql/db1.track',
      statusFile: '/run/check-mysql/db1.json',
      labels: { cluster: 'east', env: 'prod' },
      connection: { host: '127.0.0.1', port: 3306, user: 'check', password: 'se#cret' },
      policy: { vip: '192.0.2.10', maxLagSeconds: 10 },
    });
    expect(db2).toMatchObject({ name: 'db2', intervalMs: 500, fall: 1, connection: { socket: '/run/mysqld/mysqld2.sock' }, policy: { channels: ['a', 'b'] } });
    expect(db2!.statusFile).toBeUndefined();
  });

  it('flags override the [daemon] section', () => {
    const c = load(['--config', join(DIR, 'valid-two-targets.cnf'), '--interval', '2', '--listen', '[::1]:9900']);
    expect(c.listen).toEqual({ host: '::1', port: 9900 });
    expect(c.targets[0]!.intervalMs).toBe(2000);
    expect(c.targets[1]!.intervalMs).toBe(500); // the target's own setting still wins
  });

  it('without --config, the connection flags make one target named default', () => {
    const c = load(['--no-defaults', '-h', '127.0.0.1', '-P', '3307', '--track-file', '/tmp/t', '--fall', '3']);
    expect(c.targets).toHaveLength(1);
    expect(c.targets[0]).toMatchObject({ name: 'default', fall: 3, rise: 2, intervalMs: 1000, trackFile: '/tmp/t', connection: { port: 3307 } });
    expect(c.listen).toEqual({ host: '127.0.0.1', port: 9797 });
  });

  it('takes web-config-file from [daemon], and --web-config-file over it', () => {
    const fs = fakeFiles({ '/d.cnf': '[daemon]\nweb-config-file = /etc/check-mysql/web.yml\n[target db1]\nhost = 127.0.0.1\n' });
    expect(load(['--config', '/d.cnf'], fs).webConfigFile).toBe('/etc/check-mysql/web.yml');
    expect(load(['--config', '/d.cnf', '--web-config-file', '/other.yml'], fs).webConfigFile).toBe('/other.yml');
    expect(load(['--no-defaults', '--web-config-file', '/w.yml']).webConfigFile).toBe('/w.yml');
    expect(load(['--no-defaults']).webConfigFile).toBeUndefined();
    const empty = fakeFiles({ '/e.cnf': '[daemon]\nweb-config-file =\n[target db1]\nhost = 127.0.0.1\n' });
    expect(errorOf(['--config', '/e.cnf'], empty)).toBe("/e.cnf [daemon]: invalid web-config-file '': expected the path of a web config file");
  });

  it('takes promotion-grace per target (default 5 s), and refuses one past 60 s naming the key', () => {
    const fs = fakeFiles({ '/g.cnf': '[target db1]\nhost = 127.0.0.1\npromotion-grace = 2\n[target db2]\nhost = 127.0.0.2\n' });
    expect(load(['--config', '/g.cnf'], fs).targets.map((t) => t.policy.promotionGraceS)).toEqual([2, 5]);
    const bad = fakeFiles({ '/h.cnf': '[target db1]\nhost = 127.0.0.1\npromotion-grace = 90\n' });
    expect(errorOf(['--config', '/h.cnf'], bad)).toContain("invalid promotion-grace '90': expected seconds from 0 to 60");
  });

  const fixture = (name: string) => join(DIR, name);
  it.each([
    ['an unknown target key', ['--config', fixture('invalid-unknown-key.cnf')], `${fixture('invalid-unknown-key.cnf')}:6: unknown key in [target db1] (not shown: it may hold a secret)`],
    ['a target key in [daemon]', ['--config', fixture('invalid-daemon-key.cnf')], `${fixture('invalid-daemon-key.cnf')}:3: unknown key in [daemon] (not shown: it may hold a secret; known: listen, interval, rise, fall, maintenance-http-status, web-config-file)`],
    ['a password on a line of its own in a target', ['--config', fixture('invalid-password-line.cnf')], `${fixture('invalid-password-line.cnf')}:7: unknown key in [target db1] (not shown: it may hold a secret)`],
    ['a password on a line of its own in [daemon]', ['--config', fixture('invalid-daemon-password-line.cnf')], `${fixture('invalid-daemon-password-line.cnf')}:2: unknown key in [daemon] (not shown: it may hold a secret; known: listen, interval, rise, fall, maintenance-http-status, web-config-file)`],
    ['a password before any section', ['--config', fixture('invalid-outside-section.cnf')], `${fixture('invalid-outside-section.cnf')}:1: option outside any [group]`],
    ['a password with an unterminated quote', ['--config', fixture('invalid-unterminated-password.cnf')], `${fixture('invalid-unterminated-password.cnf')}:3: unterminated quoted value in [target db1]`],
    ['no targets', ['--config', fixture('invalid-no-targets.cnf')], `${fixture('invalid-no-targets.cnf')}: no [target NAME] section`],
    ['a bad port', ['--config', fixture('invalid-port.cnf')], `${fixture('invalid-port.cnf')} [target db1]: invalid port '33o6': expected a whole number from 1 to 65535`],
    ['two targets sharing a track file', ['--config', fixture('invalid-shared-track-file.cnf')], `${fixture('invalid-shared-track-file.cnf')}: targets 'db1' and 'db2' both write /run/x.track`],
    ['two spellings of one track file', ['--config', fixture('invalid-shared-track-file-spelling.cnf')], `${fixture('invalid-shared-track-file-spelling.cnf')}: targets 'db1' and 'db2' both write /run/x.track (as /run/x.track and /run/./x.track)`],
    ['a status file that is the track file', ['--config', fixture('invalid-track-is-status-file.cnf')], `${fixture('invalid-track-is-status-file.cnf')}: target 'db1' writes its track and status file to one file, /run/db1.track (as /run/db1.track and /run/../run/db1.track)`],
    ['a target section given twice', ['--config', fixture('invalid-repeated-section.cnf')], `${fixture('invalid-repeated-section.cnf')}:5: [target db1] is given twice (lines 1 and 5)`],
    ['a reserved label', ['--config', fixture('invalid-reserved-label.cnf')], `${fixture('invalid-reserved-label.cnf')}:3: 'label.target' is not a usable Prometheus label name`],
    ['a key set twice', ['--config', fixture('invalid-duplicate-key.cnf')], `${fixture('invalid-duplicate-key.cnf')}:3: 'host' is set twice in [target db1]`],
    ['an unknown section', ['--config', fixture('invalid-section.cnf')], `${fixture('invalid-section.cnf')}:2: unknown section [targets db1] (expected [daemon] or [target NAME])`],
    ['a bad target name', ['--config', fixture('invalid-target-name.cnf')], `${fixture('invalid-target-name.cnf')}:2: target name 'db 1' must be letters, digits, '.', '_' or '-'`],
    ['fall 0', ['--config', fixture('invalid-fall.cnf')], `${fixture('invalid-fall.cnf')} [target db1]: invalid fall '0': expected a whole number from 1 to 100`],
    ['fall 0 in [daemon]', ['--config', fixture('invalid-daemon-fall.cnf')], `${fixture('invalid-daemon-fall.cnf')} [daemon]: invalid fall '0': expected a whole number from 1 to 100`],
    ['a listen address without a port', ['--config', fixture('invalid-listen.cnf')], `${fixture('invalid-listen.cnf')} [daemon]: invalid listen 'localhost': expected HOST:PORT with a port from 1 to 65535, e.g. 127.0.0.1:9797`],
    ['a bad vip', ['--config', fixture('invalid-vip.cnf')], `${fixture('invalid-vip.cnf')} [target db1]: invalid vip '192.0.2.300': expected an IPv4 or IPv6 address`],
    ['a missing file', ['--config', '/nonexistent/daemon.cnf'], 'cannot read --config /nonexistent/daemon.cnf: ENOENT'],
    ['target flags with --config', ['--config', fixture('valid-two-targets.cnf'), '-h', '192.0.2.1'], `--host cannot be combined with --config: set it in a [target] section of ${fixture('valid-two-targets.cnf')}`],
    ['a bad --listen', ['--no-defaults', '--listen', '127.0.0.1:99999'], "invalid --listen '127.0.0.1:99999': expected HOST:PORT with a port from 1 to 65535, e.g. 127.0.0.1:9797"],
    ['a bad --port', ['--no-defaults', '-P', '33o6'], "invalid --port '33o6': expected a whole number from 1 to 65535"],
    ['--fall 0', ['--no-defaults', '--fall', '0'], "invalid --fall '0': expected a whole number from 1 to 100"],
    ['--rise 0 beside a config file', ['--config', fixture('valid-two-targets.cnf'), '--rise', '0'], "invalid --rise '0': expected a whole number from 1 to 100"],
    ['one file as --track-file and --status-file', ['--no-defaults', '--track-file', '/run/x', '--status-file', '/run/./x'], "the command line: target 'default' writes its track and status file to one file, /run/x (as /run/x and /run/./x)"],
  ])('rejects %s with one clear line', (_name, args, message) => {
    expect(errorOf(args)).toBe(message);
    expect(message).not.toContain('MySecretPassw0rd');
  });
});

describe('daemon config files another user could write or read', () => {
  const CNF = '/etc/check-mysql/daemon.cnf';
  const target = '[target db1]\nhost = 127.0.0.1\nuser = check\n';
  const withPassword = `${target}password = MySecretPassw0rd\n`;

  it('a world-writable --config is refused: skipping it, as the client would, leaves nothing to run', () => {
    expect(errorOf(['--config', CNF], fakeFiles({ [CNF]: { text: target, mode: 0o666 } }))).toBe(
      `refusing world-writable --config ${CNF} (mode 0666): any local user could rewrite it; chmod o-w it`,
    );
  });

  it.each([
    ['world-readable', { text: withPassword, mode: 0o644 }, [`${CNF} holds a password and is readable by every local user (mode 0644): chmod 600 it, or 640 with the reader's own group`]],
    ["readable by another group", { text: withPassword, mode: 0o640, gid: 7 }, [`${CNF} holds a password and is readable by group 7 (mode 0640): chmod 600 it, or 640 with the reader's own group`]],
    ["root:check-mysql 0640, read by check-mysql", { text: withPassword, mode: 0o640, gid: 1000 }, []],
    ['world-readable without a password', { text: target, mode: 0o644 }, []],
  ])('warns about a password in a config only when others can read it: %s', (_name, file, notices) => {
    expect(load(['--config', CNF], fakeFiles({ [CNF]: file })).notices).toEqual(notices);
  });

  it("a target's world-writable defaults-file is skipped with the client's warning, naming the target", () => {
    const fs = fakeFiles({ [CNF]: '[target db1]\ndefaults-file = /x/my.cnf\n', '/x/my.cnf': { text: '[client]\nuser = planted\n', mode: 0o666 } });
    const c = load(['--config', CNF], fs);
    expect(c.targets[0]!.connection.user).toBe('login');
    expect(c.notices).toEqual([`${CNF} [target db1]: World-writable config file '/x/my.cnf' is ignored`]);
  });

  it('a password on the command line is warned about, as by the one-shot check', () => {
    expect(load(['--no-defaults', '--password=pw']).notices).toEqual(['a password on the command line is visible to other users (ps); use MYSQL_PWD or an option file']);
  });

  describe('with real directories', () => {
    let dir: string | undefined;
    afterAll(async () => {
      if (dir) await removeTempDir(dir);
    });

    it('refuses two targets that write one file through a symlinked directory', async () => {
      dir = await makeTempDir();
      mkdirSync(join(dir, 'run'));
      symlinkSync(join(dir, 'run'), join(dir, 'alias'));
      const cnf = join(dir, 'daemon.cnf');
      writeFileSync(cnf, `[target db1]\nhost = 127.0.0.1\ntrack-file = ${dir}/run/x.track\n[target db2]\nhost = 127.0.0.1\ntrack-file = ${dir}/alias/x.track\n`);
      expect(errorOf(['--config', cnf])).toBe(`${cnf}: targets 'db1' and 'db2' both write ${dir}/run/x.track (as ${dir}/run/x.track and ${dir}/alias/x.track)`);
    });
  });
});
