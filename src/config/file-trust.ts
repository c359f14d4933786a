import type { FileInfo } from '../types/host.js';
import { UsageError } from '../usage-error.js';

/**
 * Whether a config file may be believed and whether it gives its secret away, judged on what
 * stat(2) says. The rules are the mysql client's where it has one (mysys/my_default.c).
 */
const S_IWOTH = 0o002;
const S_IROTH = 0o004;
const S_IRGRP = 0o040;

const octal = (mode: number): string => (mode & 0o7777).toString(8).padStart(4, '0');

/** A regular file anyone may write could say anything: the client skips it, and so do we. */
export const isWorldWritable = (info: FileInfo): boolean => info.isFile && (info.mode & S_IWOTH) !== 0;

/** MariaDB's words (MySQL's add a full stop), so a search for the client's warning finds ours. */
export const worldWritableIgnored = (path: string): string => `World-writable config file '${path}' is ignored`;

/** For a file that is the only source of what to do (the daemon's --config): skipping it would leave nothing. */
export const worldWritableRefused = (what: string, path: string, info: FileInfo): UsageError =>
  new UsageError(`refusing world-writable ${what} ${path} (mode ${octal(info.mode)}): any local user could rewrite it; chmod o-w it`);

/**
 * A file holding a password should be readable by its reader alone: its owner, or a group that
 * is the reader's own (the daemon's root:check-mysql 0640). Returns the warning, if one is due.
 */
export function exposedPassword(path: string, info: FileInfo, readerGid: number | undefined): string | undefined {
  const world = (info.mode & S_IROTH) !== 0;
  const group = (info.mode & S_IRGRP) !== 0 && info.gid !== readerGid;
  if (!world && !group) return undefined;
  const who = world ? 'every local user' : `group ${info.gid}`;
  return `${path} holds a password and is readable by ${who} (mode ${octal(info.mode)}): chmod 600 it, or 640 with the reader's own group`;
}

/**
 * One phrasing of a file we could not or would not read. A system error prints its code
 * (ENOENT); a refusal (a FIFO, 2 MiB) has no code and prints its reason.
 */
export function cannotRead(what: string, path: string, err: unknown): UsageError {
  const e = err as NodeJS.ErrnoException;
  return new UsageError(`cannot read ${what} ${path}: ${e.code ?? e.message}`);
}

/** A system error (the file is missing, unreadable), as opposed to a refusal of what the file is. */
export const isSystemError = (err: unknown): boolean => typeof (err as NodeJS.ErrnoException)?.code === 'string';
