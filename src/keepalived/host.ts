/**
 * What the host checks need to know about the machine that will run the configuration, behind a
 * small interface so tests can give an in-memory host (the real one is src/edge/lint-host.ts),
 * and the path rules keepalived applies to a script before it runs it, read from its source
 * (lib/notify.c of 2.2.x: check_script_secure(), check_security(), is_executable()).
 */
import type { ConfReader } from './include.js';

export interface HostStat {
  readonly type: 'file' | 'dir' | 'symlink' | 'other';
  /** Permission bits with setuid, setgid and sticky (st_mode & 07777). */
  readonly mode: number;
  readonly uid: number;
  readonly gid: number;
}

export interface Account {
  readonly uid: number;
  readonly gid: number;
}

export interface ConfigTestRun {
  /** keepalived's exit status, or 'timeout' when it was killed. */
  readonly status: number | 'timeout';
  /** What it printed, at most a few kB. */
  readonly output: string;
}

export interface HostProbe {
  /** The directory a relative FILE is read from. */
  readonly cwd: string;
  /** getpwnam(3): the user's uid and primary gid, or undefined when there is no such user. */
  user(name: string): Account | undefined;
  /** getgrnam(3): the group's gid, or undefined. */
  group(name: string): number | undefined;
  /** lstat(2), not following a last symlink; undefined when it fails (ENOENT, EACCES, ...). */
  lstat(path: string): HostStat | undefined;
  readlink(path: string): string | undefined;
  /** The file's first line (at most a few hundred bytes), for its #! line. */
  firstLine(path: string): string | undefined;
  /** `keepalived -t -f FILE`, bounded in time and output; undefined when keepalived is not installed. */
  configTest(file: string): ConfigTestRun | undefined;
}

/** lint-keepalived's deps: the files it reads, and the host it checks them against. */
export interface LintDeps extends ConfReader {
  readonly host: HostProbe;
}

export const ROOT: Account = { uid: 0, gid: 0 };

const MAX_SYMLINKS = 40; // Linux's MAXSYMLINKS: past it, realpath(3) fails with ELOOP

/** realpath(3) over the probe: the absolute path with every symlink resolved, or undefined. */
export function realPath(host: HostProbe, path: string): string | undefined {
  if (!path.startsWith('/')) return undefined;
  let rest = path.split('/');
  let done: string[] = [];
  let links = 0;
  while (rest.length > 0) {
    const part = rest.shift()!;
    if (part === '' || part === '.') continue;
    if (part === '..') {
      done.pop();
      continue;
    }
    const here = `/${[...done, part].join('/')}`;
    const st = host.lstat(here);
    if (!st) return undefined;
    if (st.type === 'symlink') {
      const target = host.readlink(here);
      if (target === undefined || ++links > MAX_SYMLINKS) return undefined;
      if (target.startsWith('/')) done = [];
      rest = [...target.split('/'), ...rest];
      continue;
    }
    if (rest.some((p) => p !== '') && st.type !== 'dir') return undefined;
    done.push(part);
  }
  return `/${done.join('/')}`;
}

export const dirOf = (path: string): string => path.slice(0, Math.max(1, path.lastIndexOf('/')));

/** `/a/b/c` -> `/`, `/a`, `/a/b`, `/a/b/c`: what keepalived stats, in its order. */
export function prefixes(path: string): string[] {
  const parts = path.split('/').filter((p) => p !== '');
  return ['/', ...parts.map((_, i) => `/${parts.slice(0, i + 1).join('/')}`)];
}

/** is_executable(): root needs any x bit; the owner its own; the group's gid, or everyone. */
export function executableBy(st: HostStat, who: Account): boolean {
  if (who.uid === 0) return (st.mode & 0o111) !== 0;
  if (who.uid === st.uid) return (st.mode & 0o100) !== 0;
  return who.gid === st.gid ? (st.mode & 0o010) !== 0 : (st.mode & 0o001) !== 0;
}

/** What an interpreter needs of the file it runs: read permission, in the same order. */
export function readableBy(st: HostStat, who: Account): boolean {
  if (who.uid === 0) return true;
  if (who.uid === st.uid) return (st.mode & 0o400) !== 0;
  return who.gid === st.gid ? (st.mode & 0o040) !== 0 : (st.mode & 0o004) !== 0;
}

/** The first directory on the way to `path` that `who` cannot search, if any. */
export function unsearchable(host: HostProbe, path: string, who: Account): string | undefined {
  return prefixes(dirOf(path)).find((dir) => {
    const st = host.lstat(dir);
    return st !== undefined && st.type === 'dir' && !executableBy(st, who);
  });
}

/**
 * keepalived's check_security() on one path: every component must be owned by root, and neither
 * a file nor a directory without the sticky bit may be writable by a non-root group or by
 * everyone; a component before the last must be a directory. Returns why the first one fails.
 */
export function insecureComponent(host: HostProbe, path: string): string | undefined {
  const chain = prefixes(path);
  for (const [i, p] of chain.entries()) {
    const st = host.lstat(p);
    if (!st) return `${p} cannot be read`;
    const last = i === chain.length - 1;
    if ((!last && st.type !== 'dir') || (last && st.type !== 'file' && st.type !== 'symlink')) return `${p} is not a ${last ? 'file' : 'directory'}`;
    if (st.uid !== 0) return `${p} is owned by uid ${st.uid}, not root`;
    const guarded = (st.type === 'dir' && (st.mode & 0o1000) === 0) || st.type === 'file';
    if (guarded && st.gid !== 0 && (st.mode & 0o020) !== 0) return `${p} is writable by group ${st.gid}`;
    if (guarded && (st.mode & 0o002) !== 0) return `${p} is writable by everyone`;
  }
  return undefined;
}

/**
 * The paths keepalived checks for a script: the name with its directory resolved (the last
 * component may be a symlink, as /usr/bin/sh is) and the file it finally resolves to.
 */
export function securedPaths(host: HostProbe, path: string, real: string): string[] {
  const dir = realPath(host, dirOf(path));
  const named = dir === undefined ? path : `${dir === '/' ? '' : dir}/${path.slice(path.lastIndexOf('/') + 1)}`;
  return named === real ? [real] : [named, real];
}
