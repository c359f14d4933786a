/**
 * Resolves keepalived's include directives through an injected reader, so the linter sees the
 * configuration keepalived sees. Each included file's nodes take the include line's place, in
 * or outside a block, because keepalived includes text line by line (lib/parser.c read_line()
 * calls check_include() on every line). A relative name is relative to the including file's
 * directory, and may be a glob with csh-style braces ({a,b}); keepalived skips directories and
 * any name it cannot open, without an error for plain `include` (lib/parser.c read_conf_file();
 * man keepalived.conf(5)). Braces must balance within each file.
 */
import { dirname, isAbsolute, join, normalize } from 'node:path';
import { error, warning, type LintFinding } from './finding.js';
import { InputLimitError, LIMITS, ReadBudget } from './limits.js';
import { isInclude, parseConf, type ConfNode } from './parse.js';

export interface ConfReader {
  /**
   * The text of a regular file of at most LIMITS.fileBytes, or throws an Error with a `code`:
   * an errno name (ENOENT, EISDIR, ...), ENOTREG for a FIFO, device or socket (read, they hang
   * or never end), EFBIG past the size bound.
   */
  readFile(path: string): string;
  /** Names in a directory. Without it an include with a wildcard is reported, not expanded. */
  readDir?(path: string): readonly string[];
}

export interface LoadedConf {
  /** The top file's nodes, with every include replaced by the included files' nodes. */
  readonly nodes: readonly ConfNode[];
  /** Every file read, the top file first, in the order keepalived reads them. */
  readonly files: readonly string[];
  readonly problems: readonly LintFinding[];
}

const errnoOf = (err: unknown): string => (err as { code?: unknown })?.code?.toString() ?? (err as Error)?.message ?? String(err);

/** Why a file could not be read, for a message: the errno name, or what the reader says. */
export const readProblem = (err: unknown): string => {
  const code = errnoOf(err);
  return code === 'ENOTREG' || code === 'EFBIG' ? (err as Error).message : code;
};

/**
 * Reads and parses `path` and everything it includes. Throws when `path` itself cannot be read,
 * and InputLimitError past LIMITS (files read, include depth, nesting, bytes).
 */
