/**
 * A small, pure parser for keepalived.conf syntax (keepalived 2.2.x): no I/O, no knowledge of
 * what the keywords mean. It turns one file's text into a tree of `{ keyword, args, line, file,
 * children }` and leaves `include` lines in the tree for the caller to resolve (include.ts).
 *
 * What it mirrors, and where that was read:
 * - Comments: '#' or '!' to the end of the line, anywhere in a line, but not inside "double
 *   quotes"; '\#' and '\!' outside quotes are a literal '#' / '!'. Single quotes do not protect a
 *   comment character. (man keepalived.conf(5) "Comments start with '#' or '!' to the end of the
 *   line"; lib/parser.c decomment().)
 * - Braces: '{' and '}' outside double quotes end the current logical line, so
 *   `track_script { chk weight 0 }` on one line is the same as four lines. (lib/parser.c
 *   read_line(): "Search for BOB[0] or EOB[0] not in \"\"", line_residue.) Verified with
 *   keepalived 2.2.7 (`-d` dump): `global_defs { script_user nobody }` and a one-line
 *   `track_script { chk weight 5 }` parse as blocks.
 * - Words: separated by unquoted white space; "..." and '...' group, quotes are removed and the
 *   white space inside kept; backslash escapes like the shell. (man keepalived.conf(5) "Quoted
 *   strings"; lib/parser.c alloc_strvec_quoted_escaped().)
 * - include: a line of exactly two words whose first is include, includer, includem, includew,
 *   includeb or includea. Relative paths are relative to the including file's directory; the
 *   name may be a glob with csh-style braces. (man keepalived.conf(5) "include FILENAME";
 *   lib/parser.c check_include(), read_conf_file() glob(GLOB_MARK | GLOB_BRACE) and chdir.)
 * - `$NAME=value` definitions (a trailing '\' continues one onto the next line) and their
 *   `$NAME` / `${NAME}` uses are expanded; `@ID line` / `@^ID line` keep the line and record the
 *   condition; `~SEQ(...)` lines are skipped. (lib/parser.c check_definition(), replace_param(),
 *   read_line() '@' handling, add_seq().)
 *
 * Lenient about what it does not understand (any keyword is a node), strict about braces: a '}'
 * without its '{', or a '{' never closed, is an `unbalanced-braces` finding with its line.
 */
import { error, type LintFinding } from './finding.js';
import { InputLimitError, LIMITS, ReadBudget } from './limits.js';

export interface ConfNode {
  readonly keyword: string;
  /** The words after the keyword, quotes removed; never contains the block's braces. */
  readonly args: readonly string[];
  readonly file: string;
  readonly line: number;
  /** The entries inside the `{ }` block; empty for a plain line. */
  readonly children: readonly ConfNode[];
  /** Whether a `{ }` block followed the keyword. */
  readonly block: boolean;
  /** `@ID` or `@^ID` when the line only applies on (or not on) that config id (keepalived -i). */
  readonly condition?: string;
}

export interface ParsedFile {
  readonly nodes: readonly ConfNode[];
  /** The include directives, in order; each is also in `nodes` where it appeared. */
  readonly includes: readonly ConfNode[];
  /** Syntax findings: `unbalanced-braces`, `syntax`. */
  readonly problems: readonly LintFinding[];
}

export const INCLUDE_KEYWORDS: readonly string[] = ['include', 'includer', 'includem', 'includew', 'includeb', 'includea'];

export const isInclude = (node: ConfNode): boolean => !node.block && node.args.length === 1 && INCLUDE_KEYWORDS.includes(node.keyword);

/** A node as written, for messages: `vrrp_instance VI_1`. */
export const describeNode = (node: ConfNode): string => [node.keyword, ...node.args].join(' ');

interface Node {
  keyword: string;
  args: string[];
  file: string;
  line: number;
  children: Node[];
  block: boolean;
  condition?: string;
}

const BLANK = /[ \t\f\v\r\n]/;
const BLANKS = /[ \t\f\v\r\n]+/;

/**
 * Throws InputLimitError when blocks nest deeper than LIMITS.nesting (`depth` is the nesting of
 * the include line that brought this file in) or `$NAME` expansion takes more than the budget.
 */
