/**
 * A track file keepalived cannot see is a fault: the daemon refuses to start when it cannot
 * write its files, reports a write that fails later in /health, /live and /metrics, and says on
 * SIGTERM only what it really did. The files are faked here so that any path can fail with any
 * errno; test/integration/daemon-files.test.ts does the same with real directories.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { fakeEdge, type FakeEdge } from '../helpers/daemon-deps.js';
import { freePort } from '../helpers/ports.js';
import { waitFor } from '../helpers/wait.js';

const CNF = '/etc/check-mysql/daemon.cnf';

function config(port: number, dir = '/run/c'): string {
  const target = (name: string) => `[target ${name}]\nhost = 192.0.2.1\ntrack-file = ${dir}/${name}.track\nstatus-file = ${dir}/${name}.json\n`;
  return `[daemon]\nlisten = 127.0.0.1:${port}\ninterval = 0.1\nrise = 1\nfall = 1\n${target('db1')}${target('db2')}`;
}

const get = async (port: number, path: string) => {
  const res = await fetch(`http://127.0.0.1:${port}${path}`);
  return { status: res.status, body: await res.text() };
};

let running: { edge: FakeEdge; exit: Promise<number> } | undefined;
afterEach(async () => {
  running?.edge.signal('SIGTERM');
  await running?.exit;
  running = undefined;
});

/** The exit code, or 'still running' after a second (the afterEach hook then stops it). */
async function refusal(edge: FakeEdge): Promise<number | string> {
  const exit = edge.run(['--config', CNF]);
  running = { edge, exit };
  return Promise.race([exit, new Promise<string>((r) => setTimeout(() => r('still running'), 1000))]);
}

async function start(dirModes: Record<string, number> = {}, configFiles: Record<string, string> = {}) {
  const port = await freePort();
  configFiles[CNF] = config(port);
  const edge = fakeEdge(configFiles, dirModes);
  const exit = edge.run(['--config', CNF]);
  running = { edge, exit };
  await waitFor('the daemon to start', () => edge.lines.find((l) => l.msg.startsWith('check-mysql daemon started')), { timeoutMs: 5000, intervalMs: 5 });
  await waitFor('a first check of both targets', () => edge.writes.get('/run/c/db2.json')! >= 3, { timeoutMs: 5000, intervalMs: 5 });
  return { edge, port, exit };
}

