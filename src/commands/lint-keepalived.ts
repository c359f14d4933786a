import { renderFinding, type LintFinding } from '../keepalived/finding.js';
import { HOST_CHECKS } from '../keepalived/host-rules.js';
import type { LintDeps } from '../keepalived/host.js';
import { readProblem } from '../keepalived/include.js';
import { InputLimitError, LIMITS } from '../keepalived/limits.js';
import { lintKeepalived as lint, type LintResult } from '../keepalived/lint.js';
import { RULES, SYNTAX_CHECKS } from '../keepalived/rules.js';
import { EXIT, type Command } from './command.js';
import { commandEntry } from './table.js';

const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;

function summary({ findings, files, rulesRan }: LintResult): string {
  const scope = `in ${plural(files.length, 'file')}`;
  const errors = findings.filter((f: LintFinding) => f.severity === 'error').length;
  const counts = findings.length === 0 ? `no findings ${scope}` : `${plural(errors, 'error')}, ${plural(findings.length - errors, 'warning')} ${scope}`;
  return rulesRan ? counts : `${counts}; the rules did not run: fix the braces first`;
}

function ruleList(): string {
  const width = Math.max(...[...RULES, ...SYNTAX_CHECKS, ...HOST_CHECKS].map((r) => r.id.length));
  const list = (rules: readonly { id: string; summary: string }[]) => rules.map((r) => `  ${r.id.padEnd(width)}  ${r.summary}`).join('\n');
  return `Rules:\n${list(RULES)}\n\nHost checks (what keepalived checks on the machine it runs on; --offline skips them):\n${list(HOST_CHECKS)}\n\nRead checks (when braces do not balance, only these run):\n${list(SYNTAX_CHECKS)}`;
}

/** Reads a keepalived.conf and the files it includes; reports what makes a failover fail open or slow. */
export const lintKeepalived = {
  ...commandEntry('lint-keepalived'),
  usage: 'check-mysql lint-keepalived [--json] [--offline] FILE',
  description: `Reads a keepalived.conf (keepalived 2.2 syntax) and the files it includes, and warns about the
settings that keep the VIP on a dead MySQL/MariaDB writer (fail open) or notice a failure late.
On the machine that will run the file it also checks what keepalived checks there (the script
user, the scripts' paths and permissions, track file directories) and runs keepalived -t when
keepalived is installed; --offline skips that for a file meant for another machine.
One line per finding: FILE:LINE: error|warning: message [rule-id] (line 0: the file as a whole),
then a summary line.
Exit status: 0 no findings, 1 findings, 2 usage error, unreadable FILE or input past the
linter's bounds (${LIMITS.fileBytes / 1024 / 1024} MiB a file, ${LIMITS.files} files, ${LIMITS.includeDepth} levels of includes, ${LIMITS.nesting} of blocks).`,
  positionals: { min: 1, max: 1, name: 'FILE' },
  epilogue: ruleList,
  run({ args, io, deps }) {
    const file = args.positionals[0]!;
    let result: LintResult;
    try {
      result = lint(file, deps, { offline: args.options.get('offline') === true });
    } catch (err) {
      if (err instanceof InputLimitError) {
        io.stderr(`check-mysql lint-keepalived: ${err.file}:${err.line}: ${err.message}\n`);
        return EXIT.USAGE;
      }
      if (typeof (err as { code?: unknown })?.code === 'string') {
        io.stderr(`check-mysql lint-keepalived: cannot read ${file}: ${readProblem(err)}\n`);
        return EXIT.USAGE;
      }
      throw err;
    }
    if (args.options.get('json') === true) io.stdout(`${JSON.stringify(result.findings, null, 2)}\n`);
    else io.stdout([...result.findings.map(renderFinding), summary(result)].map((l) => `${l}\n`).join(''));
    return result.findings.length === 0 ? EXIT.OK : EXIT.FAILED;
  },
} satisfies Command<LintDeps>;
