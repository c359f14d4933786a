import { connect, type AddressInfo, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { applyCheck, initialState } from '../../src/daemon/hysteresis.js';
import { MAX_CONNECTIONS, createHealthServer, type TargetView } from '../../src/http/health-server.js';
import { DbFailure } from '../../src/types/failure.js';
import { evaluate } from '../../src/verdict/evaluate.js';
import type { Facts } from '../../src/types/facts.js';
import type { Server } from 'node:http';

const policy = { maxLagSeconds: 30, role: 'auto' as const, onSaturated: 'healthy' as const, channels: [] };
const NOW = 1_800_000_000_000;

function view(name: string, facts: Facts, checks: number, lastCheckAt = NOW, fileProblems: string[] = []): TargetView {
  let state = initialState(NOW - 10_000);
  const report = { facts, verdict: evaluate(facts, policy), elapsedMs: 2 };
  for (let i = 0; i < checks; i++) state = applyCheck(state, report, lastCheckAt, { rise: 2, fall: 2 });
  return { name, state, intervalMs: 1000, timeoutMs: 800, since: NOW - 10_000, fileProblems };
}

const NO_TRACK_DIR = 'cannot write track file /run/gone/db1.track: ENOENT: no such file or directory';

const writer: Facts = {
  target: '192.0.2.1:3306',
  connect: { ok: true, elapsedMs: 1 },
  server: { ok: true, elapsedMs: 1, value: { version: '10.11.6-MariaDB', versionComment: '', innodbVersion: '', flavor: 'mariadb', serverId: 1, readOnly: false, superReadOnly: null } },
  replication: { ok: true, elapsedMs: 1, value: [] },
};
const dead: Facts = { target: '192.0.2.2:3306', connect: { ok: false, elapsedMs: 1, error: new DbFailure('refused', 'connect ECONNREFUSED 192.0.2.2:3306') } };

let server: Server | undefined;
afterEach(() => new Promise<void>((r) => (server ? server.close(() => r()) : r())));

async function serve(targets: TargetView[]) {
  server = createHealthServer({ targets: () => targets, metrics: async () => 'mysql_up{target="db1"} 1\n', metricsContentType: 'text/plain; version=0.0.4', now: () => NOW });
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
  const port = (server!.address() as AddressInfo).port;
  return async (path: string, method = 'GET') => {
    const res = await fetch(`http://127.0.0.1:${port}${path}`, { method });
    return { status: res.status, body: await res.text(), type: res.headers.get('content-type') };
  };
}

describe('HTTP health endpoint', () => {
  it.each([
    ['/health with every target healthy', [view('db1', writer, 2)], '/health', 200, 'healthy: db1 writer\n'],
    ['/health with one target down', [view('db1', writer, 2), view('db2', dead, 2)], '/health', 503, 'healthy: db1 writer\nunhealthy: db2 unknown - refused: connect ECONNREFUSED 192.0.2.2:3306\n'],
    ['/health/NAME of a healthy target', [view('db1', writer, 2), view('db2', dead, 2)], '/health/db1', 200, 'healthy: db1 writer\n'],
    ['/health/NAME of a failed target', [view('db1', writer, 2), view('db2', dead, 2)], '/health/db2', 503, 'unhealthy: db2 unknown - refused: connect ECONNREFUSED 192.0.2.2:3306\n'],
    ['/health before rise is reached', [view('db1', writer, 1)], '/health', 503, 'unhealthy: db1 writer - recovering (rise not reached)\n'],
    ['an unknown target', [view('db1', writer, 2)], '/health/nope', 404, "no target 'nope'\n"],
    ['/live with fresh checks', [view('db1', writer, 2)], '/live', 200, 'live\n'],
    ['/live with a stuck target', [view('db1', writer, 2, NOW - 5000)], '/live', 503, 'stale: db1: last check 5.0 s ago (limit 3.8 s)\n'],
    ['an unknown path', [], '/nope', 404, 'not found: try /metrics, /health, /health/NAME or /live\n'],
    ['a malformed escape in a target name', [view('db1', writer, 2)], '/health/%ZZ', 400, 'malformed %-escape in the target name\n'],
    ['an escaped target name', [view('db.1', writer, 2)], '/health/db%2E1', 200, 'healthy: db.1 writer\n'],
    ['/health of a healthy target whose track file cannot be written', [view('db1', writer, 2, NOW, [NO_TRACK_DIR])], '/health', 503, `unhealthy: db1 writer - ${NO_TRACK_DIR}\n`],
    ['/health/NAME of a failed target whose track file cannot be written', [view('db2', dead, 2, NOW, [NO_TRACK_DIR])], '/health/db2', 503, `unhealthy: db2 unknown - refused: connect ECONNREFUSED 192.0.2.2:3306; ${NO_TRACK_DIR}\n`],
    ['/live while a track file cannot be written', [view('db1', writer, 2, NOW, [NO_TRACK_DIR])], '/live', 503, `files: db1: ${NO_TRACK_DIR}\n`],
    ['/live stale and unwritable', [view('db1', writer, 2, NOW - 5000, [NO_TRACK_DIR])], '/live', 503, `stale: db1: last check 5.0 s ago (limit 3.8 s)\nfiles: db1: ${NO_TRACK_DIR}\n`],
  ])('%s', async (_name, targets, path, status, body) => {
    const get = await serve(targets);
    expect(await get(path)).toMatchObject({ status, body });
  });

  it('serves /metrics from the registry, never the database', async () => {
    const get = await serve([view('db1', writer, 2)]);
    expect(await get('/metrics')).toEqual({ status: 200, body: 'mysql_up{target="db1"} 1\n', type: 'text/plain; version=0.0.4' });
  });

  it('answers HEAD without a body and refuses POST', async () => {
    const get = await serve([view('db1', writer, 2)]);
    expect(await get('/health', 'HEAD')).toMatchObject({ status: 200, body: '' });
    expect(await get('/health', 'POST')).toMatchObject({ status: 405 });
  });

  it(`holds at most ${MAX_CONNECTIONS} connections: one more is closed at once`, async () => {
    await serve([view('db1', writer, 2)]);
    const port = (server!.address() as AddressInfo).port;
    const open = (): Promise<{ socket: Socket; closed: Promise<void> }> =>
      new Promise((resolve, reject) => {
        const socket = connect(port, '127.0.0.1');
        const closed = new Promise<void>((r) => socket.once('close', () => r()));
        socket.once('connect', () => resolve({ socket, closed })).once('error', reject);
      });
    const held: Socket[] = [];
    try {
      for (let i = 0; i < MAX_CONNECTIONS; i++) held.push((await open()).socket);
      await expect.poll(() => new Promise((r) => server!.getConnections((_e, n) => r(n)))).toBe(MAX_CONNECTIONS);
      const extra = await open();
      held.push(extra.socket);
      await expect(Promise.race([extra.closed.then(() => 'closed'), new Promise((r) => setTimeout(() => r('still open'), 1000))])).resolves.toBe('closed');
      expect(held.slice(0, MAX_CONNECTIONS).every((s) => !s.destroyed)).toBe(true);
    } finally {
      for (const s of held) s.destroy();
    }
  });
});
