import { describe, expect, it } from 'vitest';
import { SERVER_VARIABLES_SQL } from '../../src/dialect/server-info.js';
import type { Connector, Session } from '../../src/types/session.js';
import type { TargetConfig } from '../../src/daemon/daemon-config.js';
import { initialState } from '../../src/daemon/hysteresis.js';
import type { TargetState } from '../../src/types/target-state.js';
import { CONFIRM_FAILURE_MS, TargetMonitor, type MonitorDeps } from '../../src/daemon/monitor.js';
import { TARGETS_PER_INSTANT } from '../../src/daemon/check-grid.js';
import { variablesRows } from '../helpers/scripted-db.js';

/** A server we can kill and revive, and a clock whose timers fire only when the test says so. */
function world() {
  let alive = true;
  let standbyBroken = false;
  /** How long each statement takes on the fake clock. */
  let queryMs = 0;
  let connects = 0;
  const sessions: { lose(): void }[] = [];
  let clock = 0;
  const timers: { at: number; fn: () => void; id: number }[] = [];
  let nextId = 0;
  const connect: Connector = async () => {
    connects++;
    if (!alive) throw Object.assign(new Error('connect ECONNREFUSED 192.0.2.1:3306'), { code: 'ECONNREFUSED' });
    let usable = true;
    const listeners: ((why: string) => void)[] = [];
    const session: Session = {
      get usable() {
        return usable;
      },
      threadId: connects,
      onLost: (l) => listeners.push(l),
      async query(sql) {
        if (!usable) throw Object.assign(new Error('Connection lost'), { code: 'PROTOCOL_CONNECTION_LOST' });
        clock += queryMs;
        if (sql === SERVER_VARIABLES_SQL) return variablesRows('ON');
        return [{ Connection_name: '', Slave_IO_Running: 'Yes', Slave_SQL_Running: standbyBroken ? 'No' : 'Yes', Seconds_Behind_Master: 0, Last_SQL_Errno: 0, Last_IO_Errno: 0 }];
      },
      async queryBatch(sqls, deadline) {
        const out = [];
        for (const sql of sqls) out.push(await session.query(sql, deadline));
        return out;
      },
      async close() {
        usable = false;
      },
    };
    sessions.push({
      lose: () => {
        usable = false;
        for (const l of listeners.splice(0)) l('server closed the connection');
      },
    });
    return session;
  };
  const deps: MonitorDeps = {
    connect,
    now: () => clock,
    wallClock: () => 1_800_000_000_000 + clock,
    networkInterfaces: () => ({}),
    timers: {
      setTimeout: (fn, ms) => {
        const id = ++nextId;
        timers.push({ at: clock + ms, fn, id });
        return id;
      },
      clearTimeout: (id) => {
        const i = timers.findIndex((t) => t.id === id);
        if (i >= 0) timers.splice(i, 1);
      },
    },
  };
  const flush = () => new Promise((r) => setImmediate(r));
  /** Fires due timers and lets the async checks they start finish. */
  async function advance(ms: number) {
    const end = clock + ms;
    for (;;) {
      await flush();
      timers.sort((a, b) => a.at - b.at);
      const t = timers[0];
      if (!t || t.at > end) break;
      timers.shift();
      clock = t.at;
      t.fn();
      await flush();
    }
    clock = end;
    await flush();
  }
  return {
    deps,
    advance,
    kill: () => {
      alive = false;
      for (const s of sessions.splice(0)) s.lose();
    },
    revive: () => (alive = true),
    /** The connection drops, the server stays up. */
    drop: () => {
      for (const s of sessions.splice(0)) s.lose();
    },
    slow: (ms: number) => (queryMs = ms),
    breakStandby: (broken: boolean) => (standbyBroken = broken),
    connects: () => connects,
    now: () => clock,
  };
}

const target: TargetConfig = {
  name: 'db1',
  connection: { label: '192.0.2.1:3306', host: '192.0.2.1', port: 3306, user: 'check' },
  timeoutMs: 800,
  policy: { maxLagSeconds: 30, role: 'auto', onSaturated: 'healthy', channels: [] },
  intervalMs: 1000,
  rise: 2,
  fall: 2,
  labels: {},
};

