/**
 * lint-keepalived's deps on a real machine: bounded reads of configuration files, and the host
 * facts its host checks need (accounts, file modes, keepalived -t).
 */
import { spawnSync } from 'node:child_process';
import { closeSync, constants, fstatSync, lstatSync, openSync, readdirSync, readlinkSync, readSync, statSync, type Stats } from 'node:fs';
import { delimiter, join } from 'node:path';
import type { Account, ConfigTestRun, HostProbe, HostStat, LintDeps } from '../keepalived/host.js';
import { LIMITS } from '../keepalived/limits.js';

const coded = (code: string, message: string): Error => Object.assign(new Error(message), { code });

function kindOf(st: Stats): string {
  if (st.isFIFO()) return 'a FIFO';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  if (st.isSocket()) return 'a socket';
  return 'not a regular file';
}

/**
 * Reads a regular file of at most `max` bytes. Opened O_NONBLOCK, so a FIFO without a writer
 * does not block the open, then checked with fstat() before any read: a FIFO, a device such as
 * /dev/zero or a socket is refused (ENOTREG), a directory is EISDIR, a larger file EFBIG.
 */
export function readRegularFile(path: string, max: number = LIMITS.fileBytes): string {
  const fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY);
  try {
    const st = fstatSync(fd);
    if (st.isDirectory()) throw coded('EISDIR', `EISDIR: illegal operation on a directory, read '${path}'`);
    if (!st.isFile()) throw coded('ENOTREG', `${kindOf(st)}, not a regular file`);
    const tooBig = () => coded('EFBIG', `larger than ${max / 1024 / 1024} MiB`);
    if (st.size > max) throw tooBig();
    // One byte more than allowed, in case the file grew since fstat().
    const buf = Buffer.alloc(Math.min(st.size, max) + 1);
    let used = 0;
    for (let n; used < buf.length && (n = readSync(fd, buf, used, buf.length - used, null)) > 0; ) used += n;
    if (used > max) throw tooBig();
    return buf.toString('utf8', 0, used);
  } finally {
    closeSync(fd);
  }
}

function hostStat(path: string): HostStat | undefined {
  try {
    const st = lstatSync(path);
    const type = st.isSymbolicLink() ? 'symlink' : st.isDirectory() ? 'dir' : st.isFile() ? 'file' : 'other';
    return { type, mode: st.mode & 0o7777, uid: st.uid, gid: st.gid };
  } catch {
    return undefined;
  }
}

/** getent(1) asks NSS, as getpwnam(3) in keepalived does, so LDAP or sssd users count too. */
function getent(database: 'passwd' | 'group', name: string): string[] | undefined {
  const run = spawnSync('getent', [database, name], { encoding: 'utf8', timeout: 2000, killSignal: 'SIGKILL', maxBuffer: 64 * 1024 });
  if (run.error && (run.error as NodeJS.ErrnoException).code === 'ENOENT') return fromFile(`/etc/${database}`, name);
  return run.status === 0 ? run.stdout.split('\n')[0]!.split(':') : undefined;
}

/** Without getent (a minimal image), the local file only. */
function fromFile(file: string, name: string): string[] | undefined {
  try {
    return readRegularFile(file)
      .split('\n')
      .map((l) => l.split(':'))
      .find((fields) => fields[0] === name);
  } catch {
    return undefined;
  }
}

const number = (text: string | undefined): number | undefined => (text !== undefined && /^\d+$/.test(text) ? Number(text) : undefined);

function user(name: string): Account | undefined {
  const fields = getent('passwd', name);
  const uid = number(fields?.[2]);
  const gid = number(fields?.[3]);
  return uid === undefined || gid === undefined ? undefined : { uid, gid };
}

function firstLine(path: string): string | undefined {
  try {
    const fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY);
    try {
      if (!fstatSync(fd).isFile()) return undefined;
      const buf = Buffer.alloc(256);
      const n = readSync(fd, buf, 0, buf.length, 0);
      return buf.toString('utf8', 0, n).split('\n')[0];
    } finally {
      closeSync(fd);
    }
  } catch {
    return undefined;
  }
}

const KEEPALIVED_DIRS = ['/usr/sbin', '/sbin', '/usr/local/sbin'];
const CONFIG_TEST_TIMEOUT_MS = 10_000;
const CONFIG_TEST_OUTPUT_BYTES = 64 * 1024;

function findKeepalived(path: string | undefined): string | undefined {
  const dirs = [...KEEPALIVED_DIRS, ...(path ?? '').split(delimiter).filter((d) => d.startsWith('/'))];
  return dirs.map((d) => join(d, 'keepalived')).find((p) => {
    try {
      const st = statSync(p);
      return st.isFile() && (st.mode & 0o111) !== 0;
    } catch {
      return false;
    }
  });
}

/** keepalived -t, killed after 10 s, its output cut at 64 kB: a hostile file must not hang the lint. */
function configTest(keepalived: string, file: string): ConfigTestRun {
  const run = spawnSync(keepalived, ['-t', '-f', file], {
    encoding: 'utf8',
    timeout: CONFIG_TEST_TIMEOUT_MS,
    killSignal: 'SIGKILL',
    maxBuffer: CONFIG_TEST_OUTPUT_BYTES,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output = `${run.stdout ?? ''}${run.stderr ?? ''}`.slice(0, CONFIG_TEST_OUTPUT_BYTES);
  const code = (run.error as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ETIMEDOUT') return { status: 'timeout', output };
  return { status: run.status ?? -1, output };
}

export function nodeHostProbe(env: { PATH?: string | undefined }, cwd: string): HostProbe {
  const keepalived = findKeepalived(env.PATH);
  return {
    cwd,
    user,
    group: (name) => number(getent('group', name)?.[2]),
    lstat: hostStat,
    readlink: (path) => {
      try {
        return readlinkSync(path);
      } catch {
        return undefined;
      }
    },
    firstLine,
    configTest: (file) => (keepalived ? configTest(keepalived, file) : undefined),
  };
}

/** Called when the command runs, never when the bundle loads (the working directory is process state). */
export function nodeLintDeps(env: { PATH?: string | undefined }): LintDeps {
  return { readFile: (p) => readRegularFile(p), readDir: (p) => readdirSync(p), host: nodeHostProbe(env, process.cwd()) };
}
