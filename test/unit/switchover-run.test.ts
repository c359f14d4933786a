/**
 * The switchover's steps over fake servers (pure orchestration; the real pair is in
 * test/integration/e2e-switchover.test.ts): the order of the statements, the lock held while
 * read-only and let go at maintenance, the roll back only while the VIP is still here, and the
 * peer made writable only once the VIP answers as the peer.
 */
import { describe, expect, it } from 'vitest';
import { runSwitchover, type SwitchoverDeps, type SwitchoverSpec } from '../../src/switchover/run-switchover.js';
import type { ConnectionConfig } from '../../src/types/config.js';
import type { MaintenanceFs } from '../../src/types/maintenance-fs.js';
import type { Row } from '../../src/types/row.js';
import type { Connector, Session } from '../../src/types/session.js';
import { allSlavesStatus } from '../fixtures/replica-status/mariadb-10.11-recorded.js';

interface FakeServer {
  id: number;
  readOnly: boolean;
  binlogState: string;
  slavePos: string;
  /** The channel's source server_id. */
  source: number;
  /** MASTER_GTID_WAIT's answer: 0 caught up, -1 timed out. */
  waits: number;
  log: string[];
}

const channel = (s: FakeServer): Row => ({ ...allSlavesStatus[0]!, Master_Server_Id: s.source, Slave_IO_Running: 'Yes', Slave_SQL_Running: 'Yes', Seconds_Behind_Master: 0, Last_IO_Errno: 0, Last_IO_Error: '', Using_Gtid: 'Slave_Pos', Gtid_IO_Pos: s.slavePos });

function answer(s: FakeServer, sql: string): Row[] {
  s.log.push(sql);
  if (sql.startsWith('SHOW GLOBAL VARIABLES')) {
    return [['read_only', s.readOnly ? 'ON' : 'OFF'], ['version', '10.11.19-MariaDB-log'], ['version_comment', 'Debian'], ['server_id', String(s.id)]].map(([n, v]) => ({ Variable_name: n, Value: v }));
  }
  if (sql === 'SHOW ALL SLAVES STATUS') return [channel(s)];
  if (sql.startsWith('SELECT @@GLOBAL.server_id AS server_id')) {
    return [{ server_id: s.id, gtid_domain_id: s.id, log_bin: 1, log_slave_updates: 1, gtid_binlog_state: s.binlogState, gtid_binlog_pos: s.binlogState, gtid_current_pos: s.binlogState, gtid_slave_pos: s.slavePos }];
  }
  if (/^SET STATEMENT max_statement_time=.* FOR SET GLOBAL read_only = ON$/.test(sql) || sql === 'SET GLOBAL read_only = ON') return ((s.readOnly = true), []);
  if (sql === 'SET GLOBAL read_only = OFF') return ((s.readOnly = false), []);
  if (sql.startsWith('SELECT MASTER_GTID_WAIT(')) return [{ waited: s.waits }];
  if (sql.startsWith('SELECT ID, USER, COMMAND FROM information_schema.PROCESSLIST')) return [];
  throw new Error(`fake server ${s.id}: unexpected ${sql}`);
}

const LOCK_DIR = { kind: 'directory', dev: 1n, ino: 2n, mode: 0o40755, uid: 0 } as const;
const LOCK_FILE = { kind: 'file', dev: 1n, ino: 3n, mode: 0o100600, uid: 0 } as const;

const conn = (label: string): ConnectionConfig => ({ label, user: 'switchover' });
const SPEC: SwitchoverSpec = {
  local: conn('local'), peer: conn('peer'), viaVip: conn('vip'), vip: '192.0.2.100', timeoutMs: 5000, maxLagSeconds: 30, maintenanceFile: '/run/check-mysql/m',
  catchUpTimeoutS: 2, confirmTimeoutS: 1, killConnections: false, keepUsers: ['root'], dryRun: false, by: 'op@db-a', lockFile: '/run/check-mysql/notify.lock',
};

