import { asFlag, type SettingNames } from '../config/values.js';
import { UsageError } from '../usage-error.js';

const S_IWGRP = 0o020;
const S_IWOTH = 0o002;
const S_ISVTX = 0o1000;
const S_IFMT = 0o170000;
const S_IFDIR = 0o040000;

const octal = (mode: number): string => (mode & 0o7777).toString(8).padStart(4, '0');

/** The directory of a path as given (the file itself need not exist). */
export const directoryOf = (path: string): string => {
  const slash = path.lastIndexOf('/');
  return slash < 0 ? '.' : slash === 0 ? '/' : path.slice(0, slash);
};

/**
 * The maintenance file forces a failover when it appears and lets the VIP come back when it
 * goes: whoever may create or remove names in its directory holds the VIP. A directory that
 * other users may write (group or world, without the sticky bit that keeps them from removing
 * our file) is refused, as is one that is missing. `statDir` follows links (/var/run -> /run).
 */
export function refuseOpenMaintenanceDir(path: string, statDir: (dir: string) => { readonly mode: number }, names: SettingNames = asFlag): void {
  const key = names('maintenance-file');
  if (path === '') throw new UsageError(`${key} needs a path`);
  const dir = directoryOf(path);
  let info: { readonly mode: number };
  try {
    info = statDir(dir);
  } catch (err) {
    throw new UsageError(`${key} ${path}: cannot use its directory ${dir}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  if ((info.mode & S_IFMT) !== S_IFDIR) throw new UsageError(`${key} ${path}: ${dir} is not a directory`);
  const open = info.mode & (S_IWGRP | S_IWOTH);
  if (open !== 0 && (info.mode & S_ISVTX) === 0) {
    const who = info.mode & S_IWOTH ? 'every local user' : 'its group';
    throw new UsageError(`refusing ${key} ${path}: its directory ${dir} (mode ${octal(info.mode)}) is writable by ${who}, who could force or end maintenance; use a directory only the service user can write, such as /var/lib/check-mysql`);
  }
}
