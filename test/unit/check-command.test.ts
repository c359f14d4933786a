import { describe, expect, it } from 'vitest';
import { check, type CheckCommandDeps } from '../../src/commands/check.js';
import { runCommand } from '../../src/commands/run-command.js';
import type { ProcessIo } from '../../src/types/io.js';
import { SERVER_VARIABLES_SQL } from '../../src/dialect/server-info.js';
import { scriptedConnector, variablesRows, type Expectation } from '../helpers/scripted-db.js';
import { allSlavesStatus } from '../fixtures/replica-status/mariadb-10.11-recorded.js';
import { noFiles } from '../helpers/option-files.js';

function harness(script: Expectation[], connectError?: { errno?: number; code?: string; message: string }) {
  const db = scriptedConnector(script, connectError);
  const out: string[] = [];
  const err: string[] = [];
  const syslog: string[] = [];
  const files: Record<string, string> = {};
  let hidden = false;
  let t = 0;
  const deps: CheckCommandDeps & ProcessIo = {
    connect: db.connect,
    now: () => (t += 1),
    networkInterfaces: () => ({ lo: [{ address: '127.0.0.1', netmask: '255.0.0.0', family: 'IPv4', mac: '00:00:00:00:00:00', internal: true, cidr: '127.0.0.1/8' }] }),
    fs: noFiles,
    stdout: (s) => out.push(s),
    stderr: (s) => err.push(s),
    hideArgv: () => (hidden = true),
    appendFile: (p, s) => (files[p] = (files[p] ?? '') + s),
    syslog: async (line) => void syslog.push(line),
  };
  return { deps, db, out, err, syslog, files, wasHidden: () => hidden };
}

const writerScript: Expectation[] = [
  { sql: SERVER_VARIABLES_SQL, rows: variablesRows('OFF') },
  { sql: 'SHOW ALL SLAVES STATUS', rows: [] },
];

/** The one-shot check as bin/check-mysql runs it, with the harness as both its I/O and its deps. */
const main = (argv: string[], env: Record<string, string>, deps: CheckCommandDeps & ProcessIo) => runCommand(check, argv, env, deps, deps);

