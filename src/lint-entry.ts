/**
 * What bin/check-mysql loads for `check-mysql lint-keepalived [--json] FILE`: reads a
 * keepalived.conf and the files it includes, and reports the settings that make a failover
 * fail open or slow. Pure apart from the injected reader and output streams.
 */
import { renderFinding, type LintFinding } from './keepalived/finding.js';
import type { ConfReader } from './keepalived/include.js';
import { lintKeepalived, type LintResult } from './keepalived/lint.js';
import { RULES, SYNTAX_CHECKS } from './keepalived/rules.js';

export type LintDeps = ConfReader;

export interface LintIo {
  stdout(text: string): void;
  stderr(text: string): void;
}

const NAME = 'check-mysql lint-keepalived';
const USAGE = `usage: ${NAME} [--json] FILE`;

function helpText(): string {
  const width = Math.max(...[...RULES, ...SYNTAX_CHECKS].map((r) => r.id.length));
  const list = (rules: readonly { id: string; summary: string }[]) => rules.map((r) => `  ${r.id.padEnd(width)}  ${r.summary}`).join('\n');
  return `Usage: ${NAME} [--json] FILE

Reads a keepalived.conf (keepalived 2.2 syntax) and the files it includes, and warns about the
settings that keep the VIP on a dead MySQL/MariaDB writer (fail open) or notice a failure late.
One line per finding: FILE:LINE: error|warning: message [rule-id], then a summary line.

Options:
  --json  Print the findings as a JSON array of {id, severity, file, line, message}
  --help  Show this help

Exit status: 0 no findings, 1 findings, 2 usage error or unreadable FILE.

Rules:
${list(RULES)}

Read checks (when braces do not balance, only these run):
${list(SYNTAX_CHECKS)}
`;
}

const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;

function summary({ findings, files, rulesRan }: LintResult): string {
  const scope = `in ${plural(files.length, 'file')}`;
  const errors = findings.filter((f: LintFinding) => f.severity === 'error').length;
  const counts = findings.length === 0 ? `no findings ${scope}` : `${plural(errors, 'error')}, ${plural(findings.length - errors, 'warning')} ${scope}`;
  return rulesRan ? counts : `${counts}; the rules did not run: fix the braces first`;
}

/** `check-mysql lint-keepalived ARGS`: returns the exit code. Never throws. */
export function lintMain(argv: readonly string[], deps: LintDeps, io: LintIo): number {
  const fail = (problem: string): number => {
    io.stderr(`${NAME}: ${problem}\n`);
    return 2;
  };
  const end = argv.indexOf('--');
  const options = end < 0 ? argv : argv.slice(0, end);
  if (options.includes('--help')) {
    io.stdout(helpText());
    return 0;
  }
  const unknown = options.find((a) => a.startsWith('-') && a !== '-' && a !== '--json');
  if (unknown !== undefined) return fail(`unknown option ${unknown}; ${USAGE}`);
  const files = [...options.filter((a) => a !== '--json'), ...(end < 0 ? [] : argv.slice(end + 1))];
  if (files.length === 0) return fail(`no FILE given; ${USAGE}`);
  if (files.length > 1) return fail(`expected one FILE, got ${files.length}: ${files.join(' ')}`);
  const file = files[0]!;

  let result: LintResult;
  try {
    result = lintKeepalived(file, deps);
  } catch (err) {
    const code = (err as { code?: unknown })?.code;
    if (typeof code === 'string') return fail(`cannot read ${file}: ${code}`);
    return fail(`internal error: ${(err as Error)?.message ?? String(err)}`);
  }

  if (options.includes('--json')) io.stdout(`${JSON.stringify(result.findings, null, 2)}\n`);
  else io.stdout([...result.findings.map(renderFinding), summary(result)].map((l) => `${l}\n`).join(''));
  return result.findings.length === 0 ? 0 : 1;
}
