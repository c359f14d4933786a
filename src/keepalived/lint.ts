/** Reads a keepalived configuration through the injected reader and returns every finding, sorted by file and line. */
import type { LintFinding } from './finding.js';
import { loadConf, type ConfReader } from './include.js';
import { readModel } from './model.js';
import { runRules } from './rules.js';

export interface LintResult {
  readonly findings: readonly LintFinding[];
  /** Every file read, the top file first. */
  readonly files: readonly string[];
  /** False when unbalanced braces made the tree unreliable, so only the syntax was checked. */
  readonly rulesRan: boolean;
}

/** Throws what `reader.readFile(path)` throws when the top file cannot be read. */
export function lintKeepalived(path: string, reader: ConfReader): LintResult {
  const loaded = loadConf(path, reader);
  // With a brace missing, blocks swallow or lose their neighbours: rule findings would mislead.
  const rulesRan = !loaded.problems.some((p) => p.id === 'unbalanced-braces');
  const findings = [...loaded.problems, ...(rulesRan ? runRules(readModel(loaded.nodes)) : [])];
  const order = (f: LintFinding) => loaded.files.indexOf(f.file);
  findings.sort((a, b) => order(a) - order(b) || a.line - b.line);
  return { findings, files: loaded.files, rulesRan };
}
