/**
 * The files the install checklist (README.md) copies into /etc/check-mysql: examples/daemon.cnf
 * loads through the daemon's real config builder, and the option files parse as the check reads
 * them, with the credentials and socket the checklist and the keepalived examples rely on.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseArgv } from '../../src/cli/parse-argv.js';
import { parseOptionFile } from '../../src/config/option-file.js';
import { buildDaemonConfig } from '../../src/daemon/daemon-config.js';
import type { OptionFileSystem } from '../../src/types/host.js';
import { realFiles } from '../helpers/option-files.js';

const EXAMPLES = join(__dirname, '..', '..', 'examples');
const INSTALLED = '/etc/check-mysql/';

/**
 * The real file system, with /etc/check-mysql/NAME read from examples/NAME: the layout the
 * checklist installs. Any other path under /etc/check-mysql is missing, as on a fresh node.
 */
const installed = (p: string) => (p.startsWith(INSTALLED) ? join(EXAMPLES, p.slice(INSTALLED.length)) : p);
const installedFs: OptionFileSystem = {
  ...realFiles,
  readFile: (p) => realFiles.readFile(installed(p)),
  stat: (p) => realFiles.stat(installed(p)),
  readDir: (p) => realFiles.readDir(installed(p)),
};

const daemonConfig = () =>
  buildDaemonConfig({ argv: parseArgv(['--config', '/etc/check-mysql/daemon.cnf']), env: {}, fs: installedFs, loginName: () => 'login' });

describe('examples/daemon.cnf', () => {
  it('loads through the daemon config builder with one target, db1, on the local socket', () => {
    const c = daemonConfig();
    expect(c.source).toBe('/etc/check-mysql/daemon.cnf');
    expect(c.listen).toEqual({ host: '127.0.0.1', port: 9797 });
    expect(c.targets).toHaveLength(1);
    expect(c.targets[0]).toMatchObject({
      name: 'db1',
      intervalMs: 1000,
      rise: 2,
      fall: 2,
      timeoutMs: 800,
      labels: {},
      connection: { socket: '/run/mysqld/mysqld.sock', user: 'check', password: '...' },
      policy: { vip: '192.0.2.100', maxLagSeconds: 30, role: 'auto', onSaturated: 'healthy', channels: [] },
      lockFile: '/run/check-mysql/notify.lock',
    });
  });

  it('writes the track and status files that the daemon keepalived example watches', () => {
    const [db1] = daemonConfig().targets;
    const keepalived = readFileSync(join(EXAMPLES, 'keepalived', 'daemon', 'node-a.conf'), 'utf8');
    expect(db1!.trackFile).toBe('/run/check-mysql/db1.track');
    expect(db1!.statusFile).toBe('/run/check-mysql/db1.json');
    expect(keepalived).toContain(`file ${db1!.trackFile}\n`);
    expect(keepalived).toContain(`/bin/sh /opt/check-mysql/bin/check-mysql-fresh ${db1!.statusFile} 3"`);
    expect(keepalived).toContain(`--vip ${db1!.policy.vip}"`);
  });

  it('reads node B as its peer over TCP, with the target\'s user and password, as the daemon keepalived example says', () => {
    const [db1] = daemonConfig().targets;
    const keepalived = readFileSync(join(EXAMPLES, 'keepalived', 'daemon', 'node-a.conf'), 'utf8');
    expect(db1!.peer).toMatchObject({ host: '192.0.2.12', user: 'check', password: '...' });
    expect(db1!.peer?.socket).toBeUndefined();
    expect(db1!.policy.peer).toMatch(/^192\.0\.2\.12(:3306)?$/);
    expect(keepalived).toContain('`peer = 192.0.2.12`');
  });
});

describe('the heartbeat in the examples', () => {
  it('the daemon and the one-shot keepalived examples write and read the table the install checklist creates', () => {
    const [db1] = daemonConfig().targets;
    expect(db1!.policy.heartbeat?.table).toMatchObject({ database: 'heartbeat', table: 'heartbeat' });
    const readme = readFileSync(join(EXAMPLES, '..', 'README.md'), 'utf8');
    expect(readme).toContain('CREATE TABLE IF NOT EXISTS heartbeat.heartbeat (');
    expect(readme).toContain("GRANT SELECT, INSERT, UPDATE ON heartbeat.heartbeat TO 'check'@'localhost';");
    for (const node of ['a', 'b']) {
      const conf = readFileSync(join(EXAMPLES, 'keepalived', 'oneshot', `node-${node}.conf`), 'utf8');
      expect(conf).toMatch(/script "[^"]*bin\/check-mysql [^"]* --heartbeat-table heartbeat\.heartbeat"/);
    }
  });
});

describe('examples/my.cnf and examples/notify.cnf', () => {
  it.each([
    ['my.cnf', 'check'],
    ['notify.cnf', 'notify'],
  ])('%s parses as an option file: [client] user %s, a password and the Debian socket', (file, user) => {
    const { entries, directives } = parseOptionFile(readFileSync(join(EXAMPLES, file), 'utf8'), file);
    expect(directives).toEqual([]);
    expect(entries.map(({ group, key, value }) => ({ group, key, value }))).toEqual([
      { group: 'client', key: 'user', value: user },
      { group: 'client', key: 'password', value: '...' },
      { group: 'client', key: 'socket', value: '/run/mysqld/mysqld.sock' },
    ]);
  });

  it('are the files the keepalived examples name', () => {
    for (const variant of ['oneshot', 'daemon']) {
      const conf = readFileSync(join(EXAMPLES, 'keepalived', variant, 'node-a.conf'), 'utf8');
      expect(conf).toContain('notify --defaults-file=/etc/check-mysql/notify.cnf ');
      if (variant === 'oneshot') expect(conf).toContain('bin/check-mysql --defaults-file=/etc/check-mysql/my.cnf ');
    }
  });
});
