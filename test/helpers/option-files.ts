// File systems for config readers (src/types/host.ts OptionFileSystem): none, a table of files
// with the modes a test gives them, or the real one the CLI uses.
import type { FileInfo, OptionFileSystem } from '../../src/types/host.js';
import { nodeConfigFiles } from '../../src/edge/config-files.js';

const missing = (path: string): never => {
  throw Object.assign(new Error(`ENOENT: no such file or directory, '${path}'`), { code: 'ENOENT' });
};

/** No option file exists: every default is skipped, every named file is ENOENT. */
export const noFiles: OptionFileSystem = { readFile: missing, stat: missing, readDir: missing };

/** The real file system, bounded as the CLI reads it. */
export const realFiles: OptionFileSystem = nodeConfigFiles();

export interface FakeFile {
  readonly text: string;
  /** Permission bits; 0o600 unless given. */
  readonly mode?: number;
  readonly gid?: number;
}

/** Files at the given paths (text, or text with mode and group), read by a process of group `readerGid`. */
export function fakeFiles(files: Record<string, string | FakeFile>, readerGid = 1000): OptionFileSystem & { readonly read: string[] } {
  const read: string[] = [];
  const at = (path: string): FakeFile => {
    const f = files[path];
    if (f === undefined) missing(path);
    return typeof f === 'string' ? { text: f } : f!;
  };
  const stat = (path: string): FileInfo => {
    const f = at(path);
    return { mode: 0o100000 | (f.mode ?? 0o600), uid: 1000, gid: f.gid ?? readerGid, size: f.text.length, isFile: true };
  };
  return {
    read,
    readerGid,
    stat,
    readFile: (path) => {
      read.push(path);
      return at(path).text;
    },
    readDir: (dir) => Object.keys(files).filter((p) => p.startsWith(`${dir.replace(/\/$/, '')}/`)).map((p) => p.slice(dir.replace(/\/$/, '').length + 1)),
  };
}
