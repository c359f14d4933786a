/**
 * The keepalived notify handler against a real master-master pair: promotion after catch-up,
 * demotion (and ending client connections), stale notifications, and the catch-up timeout.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN } from '../helpers/repo.js';
import { codeOf, runCheck } from '../helpers/clients/cli.js';
import type { Server } from '../helpers/servers/server.js';
import { startPair, waitForReplication, type Pair } from '../helpers/servers/pair.js';
import { describeWithMariadb } from '../helpers/suite.js';
import { waitFor } from '../helpers/wait.js';

const NOTIFY = { user: 'notify', password: 'notify-pw' };
const HELD = ['--vip', '127.0.0.1']; // always local: "this node holds the VIP"
const NOT_HELD = ['--vip', '192.0.2.250']; // TEST-NET-1, never on this host

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

describeWithMariadb('check-mysql notify against a real pair', () => {
  let pair: Pair;
  let dir: string;

  beforeAll(async () => {
    pair = await startPair();
    dir = mkdtempSync(join(tmpdir(), 'check-mysql-notify-'));
    for (const s of [pair.a, pair.b]) {
      // Least privilege for the handler (MariaDB 10.11): set read_only, see and end connections,
      // read replication status.
      await s.exec(
        'SET SESSION sql_log_bin=0',
        `CREATE USER '${NOTIFY.user}'@'127.0.0.1' IDENTIFIED BY '${NOTIFY.password}'`,
        `GRANT READ_ONLY ADMIN, CONNECTION ADMIN, PROCESS, SLAVE MONITOR, REPLICATION SLAVE ADMIN ON *.* TO '${NOTIFY.user}'@'127.0.0.1'`,
        `CREATE USER 'app'@'127.0.0.1' IDENTIFIED BY 'app-pw'`,
        `GRANT SELECT, INSERT, UPDATE ON ${pair.schema}.* TO 'app'@'127.0.0.1'`,
        'SET SESSION sql_log_bin=1',
      );
    }
  });

  afterAll(async () => {
    await pair?.cleanup();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  function notify(server: Server, state: string, flags: string[] = []): Promise<Run> {
    const args = [BIN, 'notify', '--no-defaults', '--no-syslog', '-h', '127.0.0.1', '-P', String(server.port), '-u', NOTIFY.user,
      '--log-file', join(dir, 'notify.log'), '--lock-file', join(dir, `lock-${server.serverId}`), ...flags, 'INSTANCE', 'VI_1', state, '100'];
    const started = Date.now();
    return new Promise((resolve) => {
      const child = spawn(process.execPath, args, { env: { PATH: process.env.PATH, MYSQL_PWD: NOTIFY.password }, stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
      child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
      child.once('close', (code) => resolve({ code, stdout, stderr, ms: Date.now() - started }));
    });
  }

  const readOnly = async (s: Server) => ['1', 'ON'].includes(await s.variable('read_only'));
  const lastLogLine = () => JSON.parse(readFileSync(join(dir, 'notify.log'), 'utf8').trim().split('\n').pop()!);

  it('MASTER on the standby that holds the VIP makes it writable and logs before and after', async () => {
    expect(await readOnly(pair.b)).toBe(true);
    const run = await notify(pair.b, 'MASTER', HELD);
    expect(run.code, run.stdout + run.stderr).toBe(0);
    expect(run.stdout).toMatch(/INSTANCE VI_1 -> MASTER: promoted: read_only=ON -> read_only=OFF/);
    expect(await readOnly(pair.b)).toBe(false);
    expect(lastLogLine()).toMatchObject({ level: 'info', action: 'promoted', before: 'read_only=ON', after: 'read_only=OFF', event: 'INSTANCE VI_1 MASTER' });
  });

  it('the promoted node takes nothing more from its old writer: a write made there later stays there until this node is demoted', async () => {
    // The first test promoted B: its IO thread from A is stopped, its SQL thread runs.
    const [fenced] = await pair.b.slaveStatus();
    expect({ io: fenced?.Slave_IO_Running, sql: fenced?.Slave_SQL_Running, errno: Number(fenced?.Last_IO_Errno) }).toEqual({ io: 'No', sql: 'Yes', errno: 0 });
    expect(lastLogLine()).toMatchObject({ action: 'promoted', fenced: [''] });
    // What a stalled commit on a full disk, a semi-sync commit without its ACK or a root write
    // past read_only would be: logged by the old writer after it lost the VIP.
    await pair.a.exec(`INSERT INTO ${pair.schema}.t (id, v) VALUES (900, 9)`);
    await new Promise((r) => setTimeout(r, 1000));
    expect(await pair.b.sql(`SELECT id FROM ${pair.schema}.t WHERE id = 900`)).toEqual([]);
    // The writer's check names the stopped channel without failing for it.
    const check = await runCheck(['--no-defaults', '--no-syslog', '-h', '127.0.0.1', '-P', String(pair.b.port), '-u', pair.check.user, '--json', ...HELD, '--lock-file', join(dir, `lock-${pair.b.serverId}`)], { password: pair.check.password });
    expect(check.code, check.stdout + check.stderr).toBe(0);
    expect(check.json?.warnings.map(codeOf)).toEqual(['peer-fenced']);
    // Demoted, it is a standby again and replicates: what the old writer logged meanwhile arrives.
    const run = await notify(pair.b, 'BACKUP', NOT_HELD);
    expect(run.stdout).toMatch(/demoted: read_only=OFF -> read_only=ON; replication from the peer started again \(IO thread\) \(default\)/);
    expect(lastLogLine()).toMatchObject({ action: 'demoted', resumed: [''] });
    await waitForReplication(pair);
    expect(await pair.b.sql(`SELECT id FROM ${pair.schema}.t WHERE id = 900`)).toEqual([{ id: 900 }]);
    // Writable again for the next test, as the first one left it.
    expect((await notify(pair.b, 'MASTER', HELD)).code).toBe(0);
  });

  it('--peer-fence off, or a --peer-channel that is not this one, promotes and leaves replication from the peer running', async () => {
    const io = async () => (await pair.b.slaveStatus())[0]?.Slave_IO_Running;
    expect((await notify(pair.b, 'BACKUP', NOT_HELD)).code).toBe(0);
    const off = await notify(pair.b, 'MASTER', [...HELD, '--peer-fence', 'off']);
    expect(off.stdout).toMatch(/-> MASTER: promoted: read_only=ON -> read_only=OFF \(\d+ ms\)/);
    expect(await io()).toBe('Yes');
    expect((await notify(pair.b, 'BACKUP', NOT_HELD)).code).toBe(0);
    const other = await notify(pair.b, 'MASTER', [...HELD, '--peer-channel', 'upstream']);
    expect(other.code, other.stdout + other.stderr).toBe(0);
    expect(other.stdout).toMatch(/promoted: read_only=ON -> read_only=OFF; NOT stopped, so the old writer's later writes may land here: upstream: no such channel \(--peer-channel\)/);
    expect(await io()).toBe('Yes');
  });

  it('BACKUP makes the node read-only, and --kill-connections ends client connections but not replication', async () => {
    const app = await pair.b.connect({ user: 'app', password: 'app-pw' });
    const run = await notify(pair.b, 'BACKUP', [...NOT_HELD, '--kill-connections']);
    expect(run.code, run.stdout + run.stderr).toBe(0);
    expect(run.stdout).toMatch(/demoted: read_only=OFF -> read_only=ON; killed 1 client connection\(s\)/);
    expect(await readOnly(pair.b)).toBe(true);
    await expect(app.query('SELECT 1')).rejects.toThrow();
    await waitForReplication(pair); // B -> A and A -> B still flow
  });

  it('a stale MASTER notification (the VIP is not here any more) changes nothing', async () => {
    const run = await notify(pair.b, 'MASTER', NOT_HELD);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/stale MASTER notification: VIP 192.0.2.250 is not on this node any more; not promoting/);
    expect(await readOnly(pair.b)).toBe(true);
  });

  it('a stale BACKUP notification (the VIP is here again) does not demote the writer', async () => {
    const run = await notify(pair.a, 'BACKUP', HELD);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/stale notification: VIP 127.0.0.1 is on this node again; not demoting/);
    expect(await readOnly(pair.a)).toBe(false);
  });

  it('MASTER waits for the SQL thread to apply what it received before making the node writable', async () => {
    // Hold a row lock on B so that B's SQL thread blocks on A's update of that row.
    const blocker = await pair.b.connect();
    await blocker.query('BEGIN');
    await blocker.query(`SELECT * FROM ${pair.schema}.t WHERE id = 1 FOR UPDATE`);
    await pair.a.exec(`UPDATE ${pair.schema}.t SET v = v + 1 WHERE id = 1`);
    const expected = Number((await pair.a.sql(`SELECT v FROM ${pair.schema}.t WHERE id = 1`))[0]!.v);
    const promoting = notify(pair.b, 'MASTER', [...HELD, '--catchup-timeout', '20']);
    await new Promise((r) => setTimeout(r, 1500));
    expect(await readOnly(pair.b)).toBe(true); // still waiting for the relay log
    // Meanwhile the check reads the read-only VIP holder as promoting, not failed.
    const check = await runCheck(['--no-defaults', '--no-syslog', '-h', '127.0.0.1', '-P', String(pair.b.port), '-u', pair.check.user, '--json', ...HELD, '--lock-file', join(dir, `lock-${pair.b.serverId}`)], { password: pair.check.password });
    expect(check.code, check.stdout + check.stderr).toBe(0);
    expect(check.json?.warnings.map(codeOf)).toContain('promoting');
    await blocker.query('ROLLBACK');
    const run = await promoting;
    expect(run.code, run.stdout + run.stderr).toBe(0);
    expect(run.ms).toBeGreaterThan(1400);
    const line = lastLogLine();
    expect(line.action).toBe('promoted');
    expect(line.waited[0]).toMatchObject({ outcome: 'caught-up' });
    expect(line.waited[0].ms).toBeGreaterThan(1000);
    expect(Number((await pair.b.sql(`SELECT v FROM ${pair.schema}.t WHERE id = 1`))[0]!.v)).toBe(expected);
    await notify(pair.b, 'BACKUP', NOT_HELD);
  });

  it('when catching up times out it stays read-only by default, and says so', async () => {
    await pair.b.exec('STOP SLAVE SQL_THREAD');
    try {
      await pair.a.exec(`UPDATE ${pair.schema}.t SET v = v + 1 WHERE id = 1`);
      const [master] = await pair.a.sql('SHOW MASTER STATUS');
      await waitFor('B received the event', async () => {
        const [row] = await pair.b.slaveStatus();
        return row !== undefined && Number(row.Read_Master_Log_Pos) >= Number(master!.Position);
      });
      const run = await notify(pair.b, 'MASTER', [...HELD, '--catchup-timeout', '1']);
      expect(run.code).toBe(1);
      expect(run.stdout).toMatch(/not promoting: default timed-out waiting for Gtid_IO_Pos .* \(--on-catchup-timeout stay-read-only\)/);
      expect(await readOnly(pair.b)).toBe(true);
      expect(lastLogLine()).toMatchObject({ level: 'error', action: 'stayed-read-only' });
    } finally {
      await pair.b.exec('START SLAVE SQL_THREAD');
    }
  });

  it('bad invocations exit 2 with one line', async () => {
    const run = await notify(pair.b, 'UPSIDE-DOWN', HELD);
    expect(run.code).toBe(2);
    expect(run.stderr.trim()).toBe("check-mysql notify: invalid notify STATE 'UPSIDE-DOWN': expected one of MASTER, BACKUP, FAULT, STOP, DELETED");
  });
});
