/**
 * Whom the notify lock may be trusted from. What a check believes ("a MASTER run is catching
 * up, this read-only VIP holder is fine") and what serialises promotions must be out of reach
 * of every other local user: a file planted in a world-writable directory such as /run/lock,
 * or one that others can open (and so flock), would let them fake a promotion or block one.
 */

/** What lstat(2)/fstat(2) say about a path, as much as the lock's rules need. */
export interface FileFacts {
  readonly kind: 'file' | 'directory' | 'symlink' | 'other';
  readonly uid: number;
  /** Permission bits, with the sticky, setuid and setgid bits. */
  readonly mode: number;
  readonly dev: bigint;
  readonly ino: bigint;
}

const octal = (mode: number): string => mode.toString(8).padStart(4, '0');
const owner = (uid: number, euid: number): string | undefined =>
  uid === 0 || uid === euid ? undefined : `is owned by uid ${uid}, not by root or uid ${euid} (us)`;

/** Why the lock's directory cannot be trusted (who could create or swap files in it), or undefined. */
export function lockDirProblem(dir: FileFacts | null, euid: number): string | undefined {
  if (dir === null) return 'does not exist';
  if (dir.kind === 'symlink') return 'is a symbolic link';
  if (dir.kind !== 'directory') return 'is not a directory';
  // Sticky or not: others who can create files there can create this one first.
  if ((dir.mode & 0o022) !== 0) return `is writable by group or others (mode ${octal(dir.mode)})`;
  return owner(dir.uid, euid);
}

/**
 * Why the lock file cannot be trusted, or undefined. Stricter than the directory: flock(2)
 * needs no write access, so anyone who can open the file at all could hold the lock.
 */
export function lockFileProblem(file: FileFacts, euid: number): string | undefined {
  if (file.kind !== 'file') return 'is not a regular file';
  if ((file.mode & 0o077) !== 0) return `can be opened by group or others (mode ${octal(file.mode)})`;
  return owner(file.uid, euid);
}

export const sameFile = (a: FileFacts, b: FileFacts): boolean => a.dev === b.dev && a.ino === b.ino;
