/** One thing `check-mysql lint-keepalived` reports, tied to a file and line of the configuration. */
export type Severity = 'error' | 'warning';

export interface LintFinding {
  /** The rule's id, e.g. `weighted-check-under-nopreempt`; tests and scripts key on it. */
  readonly id: string;
  readonly severity: Severity;
  readonly file: string;
  readonly line: number;
  readonly message: string;
}

/** Where a finding points: any parsed line of the configuration. */
export interface Located {
  readonly file: string;
  readonly line: number;
}

export const error = (id: string, at: Located, message: string): LintFinding => ({ id, severity: 'error', file: at.file, line: at.line, message });

export const warning = (id: string, at: Located, message: string): LintFinding => ({ id, severity: 'warning', file: at.file, line: at.line, message });

/** `FILE:LINE: warning: message [rule-id]`, the shape compilers and editors already understand. */
export const renderFinding = (f: LintFinding): string => `${f.file}:${f.line}: ${f.severity}: ${f.message} [${f.id}]`;