export function parseConf(text: string, file: string, budget: ReadBudget = new ReadBudget(), depth = 0): ParsedFile {
  const problems: LintFinding[] = [];
  const top: Node[] = [];
  const open: Node[] = [];
  const includes: Node[] = [];
  const definitions = new Map<string, string>();
  // The node made from the logical line just before, which a following '{' opens.
  let owner: Node | undefined;
  const at = (line: number) => ({ file, line });
  const siblings = (): Node[] => open.at(-1)?.children ?? top;

  const logicalLine = (body: string, line: number, condition: string | undefined): void => {
    const whole = splitWords(body);
    if (whole.unterminated) {
      problems.push(error('syntax', at(line), `missing closing ${whole.unterminated} quote: keepalived drops this line`));
      return;
    }
    const [first, second, third] = whole.words;
    if (first !== undefined && INCLUDE_KEYWORDS.includes(first) && second !== undefined && third === undefined) {
      const node: Node = { keyword: first, args: [second], file, line, children: [], block: false, ...(condition && { condition }) };
      siblings().push(node);
      includes.push(node);
      owner = undefined;
      return;
    }
    for (const part of splitAtBraces(body)) {
      if (part === '{') {
        if (open.length + depth >= LIMITS.nesting) throw new InputLimitError(file, line, `blocks nested more than ${LIMITS.nesting} deep (keepalived's own keywords go 4 deep); stopped reading`);
        if (owner && !owner.block) {
          owner.block = true;
          open.push(owner);
        } else {
          problems.push(error('syntax', at(line), "'{' with no keyword before it: keepalived ignores it"));
          const anonymous: Node = { keyword: '', args: [], file, line, children: [], block: true };
          siblings().push(anonymous);
          open.push(anonymous);
        }
        owner = undefined;
      } else if (part === '}') {
        if (open.pop() === undefined) problems.push(error('unbalanced-braces', at(line), "'}' has no matching '{'"));
        owner = undefined;
      } else {
        const [keyword, ...args] = splitWords(part).words;
        if (keyword === undefined) continue;
        owner = { keyword, args, file, line, children: [], block: false, ...(condition && { condition }) };
        siblings().push(owner);
      }
    }
  };

  const physical = text.split(/\r?\n/);
  for (let i = 0; i < physical.length; i++) {
    const line = i + 1;
    const bytes = Buffer.byteLength(physical[i]!);
    if (bytes > LIMITS.lineBytes) {
      problems.push(error('line-too-long', at(line), `this line is ${bytes} bytes: keepalived reads at most ${LIMITS.lineBytes} bytes of a line (lib/parser.h MAXBUF) and reads the rest as a line of its own; shorten it`));
    }
    let body = decomment(physical[i]!);
    if (body === '') continue;

    let condition: string | undefined;
    if (body.startsWith('@')) {
      const m = /^@(\^?[^ \t]+)[ \t]+(.*)$/.exec(body);
      if (!m) continue; // "@ID" with nothing after it: keepalived drops the line
      condition = `@${m[1]}`;
      body = m[2]!;
    }

    const definition = /^\$([A-Za-z_][A-Za-z0-9_]*)[ \t]*=[ \t]*(.*)$/.exec(body);
    if (definition) {
      let value = definition[2]!;
      while (value.endsWith('\\') && i + 1 < physical.length) {
        value = `${value.slice(0, -1).trimEnd()}\n${decomment(physical[++i]!)}`;
      }
      definitions.set(definition[1]!, value.endsWith('\\') ? value.slice(0, -1) : value);
      continue;
    }
    if (body.startsWith('~SEQ')) continue;

    const expanded = expand(body, definitions, (growth) => budget.take(growth, file, line, "this line's $NAME expansion"));
    if (expanded.tooLong) {
      problems.push(error('expansion-too-long', at(line), `$NAME expansion makes this line longer than keepalived's ${LIMITS.lineBytes} bytes: keepalived refuses the substitution ("Parameter substitution on line ... would exceed maximum line length") and keeps the line unexpanded`));
    }
    for (const one of expanded.lines) logicalLine(one, line, condition);
  }

  for (const unclosed of open) {
    const what = unclosed.keyword === '' ? "'{'" : `'${describeNode(unclosed)} {'`;
    problems.push(error('unbalanced-braces', unclosed, `${what} is never closed (missing '}')`));
  }
  return { nodes: top, includes, problems };
}

/**
 * Removes a comment and the leading and trailing blanks, as lib/parser.c decomment() does:
 * only double quotes protect '#' and '!'; a trailing '\' (a definition's continuation) stays.
 */
