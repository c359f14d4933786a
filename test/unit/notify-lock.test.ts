/**
 * The notify lock's rules behind the in-memory host of lock-host.ts. The real LockFs
 * (node-flock.ts), with real users, flock(2) and 1,000 racing runs, is proven in
 * test/integration/notify-lock.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { acquirePromotionLock, promotionInProgress } from '../../src/notify/lock-file.js';
import { heldForWrite, splitDev } from '../../src/notify/proc-locks.js';
import { DIR, LOCK, NOBODY, ROOT, US, dirAt, fileAt, lockHost, type PathSetup } from './lock-host.js';

const PID = 4242;
const OTHER = 3131;
const acquire = (host: ReturnType<typeof lockHost>, waitMs = 1000, path = LOCK) => acquirePromotionLock(path, PID, waitMs, host.now, host.fs);

describe('acquirePromotionLock: flock(2) in a directory only we can write', () => {
  it('takes a free lock at once, writes "PID MASTER" through it, and its release lets it go', async () => {
    const host = lockHost();
    const release = await acquire(host);
    expect(host.disk.get(LOCK)).toMatchObject({ content: `${PID} MASTER\n`, facts: { kind: 'file', uid: US, mode: 0o600 } });
    expect(host.held.size).toBe(1);
    expect(host.waits).toEqual([]);
    release();
    expect(host.held.size).toBe(0);
    expect(host.disk.has(LOCK), 'never unlinked: a run waiting on it would lock a file no one else sees').toBe(true);
    expect(host.openCount()).toBe(0);
  });

  it('creates a missing directory 0755, then locks in it', async () => {
    const host = lockHost({ paths: { '/run': dirAt(ROOT, 0o755) } });
    host.remove(DIR);
    await acquire(host);
    expect(host.disk.get(DIR)?.facts).toMatchObject({ kind: 'directory', uid: US, mode: 0o755 });
  });

  it('a directory it cannot create refuses promotion, in one line', async () => {
    const host = lockHost();
    host.remove(DIR);
    host.fs.mkdir = () => {
      throw Object.assign(new Error("EACCES: permission denied, mkdir '/run/check-mysql'"), { code: 'EACCES' });
    };
    await expect(acquire(host)).rejects.toThrow("not promoting: cannot create lock directory /run/check-mysql: EACCES: permission denied, mkdir '/run/check-mysql'");
  });

  it.each([
    { name: 'owned by another user', dir: dirAt(NOBODY, 0o755), problem: 'is owned by uid 65534, not by root or uid 1000 (us)' },
    { name: 'world-writable and sticky, like /run/lock', dir: dirAt(ROOT, 0o1777), problem: 'is writable by group or others (mode 1777)' },
    { name: 'ours but group-writable', dir: dirAt(US, 0o775), problem: 'is writable by group or others (mode 0775)' },
    { name: 'a symbolic link', dir: fileAt(US, 0o777, 'symlink'), problem: 'is a symbolic link' },
    { name: 'a regular file', dir: fileAt(US, 0o600), problem: 'is not a directory' },
  ])('a lock directory $name refuses promotion without waiting', async ({ dir, problem }) => {
    const host = lockHost({ paths: { [DIR]: dir } });
    await expect(acquire(host)).rejects.toThrow(`not promoting: lock directory ${DIR} ${problem}`);
    expect(host.waits).toEqual([]);
    expect(host.disk.has(LOCK)).toBe(false);
  });

  it('a root-owned directory is trusted', async () => {
    const host = lockHost({ paths: { [DIR]: dirAt(ROOT, 0o755) } });
    await expect(acquire(host)).resolves.toBeTypeOf('function');
  });

  it.each([
    { name: 'owned by another user', file: fileAt(NOBODY, 0o600), problem: 'is owned by uid 65534, not by root or uid 1000 (us)' },
    { name: 'readable by others (who could flock it)', file: fileAt(US, 0o644), problem: 'can be opened by group or others (mode 0644)' },
    { name: 'a FIFO', file: fileAt(US, 0o600, 'other'), problem: 'is not a regular file' },
  ])('a lock file $name refuses promotion without waiting, and is left as it is', async ({ file, problem }) => {
    const host = lockHost({ paths: { [LOCK]: { ...file, content: `${OTHER} MASTER\n` } } });
    await expect(acquire(host)).rejects.toThrow(`not promoting: lock file ${LOCK} ${problem}`);
    expect(host.waits).toEqual([]);
    expect(host.disk.get(LOCK)?.content).toBe(`${OTHER} MASTER\n`);
    expect(host.openCount()).toBe(0);
  });

  it('a symbolic link in place of the lock file is not followed', async () => {
    const host = lockHost({ paths: { [LOCK]: fileAt(US, 0o777, 'symlink') } });
    await expect(acquire(host)).rejects.toThrow(`not promoting: cannot open lock file ${LOCK}: ELOOP`);
  });

  it('waits for the whole budget while another MASTER run holds it, then gives up naming the file', async () => {
    const host = lockHost({ paths: { [LOCK]: { ...fileAt(US, 0o600), content: `${OTHER} MASTER\n` } } });
    host.holdElsewhere(LOCK);
    await expect(acquire(host, 50_000)).rejects.toThrow(`not promoting: another notify run has held ${LOCK} for over 50 s`);
    expect(host.waits).toEqual([50_000]);
    expect(host.disk.get(LOCK)?.content, "the holder's content stays").toBe(`${OTHER} MASTER\n`);
    expect(host.openCount()).toBe(0);
  });

  it('takes the lock as soon as the holder lets it go, and old content is simply overwritten', async () => {
    const host = lockHost({ paths: { [LOCK]: { ...fileAt(US, 0o600), content: `${OTHER} MASTER\n` } } });
    host.holdElsewhere(LOCK);
    host.whileWaiting(() => host.held.clear());
    await acquire(host);
    expect(host.disk.get(LOCK)?.content).toBe(`${PID} MASTER\n`);
  });

  it('a lock file removed or replaced while we waited is locked afresh: a lock on the old one excludes no one', async () => {
    const host = lockHost({ paths: { [LOCK]: fileAt(US, 0o600) } });
    const old = host.disk.get(LOCK)!;
    host.holdElsewhere(LOCK);
    host.whileWaiting((n) => {
      if (n !== 1) return;
      host.remove(LOCK);
      host.held.clear(); // the old holder ends; our wait on the old inode succeeds
    });
    await acquire(host);
    const now = host.disk.get(LOCK)!;
    expect(now.facts.ino).not.toBe(old.facts.ino);
    expect(now.content).toBe(`${PID} MASTER\n`);
    expect([...host.held.keys()]).toEqual([now.facts.ino]);
    expect(host.openCount(), 'the descriptor on the old file is closed').toBe(1);
  });
});

describe('promotionInProgress: only a MASTER run of ours that really holds the lock', () => {
  const MASTER = `${OTHER} MASTER\n`;
  type Case = { name: string; paths?: Record<string, PathSetup>; content?: string; held?: boolean; alive?: boolean; promoting: boolean };
  it.each<Case>([
    { name: 'a live MASTER run holding it', content: MASTER, held: true, alive: true, promoting: true },
    { name: 'no lock file', promoting: false },
    { name: 'stale content: MASTER, but no one holds the lock (the run ended, or a reboot)', content: MASTER, held: false, alive: true, promoting: false },
    { name: 'held, MASTER, but its pid is gone', content: MASTER, held: true, alive: false, promoting: false },
    { name: 'held for another state', content: `${OTHER} BACKUP\n`, held: true, alive: true, promoting: false },
    { name: 'held, just truncated', content: '', held: true, alive: true, promoting: false },
    { name: 'held, garbage', content: 'garbage', held: true, alive: true, promoting: false },
    { name: 'held, pid 0', content: '0 MASTER\n', held: true, alive: true, promoting: false },
    { name: 'held, MASTER without a pid', content: ' MASTER\n', held: true, alive: true, promoting: false },
    { name: 'held and live, but in a directory another user owns', paths: { [DIR]: dirAt(NOBODY, 0o755) }, content: MASTER, held: true, alive: true, promoting: false },
    { name: 'held and live, but in a world-writable directory like /run/lock', paths: { [DIR]: dirAt(ROOT, 0o1777) }, content: MASTER, held: true, alive: true, promoting: false },
    { name: 'held and live, but the directory is a symbolic link', paths: { [DIR]: fileAt(US, 0o777, 'symlink') }, content: MASTER, held: true, alive: true, promoting: false },
    { name: 'held and live, but the file is another user\'s', paths: { [LOCK]: fileAt(NOBODY, 0o600) }, content: MASTER, held: true, alive: true, promoting: false },
    { name: 'held and live, but the file can be opened by others', paths: { [LOCK]: fileAt(US, 0o644) }, content: MASTER, held: true, alive: true, promoting: false },
  ])('$name -> $promoting', ({ paths = {}, content, held, alive, promoting }) => {
    const host = lockHost({ paths: { ...(content !== undefined && !(LOCK in paths) && { [LOCK]: fileAt(US, 0o600) }), ...paths }, alive: alive ? [OTHER] : [] });
    if (content !== undefined) host.disk.get(LOCK)!.content = content;
    if (held) host.holdElsewhere(LOCK);
    expect(promotionInProgress(LOCK, host.fs)).toBe(promoting);
    expect(host.openCount()).toBe(0);
  });

  it('a lock table it cannot read, or any error, means not promoting (never a throw)', () => {
    const host = lockHost({ paths: { [LOCK]: { ...fileAt(US, 0o600), content: MASTER } }, alive: [OTHER] });
    host.holdElsewhere(LOCK);
    host.fs.locks = () => null;
    expect(promotionInProgress(LOCK, host.fs)).toBe(false);
    host.fs.lstat = () => {
      throw Object.assign(new Error('EACCES'), { code: 'EACCES' });
    };
    expect(promotionInProgress(LOCK, host.fs)).toBe(false);
  });

  it('our own MASTER run, from acquire to release', async () => {
    const host = lockHost({ alive: [PID] });
    const release = await acquire(host);
    expect(promotionInProgress(LOCK, host.fs)).toBe(true);
    release();
    expect(promotionInProgress(LOCK, host.fs), 'the content stays, but no one holds it').toBe(false);
  });
});

describe('/proc/locks', () => {
  it.each([
    ['fe:00 (a virtio disk, 254:0)', 0xfe00n, 254n, 0n],
    ['00:1a (tmpfs)', 0x1an, 0n, 0x1an],
    ['259:3 (nvme, major above 255)', (259n << 8n) | 3n, 259n, 3n],
    ['8:300 (minor above 255)', (8n << 8n) | 0x2cn | (0x1n << 20n), 8n, 300n],
  ])('splits dev_t %s as glibc does', (_name, dev, major, minor) => {
    expect(splitDev(dev)).toEqual({ major, minor });
  });

  const TABLE = [
    '1: POSIX  ADVISORY  WRITE 812 fe:00:1835027 0 EOF',
    '2: FLOCK  ADVISORY  READ 900 fe:00:1835028 0 EOF',
    '3: FLOCK  ADVISORY  WRITE 13108 fe:00:2146946 0 EOF',
    '3: -> FLOCK  ADVISORY  WRITE 13200 fe:00:2146947 0 EOF',
    '4: OFDLCK ADVISORY  WRITE -1 fe:00:2146948 0 EOF',
  ].join('\n');
  it.each([
    ['an exclusive flock', 2146946n, true],
    ['a POSIX lock (not ours)', 1835027n, false],
    ['a shared flock', 1835028n, false],
    ['a waiter only', 2146947n, false],
    ['an OFD lock', 2146948n, false],
    ['an inode with no lock', 99n, false],
  ])('%s -> %s', (_name, ino, held) => {
    expect(heldForWrite(TABLE, 0xfe00n, ino)).toBe(held);
  });

  it('the same inode number on another device is another file', () => {
    expect(heldForWrite(TABLE, 0x1an, 2146946n)).toBe(false);
  });
});
