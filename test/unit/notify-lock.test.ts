/**
 * The notify lock's rules behind an in-memory LockFs: files in a Map, live pids in a Set, and a
 * clock that only sleep() moves. The real LockFs (node-lock-fs.ts) gets a short test of its own
 * against a temp dir.
 */
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { acquireLock, promotionInProgress, type LockFs } from '../../src/notify/lock-file.js';
import { nodeLockFs } from '../../src/notify/node-lock-fs.js';

const LOCK = '/run/lock/check-mysql-notify.lock';
const ME = 4242;
const OTHER = 3131;

function fakeHost(files: Record<string, string> = {}, alive: number[] = [ME]) {
  const disk = new Map(Object.entries(files));
  const live = new Set(alive);
  let clock = 0;
  const sleeps: number[] = [];
  /** Called at each sleep, with the number of sleeps so far: lets a test change the world meanwhile. */
  let onSleep: (n: number) => void = () => {};
  const fs: LockFs = {
    openExclusive(path, content) {
      if (disk.has(path)) return false;
      disk.set(path, content);
      return true;
    },
    read: (path) => disk.get(path) ?? null,
    unlink: (path) => void disk.delete(path),
    pidAlive: (pid) => live.has(pid),
    async sleep(ms) {
      sleeps.push(ms);
      clock += ms;
      onSleep(sleeps.length);
    },
  };
  return { fs, disk, live, sleeps, now: () => clock, whileWaiting: (f: (n: number) => void) => (onSleep = f) };
}

describe('acquireLock', () => {
  it('takes a free lock at once, writing "PID STATE", and its release removes it', async () => {
    const host = fakeHost();
    const release = await acquireLock(LOCK, ME, 'MASTER', 1000, host.now, host.fs);
    expect(host.disk.get(LOCK)).toBe(`${ME} MASTER\n`);
    expect(host.sleeps).toEqual([]);
    release();
    expect(host.disk.has(LOCK)).toBe(false);
  });

  it('waits while a live run holds it, then gives up with a message naming the file and the wait', async () => {
    const host = fakeHost({ [LOCK]: `${OTHER} MASTER\n` }, [ME, OTHER]);
    await expect(acquireLock(LOCK, ME, 'BACKUP', 200, host.now, host.fs)).rejects.toThrow(`another notify run holds ${LOCK} for over 0.2 s`);
    expect(host.sleeps).toEqual([50, 50, 50, 50]);
    expect(host.disk.get(LOCK), 'the holder keeps its lock').toBe(`${OTHER} MASTER\n`);
  });

  it('takes the lock as soon as the holder releases it', async () => {
    const host = fakeHost({ [LOCK]: `${OTHER} MASTER\n` }, [ME, OTHER]);
    host.whileWaiting((n) => n === 3 && host.disk.delete(LOCK));
    await acquireLock(LOCK, ME, 'BACKUP', 10_000, host.now, host.fs);
    expect(host.disk.get(LOCK)).toBe(`${ME} BACKUP\n`);
    expect(host.sleeps).toHaveLength(3);
  });

  it.each([
    { name: 'whose owner is gone', content: `${OTHER} MASTER\n` },
    { name: 'holding garbage', content: 'garbage' },
    { name: 'naming pid 0', content: '0 MASTER\n' },
    { name: 'naming a negative pid', content: '-1 MASTER\n' },
  ])('takes over a lock $name, without waiting', async ({ content }) => {
    const host = fakeHost({ [LOCK]: content });
    await acquireLock(LOCK, ME, 'FAULT', 1000, host.now, host.fs);
    expect(host.disk.get(LOCK)).toBe(`${ME} FAULT\n`);
    expect(host.sleeps).toEqual([]);
  });

  it('a dead owner\'s lock that cannot be removed ends in the timeout, not a busy loop', async () => {
    const host = fakeHost({ [LOCK]: `${OTHER} MASTER\n` });
    host.fs.unlink = () => {}; // e.g. another user's file in a sticky directory
    await expect(acquireLock(LOCK, ME, 'BACKUP', 100, host.now, host.fs)).rejects.toThrow(`another notify run holds ${LOCK} for over 0.1 s`);
    expect(host.sleeps).toEqual([50, 50]);
  });

  it('a lock that cannot be read is waited on, not taken over', async () => {
    const host = fakeHost({ [LOCK]: `${OTHER} MASTER\n` });
    host.fs.read = () => null;
    await expect(acquireLock(LOCK, ME, 'BACKUP', 100, host.now, host.fs)).rejects.toThrow('another notify run holds');
    expect(host.disk.get(LOCK)).toBe(`${OTHER} MASTER\n`);
  });

  it('release leaves alone a lock that another run has taken over since', async () => {
    const host = fakeHost();
    const release = await acquireLock(LOCK, ME, 'MASTER', 1000, host.now, host.fs);
    host.disk.set(LOCK, `${OTHER} BACKUP\n`);
    release();
    expect(host.disk.get(LOCK)).toBe(`${OTHER} BACKUP\n`);
  });

  it('release after the lock file vanished does nothing', async () => {
    const host = fakeHost();
    const release = await acquireLock(LOCK, ME, 'MASTER', 1000, host.now, host.fs);
    host.disk.delete(LOCK);
    expect(() => release()).not.toThrow();
    expect(host.disk.has(LOCK)).toBe(false);
  });

  it('an error other than "exists" (say EACCES) is not waited out', async () => {
    const host = fakeHost();
    host.fs.openExclusive = () => {
      throw Object.assign(new Error(`EACCES: permission denied, open '${LOCK}'`), { code: 'EACCES' });
    };
    await expect(acquireLock(LOCK, ME, 'MASTER', 1000, host.now, host.fs)).rejects.toThrow('EACCES');
    expect(host.sleeps).toEqual([]);
  });
});

