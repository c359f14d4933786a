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
}

const ESCAPES: Record<string, string> = { b: '\b', t: '\t', n: '\n', r: '\r', s: ' ', '\\': '\\', '"': '"', "'": "'" };

export function parseOptionFile(text: string, path: string): ParsedOptionFile {
  const entries: OptionFileLine[] = [];
  const directives: OptionFileDirective[] = [];
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
      return;
    }
    if (group === '') throw new UsageError(`${path}:${index + 1}: option outside any [group]`);
    const eq = line.indexOf('=');
    const rawKey = (eq < 0 ? line : line.slice(0, eq)).trim();
    const key = rawKey.toLowerCase().replace(/_/g, '-');
    const value = eq < 0 ? '' : parseValue(line.slice(eq + 1).trim(), `${path}:${index + 1}`, group);
    entries.push({ group, key, rawKey, value, line: index + 1 });
  });
  return { entries, directives };
}

function parseValue(text: string, at: string, group: string): string {
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
    throw new UsageError(`${at}: unterminated quoted value in [${group}]`);
  }
  // Unquoted: an inline # starts a comment; escapes still apply.
  const hash = text.search(/\s#/);
  const bare = (hash < 0 ? text : text.slice(0, hash)).trim();
  return bare.replace(/\\(.)/g, (_m, c: string) => ESCAPES[c] ?? `\\${c}`);
}