function decomment(raw: string): string {
  let out = '';
  let quoted = false;
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i]!;
    if (c === '"') quoted = !quoted;
    else if (c === '\\' && i + 1 < raw.length) {
      const next = raw[++i]!;
      out += !quoted && (next === '#' || next === '!') ? next : c + next;
      continue;
    } else if (!quoted && (c === '#' || c === '!')) break;
    out += c;
  }
  return out.trim();
}

const USE = /\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)(?=[ \t,)]|$)/gm;

/**
 * Expands `$NAME` and `${NAME}` uses of definitions; a multi-line definition yields several lines.
 * keepalived re-expands while the line still holds a '$' and stops where a line would pass its
 * buffer (lib/parser.c read_line() `recheck`, replace_param()): so does this, keeping the last
 * expansion that fit, which also ends a self-referencing `$X=$X $X` after a few rounds. `take`
 * is told each round's growth and throws past the budget.
 */
function expand(body: string, definitions: ReadonlyMap<string, string>, take: (growth: number) => void): { lines: string[]; tooLong: boolean } {
  let text = body;
  let tooLong = false;
  if (definitions.size > 0 && body.includes('$')) {
    for (let round = 0; round < LIMITS.expansionRounds; round++) {
      // Bounded while it is built: one round may multiply the line by every use it holds.
      const next = substitute(text, definitions, text.length + LIMITS.totalBytes);
      if (next === text) break;
      if (next === undefined || next.split('\n').some((l) => Buffer.byteLength(l) > LIMITS.lineBytes)) {
        tooLong = true;
        break;
      }
      take(next.length - text.length);
      text = next;
    }
  }
  return { lines: text.split('\n').map((l) => l.trim()).filter((l) => l !== ''), tooLong };
}

/** One round of substitution, or undefined as soon as the result passes `max` characters. */
function substitute(text: string, definitions: ReadonlyMap<string, string>, max: number): string | undefined {
  let out = '';
  let from = 0;
  for (const use of text.matchAll(USE)) {
    const value = definitions.get((use[1] ?? use[2])!);
    if (value === undefined) continue;
    out += text.slice(from, use.index) + value;
    from = use.index + use[0].length;
    if (out.length > max) return undefined;
  }
  return from === 0 ? text : out + text.slice(from);
}

/** Cuts a logical line at each '{' or '}' outside double quotes (lib/parser.c read_line()). */
function splitAtBraces(text: string): string[] {
  // Most lines have no brace: one native test instead of a loop over every character.
  if (!/[{}]/.test(text)) return text.trim() === '' ? [] : [text.trim()];
  const parts: string[] = [];
  let rest = text;
  while (rest !== '') {
    if (rest[0] === '{' || rest[0] === '}') {
      parts.push(rest[0]);
      rest = rest.slice(1).trimStart();
      continue;
    }
    let quoted = false;
    let i = 0;
    for (; i < rest.length; i++) {
      const c = rest[i];
      if (c === '"') quoted = !quoted;
      else if (!quoted && (c === '{' || c === '}')) break;
    }
    const head = rest.slice(0, i).trim();
    if (head !== '') parts.push(head);
    rest = rest.slice(i);
  }
  return parts;
}

const ESCAPES: Readonly<Record<string, string>> = { a: '\x07', b: '\b', E: '\x1b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v' };

/**
 * Splits words the way keepalived splits a configuration line and a script's command
 * (lib/parser.c alloc_strvec_quoted_escaped()): white space separates words unless quoted with
 * " or ', the quotes are removed, and a backslash escapes the next character. Octal, hex and
 * control escapes are kept as the plain character: nothing this linter checks depends on them.
 */
export function splitWords(text: string): { words: string[]; unterminated?: '"' | "'" } {
  // Without quotes or escapes the words are what white space separates (and a split is native).
  if (!/["'\\]/.test(text)) return { words: text.split(BLANKS).filter((w) => w !== '') };
  const words: string[] = [];
  let i = 0;
  while (i < text.length) {
    while (i < text.length && BLANK.test(text[i]!)) i++;
    if (i >= text.length) break;
    let word = '';
    let quote: '"' | "'" | undefined;
    for (; i < text.length; i++) {
      const c = text[i]!;
      if (c === '\\' && i + 1 < text.length) {
        const next = text[++i]!;
        word += ESCAPES[next] ?? next;
      } else if (quote) {
        if (c === quote) quote = undefined;
        else word += c;
      } else if (c === '"' || c === "'") quote = c;
      else if (BLANK.test(c)) break;
      else word += c;
    }
    if (quote) return { words, unterminated: quote };
    words.push(word);
  }
  return { words };
}
