/**
 * The maintenance file's rules: its presence is what counts, so whatever is at the path (garbage,
 * a directory, a link, an unreadable file) is maintenance with the problem named; only ENOENT
 * is off. Real files through the node edge, and a scripted file system for what root cannot
 * make happen on a real disk (EACCES, a failing rename).
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { nodeMaintenanceFs as fs } from '../../src/edge/node-maintenance-fs.js';
import { enterMaintenance, leaveMaintenance, readMaintenance, type MaintenanceInfo } from '../../src/maintenance/maintenance-file.js';
import type { MaintenanceFs } from '../../src/types/maintenance-fs.js';
import { UsageError } from '../../src/usage-error.js';
import { dirPerCase } from '../helpers/dir-per-case.js';

const dirs = dirPerCase();
const fresh = dirs.fresh;

const INFO: MaintenanceInfo = { reason: 'kernel patch', since: '2026-12-01T18:00:00.000Z', by: 'dba@db1' };

describe('readMaintenance on real files', () => {
  it('is off only when there is no file', () => {
    expect(readMaintenance(fs, join(fresh(), 'maintenance'))).toEqual({ on: false });
  });

  it('is off when the directory itself is missing (ENOENT)', () => {
    expect(readMaintenance(fs, join(fresh(), 'no-such-dir', 'maintenance'))).toEqual({ on: false });
  });

  it('reads what enterMaintenance wrote', () => {
    const path = join(fresh(), 'maintenance');
    enterMaintenance(fs, path, INFO);
    expect(readMaintenance(fs, path)).toEqual({ on: true, info: INFO });
  });

  it.each([
    ['an empty file', '', /not JSON/],
    ['garbage', 'maintenance please\n', /not JSON/],
    ['a JSON array', '["a"]', /not a JSON object/],
    ['a JSON string', '"on"', /not a JSON object/],
    ['a missing field', JSON.stringify({ reason: 'x', since: INFO.since }), /"by" is not a string/],
    ['a number for a reason', JSON.stringify({ ...INFO, reason: 5 }), /"reason" is not a string/],
    ['a since that is not UTC ISO-8601', JSON.stringify({ ...INFO, since: 'yesterday' }), /"since" is not an ISO-8601 UTC time/],
    ['a reason with a newline', JSON.stringify({ ...INFO, reason: 'a\nfake log line' }), /"reason" holds control characters/],
    ['a reason with a terminal escape', JSON.stringify({ ...INFO, reason: '\u001b[2J' }), /control characters/],
    ['invalid UTF-8', Buffer.from([0x7b, 0xff, 0x7d]), /not JSON/],
    ['more than 4 KiB', `{"reason":"${'x'.repeat(5000)}"}`, /too big \(5\d{3} bytes/],
  ])('is on, with the problem named, for %s', (_name, content, problem) => {
    const path = join(fresh(), 'maintenance');
    writeFileSync(path, content);
    const state = readMaintenance(fs, path);
    expect(state.on).toBe(true);
    expect(state).not.toHaveProperty('info');
    expect(state.on && state.problem).toMatch(problem);
  });

  it('is on for a directory at the path', () => {
    const path = join(fresh(), 'maintenance');
    mkdirSync(path);
    expect(readMaintenance(fs, path)).toEqual({ on: true, problem: 'it is a directory, not a regular file' });
  });

  it('is on for a symlink at the path, even a dangling one, and never reads through it', () => {
    const d = fresh();
    writeFileSync(join(d, 'target'), JSON.stringify(INFO));
    symlinkSync(join(d, 'target'), join(d, 'maintenance'));
    symlinkSync(join(d, 'nowhere'), join(d, 'dangling'));
    expect(readMaintenance(fs, join(d, 'maintenance'))).toEqual({ on: true, problem: 'it is a symlink, not a regular file' });
    expect(readMaintenance(fs, join(d, 'dangling'))).toEqual({ on: true, problem: 'it is a symlink, not a regular file' });
  });

  it('is on for a FIFO at the path, and never waits on it', () => {
    const path = join(fresh(), 'maintenance');
    execFileSync('mkfifo', [path]);
    expect(readMaintenance(fs, path)).toEqual({ on: true, problem: 'it is a special file, not a regular file' });
  });

  it('is on when the directory cannot be searched (not ENOENT)', () => {
    // A file where a directory should be: ENOTDIR, which is not "no file".
    const d = fresh();
    writeFileSync(join(d, 'plain'), '');
    expect(readMaintenance(fs, join(d, 'plain', 'maintenance'))).toEqual({ on: true, problem: 'cannot stat it: ENOTDIR' });
  });
});

describe('enterMaintenance and leaveMaintenance on real files', () => {
  it('writes one line of JSON, mode 0644, and leaves no temp file', () => {
    const d = fresh();
    const path = join(d, 'maintenance');
    enterMaintenance(fs, path, INFO);
    expect(readFileSync(path, 'utf8')).toBe(`${JSON.stringify(INFO)}\n`);
    expect(statSync(path).mode & 0o7777 & ~0o644).toBe(0);
    expect(readdirSync(d)).toEqual(['maintenance']);
  });

  it('replaces a symlink at the path instead of writing through it', () => {
    const d = fresh();
    writeFileSync(join(d, 'victim'), 'precious\n');
    symlinkSync(join(d, 'victim'), join(d, 'maintenance'));
    enterMaintenance(fs, join(d, 'maintenance'), INFO);
    expect(readFileSync(join(d, 'victim'), 'utf8')).toBe('precious\n');
    expect(readMaintenance(fs, join(d, 'maintenance'))).toEqual({ on: true, info: INFO });
  });

  it('replaces a garbage file with a good one', () => {
    const path = join(fresh(), 'maintenance');
    writeFileSync(path, 'junk');
    enterMaintenance(fs, path, INFO);
    expect(readMaintenance(fs, path)).toEqual({ on: true, info: INFO });
  });

  it('throws one line when the directory is missing, and leaves nothing', () => {
    const path = join(fresh(), 'missing-dir', 'maintenance');
    expect(() => enterMaintenance(fs, path, INFO)).toThrow(new UsageError(`cannot write maintenance file ${path}: ENOENT`));
  });

  it.each([
    ['a reason with a newline', { ...INFO, reason: 'two\nlines' }, /reason must be one line/],
    ['a since that is not UTC', { ...INFO, since: '2026-12-01 18:00' }, /since must be an ISO-8601 UTC time/],
    ['a reason over 4 KiB', { ...INFO, reason: 'x'.repeat(5000) }, /reason is too long/],
  ])('refuses %s with one line and writes nothing', (_name, info, message) => {
    const d = fresh();
    expect(() => enterMaintenance(fs, join(d, 'maintenance'), info)).toThrow(message);
    expect(readdirSync(d)).toEqual([]);
  });

  it('leaves: true when it was there, false when not; idempotent', () => {
    const path = join(fresh(), 'maintenance');
    enterMaintenance(fs, path, INFO);
    expect(leaveMaintenance(fs, path)).toBe(true);
    expect(existsSync(path)).toBe(false);
    expect(leaveMaintenance(fs, path)).toBe(false);
    expect(readMaintenance(fs, path)).toEqual({ on: false });
  });

  it('removes a symlink at the path, not its target', () => {
    const d = fresh();
    writeFileSync(join(d, 'victim'), 'precious\n');
    symlinkSync(join(d, 'victim'), join(d, 'maintenance'));
    expect(leaveMaintenance(fs, join(d, 'maintenance'))).toBe(true);
    expect(readFileSync(join(d, 'victim'), 'utf8')).toBe('precious\n');
  });

  it('throws one line for a directory at the path, which stays maintenance', () => {
    const path = join(fresh(), 'maintenance');
    mkdirSync(path);
    expect(() => leaveMaintenance(fs, path)).toThrow(/^cannot remove maintenance file .*: E(ISDIR|PERM)$/);
    expect(readMaintenance(fs, path).on).toBe(true);
  });
});

/** A file system that refuses what a test names, for what root cannot be refused on a real disk. */
function refusingFs(refuse: Partial<Record<keyof MaintenanceFs, string>>, calls: string[] = []): MaintenanceFs {
  const fail = (op: keyof MaintenanceFs, path: string): void => {
    calls.push(`${op} ${path}`);
    const code = refuse[op];
    if (code) throw Object.assign(new Error(code), { code });
  };
  const stat = { kind: 'file' as const, size: 10, mode: 0o100644, uid: 0 };
  return {
    lstat: (p) => (fail('lstat', p), stat),
    stat: (p) => (fail('stat', p), stat),
    readHead: (p) => (fail('readHead', p), new TextEncoder().encode(JSON.stringify(INFO))),
    createExclusive: (p) => fail('createExclusive', p),
    rename: (a, b) => fail('rename', `${a} ${b}`),
    unlink: (p) => fail('unlink', p),
    syncDir: (p) => fail('syncDir', p),
    randomSuffix: () => 'R',
  };
}