function world(o: { peerWaits?: number; vipMovesAtMaintenance?: boolean; vipLeavesDuringCatchUp?: boolean; vipGoesTo?: 'peer' | 'nowhere'; peerPromotesItself?: boolean } = {}) {
  const local: FakeServer = { id: 1, readOnly: false, binlogState: '1-1-40,2-2-7', slavePos: '2-2-7', source: 2, waits: 0, log: [] };
  const peer: FakeServer = { id: 2, readOnly: true, binlogState: '1-1-40,2-2-7', slavePos: '1-1-40', source: 1, waits: o.peerWaits ?? 0, log: [] };
  let vipHere = true;
  let vipAtPeer = false;
  let maintenance = false;
  let lockHeld = false;
  const events: string[] = [];
  let clock = 0;
  const session = (s: FakeServer, label: string): Session => ({
    usable: true, threadId: 1, onLost() {},
    async query(sql) {
      if (sql.startsWith('SELECT MASTER_GTID_WAIT(') && o.vipLeavesDuringCatchUp) vipHere = false;
      const rows = answer(s, sql);
      if (sql === 'SET GLOBAL read_only = OFF' && s === peer) events.push(`peer writable (VIP at peer: ${vipAtPeer})`);
      if (label === 'local' && sql.includes('read_only = ON')) events.push(`local read-only (lock held: ${lockHeld})`);
      return rows;
    },
    async queryBatch() { throw new Error('no batches'); },
    async close() {},
  });
  const connect: Connector = async (c) => {
    if (c.label === 'local') return session(local, 'local');
    if (c.label === 'peer') return session(peer, 'peer');
    if (!vipAtPeer) throw Object.assign(new Error('connect ETIMEDOUT'), { code: 'ETIMEDOUT' });
    return session(peer, 'vip');
  };
  const fs: MaintenanceFs = {
    lstat: () => { if (!maintenance) throw Object.assign(new Error('ENOENT'), { code: 'ENOENT' }); return { kind: 'file', size: 10, mode: 0o100644, uid: 0 }; },
    stat: () => ({ kind: 'directory', size: 0, mode: 0o40755, uid: 0 }),
    readHead: () => new TextEncoder().encode('{"reason":"x","since":"2026-12-01T18:00:00Z","by":"op"}'),
    createExclusive: () => {},
    rename: () => {
      maintenance = true;
      events.push(`maintenance (lock held: ${lockHeld})`);
      if (o.vipMovesAtMaintenance !== false) {
        vipHere = false;
        vipAtPeer = (o.vipGoesTo ?? 'peer') === 'peer';
        if (o.peerPromotesItself) peer.readOnly = false;
      }
    },
    unlink: () => {}, syncDir: () => {}, randomSuffix: () => 'x',
  };
  const deps: SwitchoverDeps = {
    connect, now: () => clock, isoNow: () => '2026-12-01T18:00:00.000Z', maintenanceFs: fs,
    networkInterfaces: () => ({ eth0: vipHere ? [{ address: '192.0.2.100', netmask: '255.255.255.0', family: 'IPv4', mac: '00:00:00:00:00:00', internal: false, cidr: '192.0.2.100/24' }] : [] }),
    sleep: async (ms) => void (clock += ms),
    pid: 4242,
    lockFs: {
      euid: () => 0,
      lstat: (path: string) => (path.endsWith('.lock') ? LOCK_FILE : LOCK_DIR),
      mkdir: () => {}, openForLock: () => 7, openForRead: () => null, fstat: () => LOCK_FILE,
      flock: async () => ((lockHeld = true), true), rewrite: () => {}, close: () => void ((lockHeld = false), events.push('lock released')), readHead: () => '', locks: () => null, pidAlive: () => true,
    } as never,
  };
  return { local, peer, deps, events, isVipHere: () => vipHere, isMaintenance: () => maintenance };
}

