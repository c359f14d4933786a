import { parseOptionFile, type OptionFileLine } from './option-file.js';
import { UsageError } from '../usage-error.js';
import type { OptionFileSystem } from '../types/host.js';

export interface OptionFileSources {
  readonly noDefaults: boolean;
  readonly defaultsFile?: string;
  readonly defaultsExtraFile?: string;
  readonly home?: string;
  readonly mysqlHome?: string;
}

/** Groups a client reads on both flavours, plus our own; later groups in a file do not outrank earlier files. */
export const CLIENT_GROUPS = new Set(['client', 'client-server', 'client-mariadb', 'check-mysql']);

const MAX_INCLUDE_DEPTH = 10;

/** The mysql client's search order; later files override earlier ones. */
export function optionFileList(src: OptionFileSources): { path: string; explicit: boolean }[] {
  if (src.noDefaults) return [];
  if (src.defaultsFile) return [{ path: src.defaultsFile, explicit: true }];
  const files = [
    { path: '/etc/my.cnf', explicit: false },
    { path: '/etc/mysql/my.cnf', explicit: false },
  ];
  if (src.mysqlHome) files.push({ path: `${src.mysqlHome}/my.cnf`, explicit: false });
  if (src.defaultsExtraFile) files.push({ path: src.defaultsExtraFile, explicit: true });
  if (src.home) files.push({ path: `${src.home}/.my.cnf`, explicit: false });
  return files;
}

/** Reads the option files and returns the client-group settings, last one winning. */
export function readClientOptions(src: OptionFileSources, fs: OptionFileSystem): Map<string, string> {
  const settings = new Map<string, string>();
  const apply = (lines: readonly OptionFileLine[]) => {
    for (const l of lines) if (CLIENT_GROUPS.has(l.group.toLowerCase())) settings.set(l.key, l.value);
  };
  for (const file of optionFileList(src)) {
    const text = read(fs, file.path, file.explicit, file.explicit ? 'option file' : '');
    if (text !== undefined) visit(fs, file.path, text, apply, 0);
  }
  return settings;
}

function visit(fs: OptionFileSystem, path: string, text: string, apply: (l: readonly OptionFileLine[]) => void, depth: number): void {
  if (depth > MAX_INCLUDE_DEPTH) throw new UsageError(`${path}: !include nested more than ${MAX_INCLUDE_DEPTH} deep`);
  let parsed;
  try {
    parsed = parseOptionFile(text, path);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  apply(parsed.entries);
  for (const d of parsed.directives) {
    if (d.kind === 'include') {
      visit(fs, d.path, read(fs, d.path, true, `!include in ${path}`)!, apply, depth + 1);
      continue;
    }
    let names: string[];
    try {
      names = fs.readDir(d.path);
    } catch (err) {
      throw new UsageError(`cannot read !includedir ${d.path} (in ${path}): ${errCode(err)}`);
    }
    for (const name of names.filter((n) => n.endsWith('.cnf')).sort()) {
      const child = `${d.path.replace(/\/$/, '')}/${name}`;
      visit(fs, child, read(fs, child, true, `!includedir in ${path}`)!, apply, depth + 1);
    }
  }
}

function read(fs: OptionFileSystem, path: string, required: boolean, what: string): string | undefined {
  try {
    return fs.readFile(path);
  } catch (err) {
    // The mysql client skips default files it cannot find; one you name must be readable.
    if (!required) return undefined;
    throw new UsageError(`cannot read ${what} ${path}: ${errCode(err)}`);
  }
}

function errCode(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  return e.code ?? e.message;
}
