import { UsageError } from '../usage-error.js';

/**
 * my.cnf syntax, as the mysql client reads it: [groups], key=value (dashes and underscores alike),
 * quoted values with escapes, # and ; comments, !include and !includedir.
 * Pure: text in, entries out. Reading files and following includes is in option-files.ts.
 * An error names the file, the line and the group, never the line's text: it may be a password.
 */
export interface OptionFileLine {
  readonly group: string;
  /** Lower-cased, underscores read as dashes (the client's rule). */
  readonly key: string;
  /** As written, for keys whose spelling matters (label names). */
  readonly rawKey: string;
  readonly value: string;
  /** 1-based, for error messages. */
  readonly line: number;
}

export type OptionFileDirective = { readonly kind: 'include' | 'includedir'; readonly path: string };

export interface ParsedOptionFile {
  readonly entries: readonly OptionFileLine[];
  readonly directives: readonly OptionFileDirective[];
  /** Every [group] header with its 1-based line, in order (a group may appear twice). */
  readonly headers: readonly { readonly group: string; readonly line: number }[];
}

const ESCAPES: Record<string, string> = { b: '\b', t: '\t', n: '\n', r: '\r', s: ' ', '\\': '\\', '"': '"', "'": "'" };

/**
 * Throws on the first bad line; with `lenient`, reports each bad line to it and keeps what can
 * be read (a bad line's entry too, where its key can be read), for callers whose safe action
 * must not depend on the rest of the file being right (`daemon --mark-fault`).
 */
export function parseOptionFile(text: string, path: string, lenient?: (err: Error) => void): ParsedOptionFile {
  const entries: OptionFileLine[] = [];
  const directives: OptionFileDirective[] = [];
  const headers: { group: string; line: number }[] = [];
  const fail = (message: string): void => {
    if (!lenient) throw new UsageError(message);
    lenient(new UsageError(message));
  };
  let group = '';
  text.split(/\r?\n/).forEach((raw, index) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) return;
    const directive = /^!(includedir|include)\s+(.+)$/.exec(line);
    if (directive) {
      directives.push({ kind: directive[1] as 'include' | 'includedir', path: directive[2]!.trim() });
      return;
    }
    const header = /^\[([^\]]+)\]\s*(#.*)?$/.exec(line);
    if (header) {
      // Kept as written: daemon target names are case-sensitive; client groups compare lower-cased.
      group = header[1]!.trim();
      headers.push({ group, line: index + 1 });
      return;
    }
    if (group === '') fail(`${path}:${index + 1}: option outside any [group]`);
    const eq = line.indexOf('=');
    const rawKey = (eq < 0 ? line : line.slice(0, eq)).trim();
    const key = rawKey.toLowerCase().replace(/_/g, '-');
    const value = eq < 0 ? '' : parseValue(line.slice(eq + 1).trim(), path, index + 1, group, fail);
    entries.push({ group, key, rawKey, value, line: index + 1 });
  });
  return { entries, directives, headers };
}

function parseValue(text: string, path: string, lineNo: number, group: string, fail: (message: string) => void): string {
  const quote = text[0];
  if (quote === '"' || quote === "'") {
    let out = '';
    for (let i = 1; i < text.length; i++) {
      const c = text[i]!;
      if (c === quote) return out;
      if (c === '\\' && i + 1 < text.length) {
        const next = text[++i]!;
        out += ESCAPES[next] ?? `\\${next}`;
      } else out += c;
    }
    // Lenient callers keep what was written up to the end of the line.
    fail(`${path}:${lineNo}: unterminated quoted value in [${group}]`);
    return out;
  }
  // Unquoted: an inline # starts a comment; escapes still apply.
  const hash = text.search(/\s#/);
  const bare = (hash < 0 ? text : text.slice(0, hash)).trim();
  return bare.replace(/\\(.)/g, (_m, c: string) => ESCAPES[c] ?? `\\${c}`);
}