describe('runSwitchover over fake servers', () => {
  it('switches over: read-only under the lock, the peer waited for, maintenance, the peer made writable once the VIP answers as it', async () => {
    const w = world();
    const o = await runSwitchover(SPEC, w.deps);
    expect(o).toMatchObject({ result: 'switched', ok: true });
    expect(o.steps.map((s) => s.step)).toEqual(['preflight', 'lock', 'read-only', 'final position', 'catch-up', 'maintenance', 'VIP left', 'VIP on peer', 'peer writable']);
    expect(w.events).toEqual(['local read-only (lock held: true)', 'maintenance (lock held: true)', 'lock released', 'peer writable (VIP at peer: true)']);
    expect(w.peer.log).toContain("SELECT MASTER_GTID_WAIT('1-1-40,2-2-7', 2) AS waited");
    expect(w.local.readOnly).toBe(true);
    expect(w.peer.readOnly).toBe(false);
    expect(o.steps.at(-1)?.detail).toMatch(/by the switchover/);
  });

  it('leaves the promotion to the notify handler when it was quicker', async () => {
    const w = world({ peerPromotesItself: true });
    const o = await runSwitchover(SPEC, w.deps);
    expect(o.result).toBe('switched');
    expect(o.steps.at(-1)?.detail).toMatch(/by its notify handler/);
    expect(w.peer.log).not.toContain('SET GLOBAL read_only = OFF');
  });

  it('rolls back when the peer does not catch up: writable again, no maintenance, exit 1', async () => {
    const w = world({ peerWaits: -1 });
    const o = await runSwitchover(SPEC, w.deps);
    expect(o).toMatchObject({ result: 'rolled-back', ok: false });
    expect(o.message).toBe('the peer peer did not apply 1-1-40,2-2-7 within 2 s (--catchup-timeout); rolled back: this node is writable again (read_only=OFF), nothing changed');
    expect(w.local.readOnly).toBe(false);
    expect(w.isMaintenance()).toBe(false);
    expect(w.events.at(-1)).toBe('lock released');
  });

  it('does not roll back once the VIP has left: read-only stays, never two writers', async () => {
    const w = world({ peerWaits: -1, vipLeavesDuringCatchUp: true });
    const o = await runSwitchover(SPEC, w.deps);
    expect(o.result).toBe('failed');
    expect(o.message).toMatch(/NOT rolled back: VIP 192\.0\.2\.100 left this node meanwhile, so it stays read-only \(read_only=ON\)/);
    expect(w.local.readOnly).toBe(true);
  });

  it('stays in maintenance and read-only when the VIP answers as nobody: unconfirmed, the peer left read-only', async () => {
    const w = world({ vipGoesTo: 'nowhere' });
    const o = await runSwitchover(SPEC, w.deps);
    expect(o.result).toBe('unconfirmed');
    expect(o.message).toMatch(/VIP 192\.0\.2\.100 left this node but does not answer as the peer after 1 s \(connect ETIMEDOUT/);
    expect(w.local.readOnly).toBe(true);
    expect(w.peer.readOnly).toBe(true);
    expect(w.isMaintenance()).toBe(true);
  });

  it('--dry-run changes nothing', async () => {
    const w = world();
    const o = await runSwitchover({ ...SPEC, dryRun: true }, w.deps);
    expect(o).toMatchObject({ result: 'dry-run', ok: true });
    expect(o.plan?.length).toBeGreaterThan(4);
    expect(w.events).toEqual([]);
    expect([...w.local.log, ...w.peer.log].filter((q) => q.startsWith('SET') || q.startsWith('KILL'))).toEqual([]);
  });

  it('refuses an errant peer with nothing changed', async () => {
    const w = world();
    w.peer.binlogState = '1-1-40,2-2-8';
    const o = await runSwitchover(SPEC, w.deps);
    expect(o.result).toBe('refused');
    expect(o.message).toBe('refused: errant transactions on the peer (executed there, not on the writer): 2-2-8; nothing changed');
    expect(w.events).toEqual([]);
  });
});