describe('the rules over a refusing file system', () => {
  it.each([
    ['lstat EACCES', { lstat: 'EACCES' }, 'cannot stat it: EACCES'],
    ['open EACCES', { readHead: 'EACCES' }, 'cannot read it: EACCES'],
    ['open ELOOP (a link planted after lstat)', { readHead: 'ELOOP' }, 'cannot read it: ELOOP'],
    ['open EIO', { readHead: 'EIO' }, 'cannot read it: EIO'],
  ])('reads maintenance on with a problem for %s', (_name, refuse, problem) => {
    expect(readMaintenance(refusingFs(refuse), '/run/check-mysql/m')).toEqual({ on: true, problem });
  });

  it('reads off when the file went away between lstat and open', () => {
    expect(readMaintenance(refusingFs({ readHead: 'ENOENT' }), '/run/check-mysql/m')).toEqual({ on: false });
  });

  it('writes temp, renames it over the path, then syncs the directory, in that order', () => {
    const calls: string[] = [];
    enterMaintenance(refusingFs({}, calls), '/run/check-mysql/m', INFO);
    expect(calls).toEqual(['createExclusive /run/check-mysql/.m.R.tmp', 'rename /run/check-mysql/.m.R.tmp /run/check-mysql/m', 'syncDir /run/check-mysql']);
  });

  it('a failed rename removes its own temp file and throws one line', () => {
    const calls: string[] = [];
    expect(() => enterMaintenance(refusingFs({ rename: 'EXDEV' }, calls), '/run/check-mysql/m', INFO)).toThrow(new UsageError('cannot write maintenance file /run/check-mysql/m: EXDEV'));
    expect(calls.at(-1)).toBe('unlink /run/check-mysql/.m.R.tmp');
  });

  it('a failed create never unlinks the name it did not create', () => {
    const calls: string[] = [];
    expect(() => enterMaintenance(refusingFs({ createExclusive: 'EEXIST' }, calls), '/run/check-mysql/m', INFO)).toThrow(/: EEXIST$/);
    expect(calls).toEqual(['createExclusive /run/check-mysql/.m.R.tmp']);
  });

  it('a failed directory fsync after the rename is not an error: the file is there', () => {
    expect(() => enterMaintenance(refusingFs({ syncDir: 'EIO' }), '/run/check-mysql/m', INFO)).not.toThrow();
  });

  it('a relative path keeps its temp file in the same directory', () => {
    const calls: string[] = [];
    enterMaintenance(refusingFs({}, calls), 'm', INFO);
    expect(calls[0]).toBe('createExclusive ./.m.R.tmp');
  });

  it('leave throws one line for EACCES and says false for ENOENT', () => {
    expect(() => leaveMaintenance(refusingFs({ unlink: 'EACCES' }), '/run/check-mysql/m')).toThrow(new UsageError('cannot remove maintenance file /run/check-mysql/m: EACCES'));
    expect(leaveMaintenance(refusingFs({ unlink: 'ENOENT' }), '/run/check-mysql/m')).toBe(false);
  });
});