describe('the daemon and its files', () => {
  it('refuses to start, in one line, when a track file cannot be written; the others are set to 1 first', async () => {
    const edge = fakeEdge({ [CNF]: config(await freePort()) });
    edge.failing.set('/run/c/db1.track', 'ENOENT');
    expect(await refusal(edge)).toBe(2);
    expect(edge.stderr).toEqual(['check-mysql daemon: cannot write track file /run/c/db1.track of target db1: ENOENT: no such file or directory\n']);
    expect(edge.files.get('/run/c/db2.track')).toBe('1\n');
    expect(JSON.parse(edge.files.get('/run/c/db2.json')!)).toMatchObject({ healthy: false, state: 'starting' });
    expect(edge.lines).toEqual([]);
  });

  it('refuses to start when a status file cannot be written', async () => {
    const edge = fakeEdge({ [CNF]: config(await freePort()) });
    edge.failing.set('/run/c/db2.json', 'EROFS');
    expect(await refusal(edge)).toBe(2);
    expect(edge.stderr).toEqual(['check-mysql daemon: cannot write status file /run/c/db2.json of target db2: EROFS: read-only file system\n']);
    expect([edge.files.get('/run/c/db1.track'), edge.files.get('/run/c/db2.track')]).toEqual(['1\n', '1\n']);
  });

  it('a track file that stops being writable: /health/NAME and /live say 503 and why, the metric 0, one log line; all recover', async () => {
    const { edge, port } = await start();
    expect((await get(port, '/live')).status).toBe(200);
    const before = edge.lines.length;
    edge.failing.set('/run/c/db1.track', 'EROFS');
    await waitFor('the failed write to be seen', async () => (await get(port, '/live')).status === 503, { timeoutMs: 3000, intervalMs: 20 });

    const why = 'cannot write track file /run/c/db1.track: EROFS: read-only file system';
    expect(await get(port, '/live')).toEqual({ status: 503, body: `files: db1: ${why}\n` });
    expect(await get(port, '/health/db1')).toEqual({ status: 503, body: `unhealthy: db1 unknown - refused: connect ECONNREFUSED 192.0.2.1:3306; ${why}\n` });
    expect((await get(port, '/health/db2')).body).not.toContain('cannot write');
    const metrics = (await get(port, '/metrics')).body;
    expect(metrics).toContain('check_mysql_file_write_ok{target="db1",kind="track"} 0\n');
    expect(metrics).toContain('check_mysql_file_write_ok{target="db1",kind="status"} 1\n');
    expect(metrics).toContain('check_mysql_file_write_ok{target="db2",kind="track"} 1\n');
    // Several checks have failed to write by now: still one line, naming the file, not the temp file.
    await waitFor('more failed writes', () => edge.lines.length > before, { timeoutMs: 1000 });
    await new Promise((r) => setTimeout(r, 300));
    expect(edge.lines.slice(before).filter((l) => l.msg.includes('cannot write')).map((l) => l.msg)).toEqual([`db1: ${why}`]);

    edge.failing.delete('/run/c/db1.track');
    await waitFor('the write to work again', async () => (await get(port, '/live')).status === 200, { timeoutMs: 3000, intervalMs: 20 });
    expect((await get(port, '/metrics')).body).toContain('check_mysql_file_write_ok{target="db1",kind="track"} 1\n');
    expect(edge.lines.some((l) => l.msg === 'db1: writing /run/c/db1.track works again')).toBe(true);
  });

  it('a reload that drops a failing status file stops reporting it', async () => {
    const configFiles: Record<string, string> = {};
    const { edge, port } = await start({}, configFiles);
    edge.failing.set('/run/c/db1.json', 'EACCES');
    await waitFor('the failed write to be seen', async () => (await get(port, '/live')).status === 503, { timeoutMs: 3000, intervalMs: 20 });
    configFiles[CNF] = configFiles[CNF]!.replace('status-file = /run/c/db1.json\n', '');
    edge.signal('SIGHUP');
    await waitFor('the reload', () => edge.lines.some((l) => l.msg.startsWith('config reloaded')), { timeoutMs: 3000 });
    expect(await get(port, '/live')).toEqual({ status: 200, body: 'live\n' });
    expect((await get(port, '/metrics')).body).not.toContain('target="db1",kind="status"');
  });

  it('on SIGTERM, logs which track files were set to fault and which could not be, and exits 1', async () => {
    const { edge, exit } = await start();
    edge.failing.set('/run/c/db1.track', 'ENOENT');
    edge.signal('SIGTERM');
    expect(await exit).toBe(1);
    running = undefined;
    const stopped = edge.lines.find((l) => l.msg.startsWith('check-mysql daemon stopped'));
    expect(stopped?.msg).toBe('check-mysql daemon stopped (SIGTERM); track files set to fault: db2; track files NOT set to fault: db1 (/run/c/db1.track: ENOENT: no such file or directory)');
    expect(stopped).toMatchObject({ level: 'error', faulted: ['db2'], notFaulted: ['db1'] });
    expect(edge.files.get('/run/c/db2.track')).toBe('1\n');
  });

  it('on SIGTERM with every file written, says so and exits 0', async () => {
    const { edge, exit } = await start();
    edge.signal('SIGTERM');
    expect(await exit).toBe(0);
    running = undefined;
    expect(edge.lines.find((l) => l.msg.startsWith('check-mysql daemon stopped'))?.msg).toBe('check-mysql daemon stopped (SIGTERM); track files set to fault: db1, db2');
  });

  it('warns once at start when the files are in a directory others can write', async () => {
    const { edge } = await start({ '/run/c': 0o41777 });
    const warnings = edge.lines.filter((l) => l.msg.includes('others can write'));
    expect(warnings.map((l) => l.msg)).toEqual([
      "track/status files in a directory others can write: /run/c (mode 1777); anyone who can write there can replace what keepalived reads: use one only this daemon's user can write, such as /run/check-mysql",
    ]);
  });

  it('does not warn for a directory only its owner can write', async () => {
    const { edge } = await start({ '/run/c': 0o40755 });
    expect(edge.lines.filter((l) => l.msg.includes('others can write'))).toEqual([]);
  });

  it('holds SIGUSR1 (which would open the Node inspector) and logs one line when it comes', async () => {
    const { edge } = await start();
    expect(edge.hasHandler('SIGUSR1')).toBe(true);
    edge.signal('SIGUSR1');
    expect(edge.lines.filter((l) => l.signal === 'SIGUSR1').map((l) => l.msg)).toEqual(['SIGUSR1 received and ignored: the Node inspector is disabled in the daemon']);
  });
});
