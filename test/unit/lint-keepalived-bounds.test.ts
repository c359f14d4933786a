// lint-keepalived on hostile or odd input, with real files: each ends with one clear line (or a
// finding) well within a second, where it used to run for minutes, crash V8, or hang.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LIMITS } from '../../src/keepalived/limits.js';
import { disk, runLint } from './lint-keepalived-helpers.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'lint-bounds-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function write(name: string, text: string): string {
  const path = join(dir, name);
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, text);
  return path;
}

/** Lints --offline and measures the wall time in this process. */
async function timed(file: string) {
  const started = performance.now();
  const run = await runLint(['--offline', file], disk);
  return { ...run, ms: performance.now() - started };
}

const repeat = (n: number, text: string) => Array.from({ length: n }, () => text).join('');

describe('lint-keepalived: bounded input', () => {
  it('stops N files that include each other by a wildcard (9 files made 876,809 findings in 7 s)', async () => {
    for (let i = 1; i <= 9; i++) write(`factorial/f${i}.conf`, 'include *.conf\nglobal_defs {\n}\n');
    const r = await timed(join(dir, 'factorial', 'f1.conf'));
    expect(r).toMatchObject({ code: 2, stdout: '' });
    expect(r.stderr).toMatch(new RegExp(`^check-mysql lint-keepalived: ${dir}/factorial/f\\d\\.conf:1: include \\*\\.conf: more than ${LIMITS.files} files read \\(keepalived reads a file again each time it is included\\); stopped reading\\n$`));
    expect(r.ms).toBeLessThan(1000);
  });

  it('stops includes nested deeper than keepalived ever needs', async () => {
    for (let i = 0; i < 40; i++) write(`chain/c${i}.conf`, `include c${i + 1}.conf\n`);
    const r = await timed(join(dir, 'chain', 'c0.conf'));
    expect(r).toMatchObject({ code: 2, stderr: `check-mysql lint-keepalived: ${dir}/chain/c${LIMITS.includeDepth}.conf:1: include c${LIMITS.includeDepth + 1}.conf: includes nested more than ${LIMITS.includeDepth} deep; stopped reading\n` });
  });

  it('ends a self-referencing $X=$X $X ... definition where keepalived does: past its 1023-byte line (it ran 17 s and crashed V8)', async () => {
    const file = write('selfref.conf', `$X=${repeat(8, '$X ').trim()}\nglobal_defs {\n    router_id $X\n}\n`);
    const r = await timed(file);
    expect(r.lines).toEqual([
      `${file}:3: error: $NAME expansion makes this line longer than keepalived's 1023 bytes: keepalived refuses the substitution ("Parameter substitution on line ... would exceed maximum line length") and keeps the line unexpanded [expansion-too-long]`,
      '1 error, 0 warnings in 1 file',
    ]);
    expect(r.ms).toBeLessThan(1000);
  });

  it('ends one round that would multiply a long line by a long definition', async () => {
    const file = write('wide.conf', `$X=${repeat(1000, 'x')}\nglobal_defs {\n    router_id ${repeat(300, '$X ')}\n}\n`);
    const r = await timed(file);
    expect(r.lines).toContain(`${file}:3: error: $NAME expansion makes this line longer than keepalived's 1023 bytes: keepalived refuses the substitution ("Parameter substitution on line ... would exceed maximum line length") and keeps the line unexpanded [expansion-too-long]`);
    expect(r.ms).toBeLessThan(1000);
  });

  it('stops multi-line definitions that expand past the total budget', async () => {
    const body = repeat(100, `    ${repeat(500, 'y')} \\\n`);
    const file = write('multiline.conf', `$M=\\\n${body}\n${repeat(200, '$M\n')}`);
    const r = await timed(file);
    expect(r).toMatchObject({ code: 2, stdout: '' });
    expect(r.stderr).toMatch(/^check-mysql lint-keepalived: .*multiline\.conf:\d+: this line's \$NAME expansion passes 4 MiB of configuration text in all \(files read and \$NAME expansions\); stopped reading\n$/);
    expect(r.ms).toBeLessThan(1000);
  });

  it('stops 2,000 levels of nesting with one line (it was "internal error: Maximum call stack size exceeded")', async () => {
    const file = write('deep.conf', `${repeat(2000, 'a {\n')}${repeat(2000, '}\n')}`);
    const r = await timed(file);
    expect(r).toEqual({ code: 2, stdout: '', stderr: `check-mysql lint-keepalived: ${file}:${LIMITS.nesting + 1}: blocks nested more than ${LIMITS.nesting} deep (keepalived's own keywords go 4 deep); stopped reading\n`, lines: [], ms: expect.any(Number) });
    expect(r.ms).toBeLessThan(1000);
  });

  it('counts nesting across an include inside blocks', async () => {
    write('nest/inner.conf', `${repeat(20, 'b {\n')}${repeat(20, '}\n')}`);
    const file = write('nest/outer.conf', `${repeat(20, 'a {\n')}include inner.conf\n${repeat(20, '}\n')}`);
    const r = await timed(file);
    expect(r.stderr).toBe(`check-mysql lint-keepalived: ${dir}/nest/inner.conf:${LIMITS.nesting - 20 + 1}: blocks nested more than ${LIMITS.nesting} deep (keepalived's own keywords go 4 deep); stopped reading\n`);
  });

  it('stops braces that make a million names', async () => {
    const file = write('braces.conf', `include ${repeat(20, '{a,b}')}.conf\n`);
    const r = await timed(file);
    expect(r.stderr).toBe(`check-mysql lint-keepalived: ${file}:1: include ${repeat(20, '{a,b}')}.conf: its braces make more than ${LIMITS.files} names; stopped reading\n`);
    expect(r.ms).toBeLessThan(1000);
  });

  it('reports a line longer than keepalived reads as one', async () => {
    const file = write('long.conf', `global_defs {\n    router_id ${repeat(1100, 'r')}\n}\n`);
    expect((await timed(file)).lines[0]).toBe(`${file}:2: error: this line is 1114 bytes: keepalived reads at most 1023 bytes of a line (lib/parser.h MAXBUF) and reads the rest as a line of its own; shorten it [line-too-long]`);
  });

  it.each([
    ['/dev/zero as FILE (it grew without end)', () => '/dev/zero', 'a character device, not a regular file'],
    ['a FIFO as FILE (it hung)', () => fifo('fifo.conf'), 'a FIFO, not a regular file'],
    ['a file over 1 MiB', () => write('big.conf', `# ${repeat(LIMITS.fileBytes, 'z')}\n`), 'larger than 1 MiB'],
  ])('refuses %s with one line and exit 2', async (_name, make, reason) => {
    const file = make();
    const r = await timed(file);
    expect(r).toEqual({ code: 2, stdout: '', stderr: `check-mysql lint-keepalived: cannot read ${file}: ${reason}\n`, lines: [], ms: expect.any(Number) });
    expect(r.ms).toBeLessThan(1000);
  });

  it('skips a FIFO it is told to include, as keepalived does, instead of hanging', async () => {
    fifo('inc/pipe.conf');
    const file = write('inc/main.conf', 'include pipe.conf\n');
    const r = await timed(file);
    expect(r.lines[0]).toBe(`${file}:1: warning: include pipe.conf: cannot read ${dir}/inc/pipe.conf (a FIFO, not a regular file); keepalived skips it without an error, so what it defines is missing [include-unreadable]`);
    expect(r.ms).toBeLessThan(1000);
  });
});

function fifo(name: string): string {
  const path = join(dir, name);
  mkdirSync(join(path, '..'), { recursive: true });
  const made = spawnSync('mkfifo', [path]);
  if (made.status !== 0) throw new Error(`mkfifo ${path}: ${made.stderr}`);
  return path;
}
