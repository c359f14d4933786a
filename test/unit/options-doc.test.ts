/**
 * docs/options.md against `--help`: each command's table lists exactly the options that
 * `check-mysql CMD --help` shows, with the default help shows; and docs/keepalived.md lists
 * every rule that `lint-keepalived --help` names. Runs the built CLI (bin/check-mysql), as a
 * user would.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(__dirname, '..', '..');
const OPTIONS_DOC = readFileSync(join(ROOT, 'docs', 'options.md'), 'utf8');
const KEEPALIVED_DOC = readFileSync(join(ROOT, 'docs', 'keepalived.md'), 'utf8');

function help(args: string[]): string {
  const run = spawnSync(process.execPath, [join(ROOT, 'bin', 'check-mysql'), ...args, '--help'], { encoding: 'utf8', env: { PATH: process.env.PATH ?? '/usr/bin:/bin' } });
  if (run.status !== 0) throw new Error(`check-mysql ${args.join(' ')} --help exited ${run.status} (built? npm run build)\n${run.stderr}`);
  return run.stdout;
}

interface HelpOption {
  name: string;
  short?: string;
  default?: string;
}

/** Options as --help lists them: "  -h, --host   text [default: x]", continuation lines indented further. */
function helpOptions(text: string): HelpOption[] {
  const out: HelpOption[] = [];
  let current: { option: HelpOption; text: string } | undefined;
  const flush = () => {
    if (!current) return;
    const d = /\[default: ([^\]]+)\]/.exec(current.text.replace(/\s+/g, ' '));
    if (d) current.option.default = d[1]!.trim();
    out.push(current.option);
    current = undefined;
  };
  for (const line of text.split('\n')) {
    // Two spaces, then `-h, ` or four more: a wrapped description line may start with `--x` too.
    const m = /^ {2}(?:-([A-Za-z]), | {4})?--([a-z][a-z-]*)\b(.*)$/.exec(line);
    if (m) {
      flush();
      current = { option: { name: m[2]!, ...(m[1] && { short: m[1] }) }, text: m[3]! };
    } else if (current && /^ {6,}\S/.test(line)) {
      current.text += ` ${line.trim()}`;
    } else {
      flush();
    }
  }
  flush();
  return out;
}

/** The `| option | default | description |` rows of one `## COMMAND` section. */
function docRows(command: string): Map<string, { cells: string[] }> {
  const start = OPTIONS_DOC.indexOf(`\n## ${command}\n`);
  if (start < 0) throw new Error(`docs/options.md has no "## ${command}" section`);
  const end = OPTIONS_DOC.indexOf('\n## ', start + 1);
  const section = OPTIONS_DOC.slice(start, end < 0 ? undefined : end);
  const rows = new Map<string, { cells: string[] }>();
  for (const line of section.split('\n')) {
    if (!line.startsWith('| `-')) continue;
    const cells = line.split('|').slice(1, -1).map((c) => c.trim());
    const name = /`--([a-z][a-z-]*)`/.exec(cells[0]!)?.[1];
    if (!name) throw new Error(`docs/options.md ## ${command}: cannot read the option in "${line}"`);
    if (rows.has(name)) throw new Error(`docs/options.md ## ${command}: --${name} is listed twice`);
    rows.set(name, { cells });
  }
  return rows;
}

// Where --help's default is not what the command uses; the doc says what it does. Empty since
// --help shows each command's own defaults.
const HELP_DEFAULT_DIFFERS = new Set<string>([]);

const COMMANDS = [
  { command: 'check', args: [] },
  { command: 'daemon', args: ['daemon'] },
  { command: 'notify', args: ['notify'] },
  { command: 'switchover', args: ['switchover'] },
  { command: 'maintenance', args: ['maintenance'] },
  { command: 'lint-keepalived', args: ['lint-keepalived'] },
];

describe('docs/options.md lists what --help shows', () => {
  it.each(COMMANDS)('$command: the same options, short names and defaults', ({ command, args }) => {
    const fromHelp = helpOptions(help(args));
    expect(fromHelp.length).toBeGreaterThan(1);
    const rows = docRows(command);
    expect([...rows.keys()].sort(), `options in docs/options.md ## ${command}`).toEqual(fromHelp.map((o) => o.name).sort());
    for (const o of fromHelp) {
      const [option, defaultCell] = rows.get(o.name)!.cells;
      if (o.short) expect(option, `--${o.name}`).toContain(`\`-${o.short}\``);
      if (o.default === undefined || HELP_DEFAULT_DIFFERS.has(`${command} --${o.name}`)) continue;
      expect(defaultCell!.replace(/`/g, ''), `default of ${command} --${o.name}`).toBe(o.default);
    }
  });
});

describe('docs/keepalived.md lists every lint-keepalived rule', () => {
  it('has a row for each rule and read check that --help names', () => {
    const text = help(['lint-keepalived']);
    const ids = [...text.matchAll(/^ {2}([a-z]+(?:-[a-z]+)*) {2,}\S/gm)].map((m) => m[1]!);
    expect(ids.length).toBeGreaterThan(10);
    for (const id of ids) expect(KEEPALIVED_DOC, id).toContain(`| \`${id}\` |`);
  });
});