describe('one-shot check command', () => {
  it('a healthy writer exits 0 with one human line and quits the session', async () => {
    const h = harness(writerScript);
    expect(await main(['--no-defaults'], {}, h.deps)).toBe(0);
    h.db.expectationsMet();
    expect(h.db.closedCount()).toBe(1);
    expect(h.out.join('')).toMatch(/^healthy: writer \/run\/mysqld\/mysqld.sock - .*no replication configured/);
    expect(h.err).toEqual([]);
  });

  it('a standby whose writer is unreachable stays eligible, with a warning', async () => {
    const h = harness([
      { sql: SERVER_VARIABLES_SQL, rows: variablesRows('ON') },
      { sql: 'SHOW ALL SLAVES STATUS', rows: allSlavesStatus },
    ]);
    expect(await main(['--no-defaults', '--json'], {}, h.deps)).toBe(0);
    const report = JSON.parse(h.out.join(''));
    expect(report).toMatchObject({ healthy: true, role: 'standby', reasons: [] });
    expect(report.warnings).toHaveLength(2);
    expect(report.warnings[0]).toMatch(/^source-unreachable: default channel: cannot reach source 127.0.0.1:23307 \(error 2003/);
  });

  it('falls back to SHOW SLAVE STATUS when the server does not know SHOW ALL SLAVES STATUS', async () => {
    const h = harness([
      { sql: SERVER_VARIABLES_SQL, rows: variablesRows('OFF') },
      { sql: 'SHOW ALL SLAVES STATUS', error: { errno: 1064, message: 'You have an error in your SQL syntax' } },
      { sql: 'SHOW SLAVE STATUS', rows: [] },
    ]);
    expect(await main(['--no-defaults'], {}, h.deps)).toBe(0);
    h.db.expectationsMet();
  });

  it('uses SHOW REPLICA STATUS on MySQL 8.4', async () => {
    const h = harness([
      { sql: SERVER_VARIABLES_SQL, rows: variablesRows('OFF', '8.4.3') },
      { sql: 'SHOW REPLICA STATUS', rows: [] },
    ]);
    expect(await main(['--no-defaults'], {}, h.deps)).toBe(0);
    h.db.expectationsMet();
  });

  it('an unhealthy result logs one JSON line to syslog and --log-file, without the password', async () => {
    const h = harness([], { errno: 1045, message: "Access denied for user 'check'@'localhost' (using password: YES)" });
    const code = await main(['--no-defaults', '--log-file', '/var/log/check.json'], { MYSQL_PWD: 'hunter2-secret' }, h.deps);
    expect(code).toBe(1);
    expect(h.syslog).toHaveLength(1);
    const line = JSON.parse(h.syslog[0]!);
    expect(line).toMatchObject({ level: 'warn', name: 'check-mysql', role: 'unknown' });
    expect(line.reasons[0]).toMatch(/^access-denied: /);
    expect(h.files['/var/log/check.json']).toBe(`${h.syslog[0]}\n`);
    const everything = [...h.out, ...h.err, ...h.syslog, ...Object.values(h.files)].join('\n');
    expect(everything).not.toContain('hunter2-secret');
  });

  it('a password on argv is hidden from ps and warned about', async () => {
    const h = harness(writerScript);
    expect(await main(['--no-defaults', '-psecret-pw'], {}, h.deps)).toBe(0);
    expect(h.wasHidden()).toBe(true);
    expect(h.err.join('')).toMatch(/warning: a password on the command line is visible/);
    expect([...h.out, ...h.err].join('')).not.toContain('secret-pw');
  });

  it('bad usage exits 2 with exactly one stderr line and never connects', async () => {
    const h = harness([]);
    expect(await main(['--port', 'x'], {}, h.deps)).toBe(2);
    expect(h.err).toEqual(["check-mysql: invalid --port 'x': expected a whole number from 1 to 65535\n"]);
    expect(h.out).toEqual([]);
  });

  it('nagios format maps a lagging standby to CRITICAL with perfdata', async () => {
    const h = harness([
      { sql: SERVER_VARIABLES_SQL, rows: variablesRows('ON') },
      {
        sql: 'SHOW ALL SLAVES STATUS',
        rows: [{ ...allSlavesStatus[0], Slave_IO_Running: 'Yes', Last_IO_Errno: 0, Last_IO_Error: '', Seconds_Behind_Master: 120 }],
      },
    ]);
    expect(await main(['--no-defaults', '--format', 'nagios', '--no-syslog'], {}, h.deps)).toBe(2);
    expect(h.out.join('')).toMatch(/^MYSQL CRITICAL - standby .*lag: default channel: 120 s behind .* \| 'lag'=120s;;30 'time'=/);
  });

  it('nagios perfdata reports a NULL lag as U, never 0', async () => {
    const h = harness([
      { sql: SERVER_VARIABLES_SQL, rows: variablesRows('ON') },
      { sql: 'SHOW ALL SLAVES STATUS', rows: [allSlavesStatus[0]!] },
    ]);
    expect(await main(['--no-defaults', '--format', 'nagios'], {}, h.deps)).toBe(1);
    expect(h.out.join('')).toContain("'lag'=U;;30");
  });

  it('--vip held with read_only=ON fails the writer', async () => {
    const h = harness([
      { sql: SERVER_VARIABLES_SQL, rows: variablesRows('ON') },
      { sql: 'SHOW ALL SLAVES STATUS', rows: [] },
    ]);
    expect(await main(['--no-defaults', '--vip', '127.0.0.1', '--json', '--no-syslog'], {}, h.deps)).toBe(1);
    expect(JSON.parse(h.out.join('')).reasons[0]).toMatch(/^writer-read-only: holds VIP 127.0.0.1 but read_only=ON/);
  });
});
