import { parseOptionFile, type OptionFileLine } from './option-file.js';
import { cannotRead, exposedPassword, isSystemError, isWorldWritable, worldWritableIgnored } from './file-trust.js';
import { UsageError } from '../usage-error.js';
import type { FileInfo, OptionFileSystem } from '../types/host.js';

export interface OptionFileSources {
  readonly noDefaults: boolean;
  readonly defaultsFile?: string;
  readonly defaultsExtraFile?: string;
  readonly home?: string;
  readonly mysqlHome?: string;
}

export interface ClientOptions {
  /** The client-group settings, last one winning. */
  readonly settings: ReadonlyMap<string, string>;
  /** Warnings for the user: files skipped as world-writable, passwords others can read. */
  readonly notices: readonly string[];
}

/** Groups a client reads on both flavours, plus our own; later groups in a file do not outrank earlier files. */
export const CLIENT_GROUPS = new Set(['client', 'client-server', 'client-mariadb', 'check-mysql']);

/**
 * The client's boolean options we read from files. my_getopt reads `skip-X` and `disable-X` as
 * X=0 and `enable-X` as X=1, so the last line of a file wins however it is spelt.
 */
const BOOLEAN_KEYS = new Set(['ssl', 'ssl-verify-server-cert', 'get-server-public-key']);

function booleanSpelling(key: string, value: string): [string, string] {
  const m = /^(skip|disable|enable)-(.+)$/.exec(key);
  if (!m || !BOOLEAN_KEYS.has(m[2]!)) return [key, value];
  return [m[2]!, m[1] === 'enable' ? value || '1' : '0'];
}

const MAX_INCLUDE_DEPTH = 10;
/** Includes may fan out (a file that includes itself 1,000 times): bound the whole walk, not only its depth. */
const MAX_FILES = 100;

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

interface Walk {
  readonly fs: OptionFileSystem;
  readonly settings: Map<string, string>;
  readonly notices: string[];
  files: number;
}

/** Reads the option files and returns the client-group settings and what the user should hear about them. */
export function readClientOptions(src: OptionFileSources, fs: OptionFileSystem): ClientOptions {
  const walk: Walk = { fs, settings: new Map(), notices: [], files: 0 };
  for (const file of optionFileList(src)) visit(walk, file.path, file.explicit ? 'option file' : undefined, 0);
  return { settings: walk.settings, notices: walk.notices };
}

/** `what` names a file that must be read ("option file", "!include in X"); undefined, one the client skips when missing. */
function visit(walk: Walk, path: string, what: string | undefined, depth: number): void {
  if (depth > MAX_INCLUDE_DEPTH) throw new UsageError(`${path}: !include nested more than ${MAX_INCLUDE_DEPTH} deep`);
  const file = open(walk, path, what);
  if (file === undefined) return;
  if (++walk.files > MAX_FILES) throw new UsageError(`${path}: more than ${MAX_FILES} option files read (through !include)`);
  const parsed = parseOptionFile(file.text, path);
  const ours = parsed.entries.filter((l) => CLIENT_GROUPS.has(l.group.toLowerCase()));
  for (const l of ours) walk.settings.set(...booleanSpelling(l.key, l.value));
  if (ours.some((l) => l.key === 'password')) {
    const notice = exposedPassword(path, file.info, walk.fs.readerGid);
    if (notice) walk.notices.push(notice);
  }
  for (const d of parsed.directives) {
    if (d.kind === 'include') {
      visit(walk, d.path, `!include in ${path}`, depth + 1);
      continue;
    }
    for (const child of cnfFiles(walk.fs, d.path, path)) visit(walk, child, `!includedir in ${path}`, depth + 1);
  }
}

/** The file's text and stat, or undefined when the client would skip it (missing default, world-writable). */
function open(walk: Walk, path: string, what: string | undefined): { text: string; info: FileInfo } | undefined {
  let info: FileInfo;
  try {
    info = walk.fs.stat(path);
  } catch (err) {
    if (what === undefined) return undefined; // the client skips default files it cannot find
    throw cannotRead(what, path, err);
  }
  if (isWorldWritable(info)) {
    // Even a --defaults-file you name: the client skips it with this warning and reads on.
    walk.notices.push(worldWritableIgnored(path));
    return undefined;
  }
  try {
    return { text: walk.fs.readFile(path), info };
  } catch (err) {
    // A default file the system will not let us open is skipped, as by the client; one that is
    // not a small regular file (a FIFO, /dev/zero) is refused wherever it is named.
    if (what === undefined && isSystemError(err)) return undefined;
    throw cannotRead(what ?? 'option file', path, err);
  }
}

function cnfFiles(fs: OptionFileSystem, dir: string, from: string): string[] {
  let names: string[];
  try {
    names = fs.readDir(dir);
  } catch (err) {
    throw cannotRead('!includedir', `${dir} (in ${from})`, err);
  }
  return names.filter((n) => n.endsWith('.cnf')).sort().map((n) => `${dir.replace(/\/$/, '')}/${n}`);
}
