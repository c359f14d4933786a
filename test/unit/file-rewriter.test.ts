/**
 * How the daemon rewrites its files after every check without a new inode each time, on real
 * files: the file is always replaced whole (rename), the inode it replaces is kept under a hidden
 * name for the next write, and only while it is provably ours and linked nowhere else.
 */
import { spawnSync } from 'node:child_process';
import { linkSync, lstatSync, mkdirSync, readdirSync, readFileSync, renameSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FileRewriter } from '../../src/daemon/file-rewriter.js';
import { makeTempDir, removeTempDir } from '../helpers/temp-dir.js';

let dir: string;
beforeAll(async () => {
  dir = await makeTempDir();
});
afterAll(() => removeTempDir(dir));

let n = 0;
function fresh(): { d: string; file: string; rw: FileRewriter } {
  const d = join(dir, `case-${++n}`);
  mkdirSync(d);
  return { d, file: join(d, 'x.json'), rw: new FileRewriter() };
}

const ino = (path: string) => statSync(path).ino;
const read = (path: string) => readFileSync(path, 'utf8');

describe('FileRewriter', () => {
  it('alternates between two inodes from the third write on, the file holding each write whole', () => {
    const { d, file, rw } = fresh();
    const seen: number[] = [];
    for (const content of ['one\n', 'two, longer\n', '3\n', 'four\n', 'five, the longest of all\n', '6\n']) {
      rw.write(file, content);
      expect(read(file)).toBe(content);
      seen.push(ino(file));
    }
    expect(new Set(seen.slice(1)).size).toBe(2);
    expect(seen.slice(2)).toEqual([seen[2], seen[3], seen[2], seen[3]]);
    expect(readdirSync(d).sort()).toEqual(['.x.json.a.spare', 'x.json']);
    expect(statSync(file).mode & 0o7777 & ~0o644).toBe(0);
  });

  it('writes once without keeping anything (a one-off writer such as --mark-fault leaves nothing behind)', () => {
    const { d, file, rw } = fresh();
    rw.write(file, '1\n');
    expect(readdirSync(d)).toEqual(['x.json']);
  });

  it('release() removes the hidden spare', () => {
    const { d, file, rw } = fresh();
    for (let i = 0; i < 4; i++) rw.write(file, `${i}\n`);
    rw.release([file]);
    expect(readdirSync(d)).toEqual(['x.json']);
    expect(read(file)).toBe('3\n');
  });

  it('never writes into a file someone else put at the path: a new file replaces it, theirs is untouched', () => {
    const { d, file, rw } = fresh();
    for (let i = 0; i < 3; i++) rw.write(file, `${i}\n`);
    const theirs = join(d, 'theirs');
    writeFileSync(theirs, 'theirs\n');
    const witness = join(dir, `witness-${n}`);
    linkSync(theirs, witness); // a second name, to read their inode after it leaves the path
    renameSync(theirs, file);
    for (let i = 3; i < 8; i++) rw.write(file, `${i}\n`);
    expect(read(file)).toBe('7\n');
    expect(read(witness)).toBe('theirs\n');
  });

  it('never writes into its spare once something else links it', () => {
    const { d, file, rw } = fresh();
    for (let i = 0; i < 3; i++) rw.write(file, `${i}\n`);
    const spare = readdirSync(d).find((f) => f.endsWith('.spare'))!;
    const witness = join(dir, `witness-${n}`);
    linkSync(join(d, spare), witness);
    const before = read(witness);
    for (let i = 3; i < 8; i++) rw.write(file, `${i}\n`);
    expect(read(file)).toBe('7\n');
    expect(read(witness)).toBe(before);
  });

  it('never renames a file someone put at its spare\'s name over the path, nor writes into it', () => {
    const { d, file, rw } = fresh();
    for (let i = 0; i < 3; i++) rw.write(file, `${i}\n`);
    const spare = join(d, readdirSync(d).find((f) => f.endsWith('.spare'))!);
    const theirs = join(d, 'theirs');
    writeFileSync(theirs, 'theirs\n');
    const witness = join(dir, `witness-${n}`);
    linkSync(theirs, witness);
    renameSync(theirs, spare); // ours is gone from that name; the descriptor we hold still points at it
    for (let i = 3; i < 8; i++) {
      rw.write(file, `${i}\n`);
      expect(read(file)).toBe(`${i}\n`);
    }
    expect(read(witness)).toBe('theirs\n');
  });

  it('holds at most two descriptors per path, and none once released', () => {
    const fds = () => readdirSync('/proc/self/fd').length;
    const { file, rw } = fresh();
    const before = fds();
    for (let i = 0; i < 50; i++) rw.write(file, `${'x'.repeat(i % 7)}${i}\n`);
    expect(fds() - before).toBeLessThanOrEqual(2);
    rw.release([file]);
    expect(fds()).toBe(before);
  });

  it('never follows a symlink planted at a spare\'s name: the file it points at is untouched, writes go on', () => {
    const { d, file, rw } = fresh();
    const victim = join(dir, `victim-${n}`);
    writeFileSync(victim, 'precious\n');
    symlinkSync(victim, join(d, '.x.json.a.spare'));
    symlinkSync(victim, join(d, '.x.json.b.spare'));
    for (let i = 0; i < 6; i++) rw.write(file, `${i}\n`);
    expect(read(file)).toBe('5\n');
    expect(read(victim)).toBe('precious\n');
  });

  it('replaces a spare that an earlier run left behind', () => {
    const { d, file, rw } = fresh();
    writeFileSync(join(d, '.x.json.a.spare'), 'left behind\n');
    for (let i = 0; i < 2; i++) rw.write(file, `${i}\n`);
    // The second write keeps the first one's inode there.
    expect(read(join(d, '.x.json.a.spare'))).toBe('0\n');
    rw.release([file]);
    expect(readdirSync(d)).toEqual(['x.json']);
  });

  it('a write that cannot be done throws, as writeFileAtomic does', () => {
    const { d, rw } = fresh();
    expect(() => rw.write(join(d, 'missing', 'x.json'), '1\n')).toThrow(/ENOENT/);
  });

  describe('unlessSame (the track file, rewritten only when it must change)', () => {
    it('leaves a file that already holds the content alone: same inode, same mtime', () => {
      const { file, rw } = fresh();
      for (let i = 0; i < 3; i++) rw.write(file, '0\n', true);
      const before = statSync(file);
      rw.write(file, '0\n', true);
      const after = statSync(file);
      expect([after.ino, after.mtimeMs]).toEqual([before.ino, before.mtimeMs]);
    });

    it('rewrites it when the content changes', () => {
      const { file, rw } = fresh();
      rw.write(file, '0\n', true);
      rw.write(file, '1\n', true);
      expect(read(file)).toBe('1\n');
    });

    it('rewrites a file someone changed in place (keepalived init_file 1 overwrite)', () => {
      const { file, rw } = fresh();
      for (let i = 0; i < 3; i++) rw.write(file, '0\n', true);
      writeFileSync(file, '1\n');
      rw.write(file, '0\n', true);
      expect(read(file)).toBe('0\n');
    });

    it('a file read as settled is trusted by its stat alone, and any later write, even within a clock tick, is still seen', () => {
      const { file } = fresh();
      // The clock says the file's last change was long ago: its compare is remembered.
      const rw = new FileRewriter(() => statSync(file).ctimeMs + 1_000);
      rw.write(file, '0\n', true);
      rw.write(file, '0\n', true);
      rw.write(file, '0\n', true);
      // Rewritten in place with the same size and inode, as keepalived's init_file overwrite does:
      // only the stat's times tell, and a stale memory of inode and size would miss it.
      writeFileSync(file, '1\n');
      rw.write(file, '0\n', true);
      expect(read(file)).toBe('0\n');
    });

    it('rewrites a file that starts with the content but is longer', () => {
      const { file, rw } = fresh();
      writeFileSync(file, '0\n1\n');
      rw.write(file, '0\n', true);
      expect(read(file)).toBe('0\n');
    });

    it('never opens a FIFO planted at the name (it would block or wake a reader): replaces it', () => {
      const { file, rw } = fresh();
      expect(spawnSync('mkfifo', [file]).status).toBe(0);
      rw.write(file, '0\n', true);
      expect(statSync(file).isFile()).toBe(true);
      expect(read(file)).toBe('0\n');
    });

    it('a symlink at the name is replaced, its target untouched', () => {
      const { d, file, rw } = fresh();
      const victim = join(d, 'victim');
      writeFileSync(victim, '0\n');
      symlinkSync(victim, file);
      rw.write(file, '0\n', true);
      expect(lstatSync(file).isSymbolicLink()).toBe(false);
      expect(read(file)).toBe('0\n');
      expect(statSync(file).ino).not.toBe(statSync(victim).ino);
    });
  });
});