export function loadConf(path: string, reader: ConfReader): LoadedConf {
  const files: string[] = [];
  const problems: LintFinding[] = [];
  const budget = new ReadBudget();

  // `depth` is how deep in blocks the include line stands, so nesting counts across files.
  const load = (file: string, text: string, stack: readonly string[], depth: number): ConfNode[] => {
    files.push(file);
    budget.take(text.length, file, 1, 'this file');
    const parsed = parseConf(text, file, budget, depth);
    problems.push(...parsed.problems);
    return splice(parsed.nodes, [...stack, normalize(file)], depth);
  };

  const splice = (nodes: readonly ConfNode[], stack: readonly string[], depth: number): ConfNode[] =>
    nodes.flatMap((node) => {
      if (isInclude(node)) return include(node, stack, depth);
      return node.children.length > 0 ? [{ ...node, children: splice(node.children, stack, depth + 1) }] : [node];
    });

  // keepalived reads a file again each time it is included, so N files that include each other
  // by a wildcard make N! reads: the count and the depth stop that long before it costs a second.
  let listed = 0;
  const bound = (node: ConfNode, stack: readonly string[]): void => {
    if (stack.length > LIMITS.includeDepth) throw new InputLimitError(node.file, node.line, `${node.keyword} ${node.args[0]}: includes nested more than ${LIMITS.includeDepth} deep; stopped reading`);
    if (files.length >= LIMITS.files) throw new InputLimitError(node.file, node.line, `${node.keyword} ${node.args[0]}: more than ${LIMITS.files} files read (keepalived reads a file again each time it is included); stopped reading`);
  };

  const include = (node: ConfNode, stack: readonly string[], depth: number): ConfNode[] => {
    const name = node.args[0]!;
    const wanted = isAbsolute(name) ? name : join(dirname(node.file), name);
    const out: ConfNode[] = [];
    const patterns = expandBraces(wanted);
    if (patterns.length > LIMITS.files) throw new InputLimitError(node.file, node.line, `${node.keyword} ${name}: its braces make more than ${LIMITS.files} names; stopped reading`);
    for (const pattern of patterns) {
      const wildcard = /[*?[]/.test(pattern);
      if (wildcard && !reader.readDir) {
        problems.push(warning('include-unresolved', node, `${node.keyword} ${name}: this run cannot expand wildcards, so the rules did not see those files`));
        continue;
      }
      const listing = () => {
        if (++listed > LIMITS.files) throw new InputLimitError(node.file, node.line, `${node.keyword} ${name}: more than ${LIMITS.files} directories listed; stopped reading`);
      };
      const candidates = wildcard ? globFiles(pattern, reader.readDir!, listing) : [pattern];
      for (const file of candidates) {
        if (stack.includes(normalize(file))) {
          problems.push(error('include-cycle', node, `${node.keyword} ${name}: ${file} includes itself (directly or through other files)`));
          continue;
        }
        bound(node, stack);
        let text: string;
        try {
          text = reader.readFile(file);
        } catch (err) {
          const code = errnoOf(err);
          // A glob only yields files that exist; a directory it matched is skipped by keepalived too.
          if (wildcard && ['ENOENT', 'ENOTDIR', 'EISDIR'].includes(code)) continue;
          problems.push(warning('include-unreadable', node, `${node.keyword} ${name}: cannot read ${file} (${readProblem(err)}); keepalived skips it without an error, so what it defines is missing`));
          continue;
        }
        out.push(...load(file, text, stack, depth));
      }
    }
    return out;
  };

  const nodes = load(path, reader.readFile(path), [], 0);
  return { nodes, files, problems };
}

/**
 * csh-style brace expansion, as glob(GLOB_BRACE): `a{b,c{d,e}}f` -> abf, acdf, acef. Stops
 * growing past LIMITS.files names (`{a,b}` twenty times over would be a million).
 */
export function expandBraces(pattern: string): string[] {
  let depth = 0;
  let open = -1;
  const commas: number[] = [];
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '{' && depth++ === 0) open = i;
    else if (c === ',' && depth === 1) commas.push(i);
    else if (c === '}' && depth > 0 && --depth === 0) {
      if (commas.length === 0) {
        // "{x}" is literal for glob; keep looking for a later group
        open = -1;
        continue;
      }
      const head = pattern.slice(0, open);
      const tail = pattern.slice(i + 1);
      const bounds = [open, ...commas, i];
      const alternatives = bounds.slice(1).map((end, k) => pattern.slice(bounds[k]! + 1, end));
      const out: string[] = [];
      for (const alt of alternatives) {
        out.push(...expandBraces(head + alt + tail));
        if (out.length > LIMITS.files) break;
      }
      return out;
    }
  }
  return [pattern];
}

/**
 * The files matching a glob pattern (`*`, `?`, `[...]`), sorted per directory as glob(3) does.
 * `readingDir` is called before each directory is listed, so a pattern with a wildcard at every
 * level of the tree is bounded like the file reads.
 */
function globFiles(pattern: string, readDir: (path: string) => readonly string[], readingDir: () => void): string[] {
  const segments = pattern.split('/');
  let found = [segments[0] === '' ? '/' : segments[0]!];
  for (const segment of segments.slice(1)) {
    if (segment === '') continue;
    if (!/[*?[]/.test(segment)) {
      found = found.map((dir) => join(dir, segment));
      continue;
    }
    const matches = segmentMatcher(segment);
    found = found.flatMap((dir) => {
      let names: readonly string[];
      readingDir();
      try {
        names = readDir(dir);
      } catch {
        return [];
      }
      return [...names].filter(matches).sort().map((n) => join(dir, n));
    });
  }
  return found;
}

function segmentMatcher(segment: string): (name: string) => boolean {
  let source = '';
  for (let i = 0; i < segment.length; i++) {
    const c = segment[i]!;
    if (c === '*') source += '[^/]*';
    else if (c === '?') source += '[^/]';
    else if (c === '[' && segment.indexOf(']', i + 2) > i) {
      const end = segment.indexOf(']', i + 2);
      const body = segment.slice(i + 1, end);
      source += `[${body.startsWith('!') ? `^${body.slice(1)}` : body}]`;
      i = end;
    } else source += c.replace(/[\\^$.|+(){}\]]/g, '\\$&');
  }
  const re = new RegExp(`^${source}$`);
  // A leading '.' must be matched explicitly, as in glob(3).
  return (name) => re.test(name) && (!name.startsWith('.') || segment.startsWith('.'));
}