describe('promotionInProgress: a live notify run holds the lock for MASTER', () => {
  it.each<{ name: string; files: Record<string, string>; promoting: boolean }>([
    { name: 'no lock file', files: {}, promoting: false },
    { name: 'a live MASTER run', files: { [LOCK]: `${OTHER} MASTER\n` }, promoting: true },
    { name: 'a live BACKUP run', files: { [LOCK]: `${OTHER} BACKUP\n` }, promoting: false },
    { name: 'a live FAULT run', files: { [LOCK]: `${OTHER} FAULT\n` }, promoting: false },
    { name: 'a MASTER run that died', files: { [LOCK]: '999999 MASTER\n' }, promoting: false },
    { name: 'garbage', files: { [LOCK]: 'garbage' }, promoting: false },
    { name: 'an empty file', files: { [LOCK]: '' }, promoting: false },
    { name: 'MASTER without a pid', files: { [LOCK]: ' MASTER\n' }, promoting: false },
    { name: 'pid 0', files: { [LOCK]: '0 MASTER\n' }, promoting: false },
  ])('$name -> $promoting', ({ files, promoting }) => {
    const host = fakeHost(files, [ME, OTHER]);
    expect(promotionInProgress(LOCK, host.fs)).toBe(promoting);
  });
});

describe('nodeLockFs: the real files and /proc', () => {
  const dir = mkdtempSync(join(tmpdir(), 'check-mysql-lock-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('creates exclusively, reads, and removes (twice without error)', () => {
    const path = join(dir, 'a.lock');
    expect(nodeLockFs.openExclusive(path, '1 MASTER\n')).toBe(true);
    expect(nodeLockFs.openExclusive(path, '2 BACKUP\n')).toBe(false);
    expect(nodeLockFs.read(path)).toBe('1 MASTER\n');
    nodeLockFs.unlink(path);
    nodeLockFs.unlink(path);
    expect(nodeLockFs.read(path)).toBeNull();
  });

  it('does not create through a symbolic link', () => {
    const target = join(dir, 'target');
    const link = join(dir, 'b.lock');
    symlinkSync(target, link);
    expect(nodeLockFs.openExclusive(link, '1 MASTER\n')).toBe(false);
    expect(nodeLockFs.read(target)).toBeNull();
  });

  it('other errors are thrown', () => {
    expect(() => nodeLockFs.openExclusive(join(dir, 'no-such-dir', 'c.lock'), 'x')).toThrow(/ENOENT/);
  });

  it('knows a live pid from a gone one', () => {
    expect(nodeLockFs.pidAlive(process.pid)).toBe(true);
    expect(nodeLockFs.pidAlive(2 ** 22 + 1)).toBe(false); // above Linux's pid_max limit
  });
});
