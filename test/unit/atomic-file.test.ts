/**
 * How the daemon replaces its files, on real files: a new temp file under a name no one can
 * guess, never opened through anything planted there, then renamed over the file.
 * The attack itself (a symlink planted by `nobody` while the root daemon runs) is in
 * test/integration/daemon-files.test.ts.
 */
import { lstatSync, mkdirSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempNameFor, writeFileAtomic } from '../../src/daemon/atomic-file.js';
import { makeTempDir, removeTempDir } from '../helpers/temp-dir.js';

let dir: string;
beforeAll(async () => {
  dir = await makeTempDir();
});
afterAll(() => removeTempDir(dir));

let n = 0;
const fresh = () => {
  const d = join(dir, `case-${++n}`);
  mkdirSync(d);
  return d;
};

describe('writeFileAtomic', () => {
  it('replaces the file, mode 0644, and leaves nothing else behind', () => {
    const d = fresh();
    writeFileSync(join(d, 'x.track'), '0\n');
    writeFileAtomic(join(d, 'x.track'), '1\n');
    expect(readFileSync(join(d, 'x.track'), 'utf8')).toBe('1\n');
    // 0644 as asked of open(2); the umask can only take bits away.
    expect(statSync(join(d, 'x.track')).mode & 0o7777 & ~0o644).toBe(0);
    expect(readdirSync(d)).toEqual(['x.track']);
  });

  it('names its temp files unpredictably: no pid, a new random part each time', () => {
    const names = new Set(Array.from({ length: 100 }, () => tempNameFor('/run/c/x.track')));
    expect(names.size).toBe(100);
    for (const name of names) expect(name).toMatch(/^\/run\/c\/\.x\.track\.[A-Za-z0-9_-]{12}\.tmp$/);
    expect([...names].some((name) => name.includes(String(process.pid)))).toBe(false);
  });

  it('never writes through a symlink planted at its temp name: it fails and the link target is untouched', () => {
    const d = fresh();
    const victim = join(d, 'victim');
    writeFileSync(victim, 'precious\n');
    const planted = join(d, '.x.track.planted.tmp');
    symlinkSync(victim, planted);
    expect(() => writeFileAtomic(join(d, 'x.track'), '1\n', planted)).toThrow(/EEXIST/);
    expect(readFileSync(victim, 'utf8')).toBe('precious\n');
    expect(lstatSync(planted).isSymbolicLink()).toBe(true); // not ours: left alone
  });

  it('never opens a file planted at its temp name', () => {
    const d = fresh();
    const planted = join(d, '.x.track.planted.tmp');
    writeFileSync(planted, 'theirs\n');
    expect(() => writeFileAtomic(join(d, 'x.track'), '1\n', planted)).toThrow(/EEXIST/);
    expect(readFileSync(planted, 'utf8')).toBe('theirs\n');
  });

  it('replaces a symlink at the file itself instead of writing through it', () => {
    const d = fresh();
    const victim = join(d, 'victim');
    writeFileSync(victim, 'precious\n');
    symlinkSync(victim, join(d, 'x.track'));
    writeFileAtomic(join(d, 'x.track'), '1\n');
    expect(readFileSync(victim, 'utf8')).toBe('precious\n');
    expect(lstatSync(join(d, 'x.track')).isFile()).toBe(true);
  });

  it('removes its temp file when the rename fails', () => {
    const d = fresh();
    mkdirSync(join(d, 'x.track'));
    writeFileSync(join(d, 'x.track', 'inside'), '');
    expect(() => writeFileAtomic(join(d, 'x.track'), '1\n')).toThrow(/EISDIR|ENOTEMPTY|EEXIST/);
    expect(readdirSync(d)).toEqual(['x.track']);
  });
});