function watch(w: ReturnType<typeof world>, t: TargetConfig = target, position = 0) {
  const seen: { at: number; state: TargetState }[] = [];
  const m = new TargetMonitor(t, w.deps, initialState(w.deps.wallClock()), (state) => seen.push({ at: w.now(), state }), position);
  m.start();
  const faultAt = () => seen.find((s, i) => i > 0 && !s.state.healthy && seen[i - 1]!.state.healthy)?.at;
  return { m, seen, faultAt };
}

describe('target monitor', () => {
  it('starts in fault and becomes healthy after rise checks, one interval apart', async () => {
    const w = world();
    const { m, seen } = watch(w);
    await w.advance(0);
    expect(m.current.healthy).toBe(false);
    await w.advance(1000);
    expect(m.current.healthy).toBe(true);
    expect(seen.map((s) => s.at)).toEqual([0, 1000]);
    expect(w.connects()).toBe(1); // the connection is held, not reopened per check
  });

  it('a killed server is re-checked at once and in fault after fall checks, CONFIRM_FAILURE_MS apart', async () => {
    const w = world();
    const { m, faultAt } = watch(w);
    await w.advance(1500);
    expect(m.current.healthy).toBe(true);
    w.kill();
    await w.advance(0);
    expect(m.current.consecutiveFail).toBe(1);
    await w.advance(CONFIRM_FAILURE_MS);
    expect(m.current.healthy).toBe(false);
    expect(faultAt()).toBe(1500 + CONFIRM_FAILURE_MS);
    expect(m.current.lastReport?.verdict.reasons[0]?.code).toBe('refused');
  });

  it('policy failures (a stopped SQL thread) count toward fall at the normal interval', async () => {
    const w = world();
    const { m, faultAt } = watch(w);
    await w.advance(1000);
    w.breakStandby(true);
    await w.advance(1000);
    expect(m.current.consecutiveFail).toBe(1);
    expect(m.current.healthy).toBe(true);
    await w.advance(1000);
    expect(m.current.healthy).toBe(false);
    expect(faultAt()).toBe(3000);
  });

  it('a revived server is healthy again after rise good checks', async () => {
    const w = world();
    const { m } = watch(w);
    await w.advance(1000);
    w.kill();
    await w.advance(100);
    expect(m.current.healthy).toBe(false);
    w.revive();
    await w.advance(1000);
    expect(m.current.healthy).toBe(false);
    await w.advance(1000);
    expect(m.current.healthy).toBe(true);
  });

  it('stops checking after stop()', async () => {
    const w = world();
    const { m, seen } = watch(w);
    await w.advance(1000);
    await m.stop();
    const n = seen.length;
    await w.advance(5000);
    expect(seen.length).toBe(n);
  });

  describe('on the shared grid (src/daemon/check-grid.ts)', () => {
    it('checks at the multiples of the interval, however long a check takes (fixed rate)', async () => {
      const w = world();
      w.slow(150); // two statements a check: each check ends 300 ms after it began
      const { seen } = watch(w);
      await w.advance(2500);
      expect(seen.map((s) => s.at)).toEqual([300, 1300, 2300]);
    });

    it('a check out of turn (a dropped connection) does not move the grid', async () => {
      const w = world();
      const { seen } = watch(w);
      await w.advance(1500);
      w.drop();
      await w.advance(1000);
      expect(seen.map((s) => s.at)).toEqual([0, 1000, 1500, 2000]);
    });

    it('targets started at different times are checked at the same instants', async () => {
      const w = world();
      const a = watch(w);
      await w.advance(300);
      const b = watch(w, { ...target, name: 'db2' });
      await w.advance(2000);
      expect(a.seen.map((s) => s.at)).toEqual([0, 1000, 2000]);
      expect(b.seen.map((s) => s.at)).toEqual([300, 1000, 2000]);
    });

    it('the 101st target of the config is checked a tenth of an interval after the first hundred', async () => {
      const w = world();
      const first = watch(w);
      const hundredFirst = watch(w, { ...target, name: 'db101' }, TARGETS_PER_INSTANT);
      await w.advance(2500);
      expect(first.seen.map((s) => s.at)).toEqual([0, 1000, 2000]);
      expect(hundredFirst.seen.map((s) => s.at)).toEqual([0, 1100, 2100]);
    });
  });
});
