/**
 * keepalived's own verdict on the file, `keepalived -t -f FILE`, turned into findings. In config
 * test mode keepalived prints each complaint as "(FILE: Line N) message", or "(Line N) message"
 * when only one file is read (lib/parser.c report_config_error()), and exits non-zero when any
 * was serious; here, without a keepalived_script user, 2.2.7 prints "Unable to set default user
 * for vrrp script chk_mysql - removing" and "track script chk_mysql not found, ignoring" and
 * exits 5 for the shipped examples.
 */
import { error, warning, type LintFinding } from './finding.js';
import type { ConfigTestRun } from './host.js';

const ID = 'keepalived-config-test';
/** Findings from one run at most; a broken file can make keepalived print a line per keyword. */
const MAX_LINES = 20;
const MAX_LINE_CHARS = 300;
/** Lines that say keepalived drops something: what the other rules look for in its log. */
const DROPS = /remov|ignor|disabl|not found|does not exist|insecure|unable|cannot|error|invalid|unknown|missing/i;

const located = /^\((?:(.+?): )?Line (\d+)\) (.*)$/;

/** The file a "(NAME: Line N)" names: keepalived prints include names as written, after chdir. */
function fileNamed(name: string | undefined, top: string, files: readonly string[]): string {
  if (name === undefined) return top;
  return files.find((f) => f === name) ?? files.find((f) => f.endsWith(`/${name.replace(/^\.\//, '')}`)) ?? top;
}

export function configTestFindings(top: string, files: readonly string[], run: ConfigTestRun): LintFinding[] {
  const lines = run.output
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '');
  const out: LintFinding[] = [];
  if (run.status === 'timeout') out.push(error(ID, { file: top, line: 0 }, 'keepalived -t did not finish within its time limit and was stopped'));
  else if (run.status !== 0) out.push(error(ID, { file: top, line: 0 }, `keepalived -t -f ${top} exits ${run.status}: keepalived's own check of this file fails on this host${lines.length > 0 ? '; what it says follows' : ''}`));
  for (const line of lines.slice(0, MAX_LINES)) {
    const m = located.exec(line);
    const at = m ? { file: fileNamed(m[1], top, files), line: Number(m[2]) } : { file: top, line: 0 };
    const text = (m ? m[3]! : line).slice(0, MAX_LINE_CHARS);
    out.push((DROPS.test(text) ? error : warning)(ID, at, `keepalived -t says: ${text}`));
  }
  if (lines.length > MAX_LINES) out.push(warning(ID, { file: top, line: 0 }, `keepalived -t printed ${lines.length - MAX_LINES} more lines (run it for all of them)`));
  return out;
}
