/**
 * The real notify lock (node-flock.ts): flock(2) through util-linux flock(1), /proc/locks, real
 * directories and another real user. Then the race: 1,000 lock acquisitions by 20 processes at
 * once, whose critical sections must never overlap. (The lock it replaced, create-exclusive then
 * write the pid, overlapped 11 to 30 times per 1,000 in the same race.)
 */
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, mkdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { acquirePromotionLock, promotionInProgress } from '../../src/notify/lock-file.js';
import { nodeFlock } from '../../src/notify/node-flock.js';
import { REPO_ROOT } from '../helpers/repo.js';
import { describeNeeding } from '../helpers/suite.js';
import { makeTempDir, removeTempDir } from '../helpers/temp-dir.js';

const PROCESSES = 20;
const ITERATIONS = 50;
const now = () => performance.now();

function missing(): string | undefined {
  if (process.getuid?.() !== 0) return 'planting files as another user (chown, setpriv) needs root';
  if (spawnSync('/usr/bin/flock', ['--version']).status !== 0) return 'util-linux flock(1) not found at /usr/bin/flock';
  return undefined;
}

describeNeeding(missing(), 'the notify lock on a real host: flock(2) in a directory only we can write', () => {
  let dir: string;
  let worker: string;

  beforeAll(async () => {
    dir = await makeTempDir();
    chmodSync(dir, 0o755);
    worker = join(dir, 'race-worker.cjs');
    await build({ entryPoints: [join(REPO_ROOT, 'test', 'helpers', 'lock', 'race-worker.ts')], bundle: true, platform: 'node', format: 'cjs', target: 'node20', outfile: worker, logLevel: 'warning' });
  });

  afterAll(async () => {
    if (dir) await removeTempDir(dir);
  });

  it('a MASTER run is seen while it holds the lock, and not after: the content it leaves is not believed', async () => {
    const lock = join(dir, 'run-a', 'notify.lock');
    const release = await acquirePromotionLock(lock, process.pid, 1000, now, nodeFlock);
    expect(statSync(join(dir, 'run-a')).mode & 0o7777, 'created for us').toBe(0o755);
    expect(statSync(lock).mode & 0o7777).toBe(0o600);
    expect(readFileSync(lock, 'utf8')).toBe(`${process.pid} MASTER\n`);
    expect(promotionInProgress(lock, nodeFlock)).toBe(true);
    release();
    expect(readFileSync(lock, 'utf8')).toBe(`${process.pid} MASTER\n`);
    expect(promotionInProgress(lock, nodeFlock)).toBe(false);
  });

  it('a second MASTER run waits for the first, for at most its budget', async () => {
    const lock = join(dir, 'run-b', 'notify.lock');
    const release = await acquirePromotionLock(lock, process.pid, 1000, now, nodeFlock);
    const t0 = now();
    await expect(acquirePromotionLock(lock, process.pid, 300, now, nodeFlock)).rejects.toThrow(`not promoting: another notify run has held ${lock} for over 0.3 s`);
    expect(now() - t0).toBeGreaterThanOrEqual(290);
    expect(now() - t0).toBeLessThan(1000);
    setTimeout(release, 200);
    await (await acquirePromotionLock(lock, process.pid, 5000, now, nodeFlock))();
  });

  it('a run killed while holding the lock leaves nothing to take over: the kernel lets it go', async () => {
    const lock = join(dir, 'run-c', 'notify.lock');
    const child = spawn(process.execPath, [worker, lock, join(dir, 'run-c.log'), '1', '60000'], { stdio: 'ignore' });
    const log = join(dir, 'run-c.log');
    for (let i = 0; i < 200 && !safeRead(log).includes('enter'); i++) await new Promise((r) => setTimeout(r, 25));
    expect(promotionInProgress(lock, nodeFlock)).toBe(true);
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    expect(promotionInProgress(lock, nodeFlock), 'the dead run\'s content is still there, not believed').toBe(false);
    const t0 = now();
    (await acquirePromotionLock(lock, process.pid, 5000, now, nodeFlock))();
    expect(now() - t0).toBeLessThan(500);
  });

  it.each([
    { name: 'owned by nobody', setup: (d: string) => (mkdirSync(d), chownSync(d, 65534, 65534)), problem: 'is owned by uid 65534, not by root or uid 0 (us)' },
    { name: 'world-writable like /run/lock', setup: (d: string) => (mkdirSync(d), chmodSync(d, 0o1777)), problem: 'is writable by group or others (mode 1777)' },
    { name: 'a symbolic link to a good directory', setup: (d: string) => (mkdirSync(`${d}.real`, { mode: 0o755 }), symlinkSync(`${d}.real`, d)), problem: 'is a symbolic link' },
  ])('a lock directory $name: promotion refused at once, and a lock held in it is not believed', async ({ name, setup, problem }) => {
    const d = join(dir, `bad-${name.length}`);
    setup(d);
    const lock = join(d, 'notify.lock');
    await expect(acquirePromotionLock(lock, process.pid, 5000, now, nodeFlock)).rejects.toThrow(`not promoting: lock directory ${d} ${problem}`);
    // Held for real, by a live pid, for MASTER: still not believed.
    writeFileSync(lock, `${process.pid} MASTER\n`, { mode: 0o600 });
    const fd = nodeFlock.openForLock(lock);
    try {
      expect(await nodeFlock.flock(fd, 1000)).toBe(true);
      expect(promotionInProgress(lock, nodeFlock)).toBe(false);
    } finally {
      nodeFlock.close(fd);
    }
  });

  it('a lock file another user can open, or owns, refuses promotion and is not believed', async () => {
    for (const [name, prepare, problem] of [
      ['open', (f: string) => chmodSync(f, 0o644), 'can be opened by group or others (mode 0644)'],
      ['owned', (f: string) => chownSync(f, 65534, 65534), 'is owned by uid 65534, not by root or uid 0 (us)'],
    ] as const) {
      const lock = join(dir, `file-${name}`, 'notify.lock');
      (await acquirePromotionLock(lock, process.pid, 1000, now, nodeFlock))();
      prepare(lock);
      await expect(acquirePromotionLock(lock, process.pid, 1000, now, nodeFlock)).rejects.toThrow(`not promoting: lock file ${lock} ${problem}`);
    }
  });

  it(`${PROCESSES} processes x ${ITERATIONS} acquisitions at once: no two critical sections overlap, and a check sees every one`, async () => {
    const lock = join(dir, 'race', 'notify.lock');
    const log = join(dir, 'race.log');
    const t0 = now();
    const codes = await Promise.all(
      Array.from({ length: PROCESSES }, () => new Promise<number | null>((resolve) => {
        const child = spawn(process.execPath, [worker, lock, log, String(ITERATIONS), '1'], { stdio: ['ignore', 'ignore', 'inherit'] });
        child.once('exit', resolve);
      })),
    );
    const seconds = (now() - t0) / 1000;
    expect(codes).toEqual(Array(PROCESSES).fill(0));
    const lines = readFileSync(log, 'utf8').trim().split('\n').map((l) => l.split(' '));
    let inside: string | undefined;
    let overlaps = 0;
    for (const [event, pid, i] of lines) {
      if (event === 'enter') {
        if (inside !== undefined) overlaps++;
        inside = `${pid} ${i}`;
      } else if (inside === `${pid} ${i}`) inside = undefined;
    }
    const entries = lines.filter(([e]) => e === 'enter').length;
    const unseen = lines.filter(([e, , , , seen]) => e === 'exit' && seen !== 'promoting').length;
    console.log(`[notify-lock] ${entries} acquisitions by ${PROCESSES} processes in ${seconds.toFixed(1)} s: ${overlaps} overlaps, ${unseen} not seen by a check`);
    expect(entries).toBe(PROCESSES * ITERATIONS);
    expect(overlaps).toBe(0);
    expect(unseen).toBe(0);
    expect(seconds).toBeLessThan(60);
  }, 90_000);
});

function safeRead(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}
