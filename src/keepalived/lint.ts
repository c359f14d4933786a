/** Reads a keepalived configuration through the injected reader and returns every finding, sorted by file and line. */
import type { LintFinding } from './finding.js';
import type { LintDeps } from './host.js';
import { runHostRules } from './host-rules.js';
import { loadConf } from './include.js';
import { readModel } from './model.js';
import { runRules } from './rules.js';

export interface LintResult {
  readonly findings: readonly LintFinding[];
  /** Every file read, the top file first. */
  readonly files: readonly string[];
  /** False when unbalanced braces made the tree unreliable, so only the syntax was checked. */
  readonly rulesRan: boolean;
}

export interface LintOptions {
  /** Skip the host checks and keepalived -t: the file is meant for another machine. */
  readonly offline: boolean;
}

/**
 * Throws what `deps.readFile(path)` throws when the top file cannot be read, and InputLimitError
 * when the files are past LIMITS.
 */
export function lintKeepalived(path: string, deps: LintDeps, { offline }: LintOptions): LintResult {
  const loaded = loadConf(path, deps);
  // With a brace missing, blocks swallow or lose their neighbours: rule findings would mislead.
  const rulesRan = !loaded.problems.some((p) => p.id === 'unbalanced-braces');
  const conf = readModel(loaded.nodes);
  const findings = [...loaded.problems, ...(rulesRan ? runRules(conf) : [])];
  // keepalived -t still speaks for a broken tree; the other host checks need the model.
  if (!offline) findings.push(...runHostRules({ conf, host: deps.host, files: loaded.files, structured: rulesRan }));
  const order = (f: LintFinding) => loaded.files.indexOf(f.file);
  findings.sort((a, b) => order(a) - order(b) || a.line - b.line);
  return { findings, files: loaded.files, rulesRan };
}
