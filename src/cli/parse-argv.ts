import yargsParser from 'yargs-parser';
import { OPTIONS, findOption } from './options.js';
import { UsageError } from '../usage-error.js';

export type ArgValue = string | boolean | string[];

export interface ParsedArgv {
  readonly options: ReadonlyMap<string, ArgValue>;
  readonly positionals: readonly string[];
  /** True when a password came from argv, so the edge can overwrite the process title. */
  readonly passwordOnArgv: boolean;
}

/** The mysql client's two spellings of a password on the command line: --password=SECRET and -pSECRET. */
export const isPasswordArgument = (arg: string): boolean => arg.startsWith('--password=') || (arg.startsWith('-p') && !arg.startsWith('--') && arg.length > 2);

const VALUE_SHORTS = new Set(OPTIONS.filter((o) => o.short && o.kind !== 'boolean').map((o) => o.short));

/**
 * mysql client conventions that yargs-parser does not know: the password is only ever attached
 * (-pSECRET, --password=SECRET) so it can never swallow the next argument, and other short options
 * may carry their value attached (-uroot, -P3307).
 */
function preprocess(argv: readonly string[]): { args: string[]; password?: string } {
  const args: string[] = [];
  let password: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') {
      args.push(...argv.slice(i));
      break;
    }
    if (arg === '-p' || arg === '--password') {
      throw new UsageError(`${arg} needs its value attached (-pSECRET or --password=SECRET); better, use MYSQL_PWD or an option file`);
    }
    const inline = /^--([^=]+)=/.exec(arg);
    if (inline && findOption(inline[1]!)?.kind === 'boolean') throw new UsageError(`--${inline[1]} takes no value`);
    if (isPasswordArgument(arg)) password = arg.slice(arg.startsWith('--') ? '--password='.length : 2);
    else if (/^-[A-Za-z]./.test(arg) && VALUE_SHORTS.has(arg[1]!)) args.push(arg.slice(0, 2), arg.slice(2));
    else args.push(arg);
  }
  return password === undefined ? { args } : { args, password };
}

export function parseArgv(argv: readonly string[]): ParsedArgv {
  const { args, password } = preprocess(argv);
  const alias: Record<string, string[]> = {};
  for (const o of OPTIONS) if (o.short) alias[o.name] = [o.short];
  const parsed = yargsParser(args, {
    alias,
    string: OPTIONS.filter((o) => o.kind === 'string').map((o) => o.name),
    boolean: OPTIONS.filter((o) => o.kind === 'boolean').map((o) => o.name),
    array: OPTIONS.filter((o) => o.kind === 'list').map((o) => ({ key: o.name, string: true })),
    configuration: {
      'camel-case-expansion': false,
      'dot-notation': false,
      'parse-numbers': false,
      'parse-positional-numbers': false,
      'short-option-groups': false,
      'boolean-negation': false,
      'greedy-arrays': false,
      'strip-aliased': true,
    },
  });
  const options = new Map<string, ArgValue>();
  for (const [key, raw] of Object.entries(parsed)) {
    if (key === '_' || key === '--') continue;
    const spec = findOption(key);
    if (!spec) throw new UsageError(`unknown option ${key.length === 1 ? '-' : '--'}${key}`);
    options.set(spec.name, normalise(spec.name, spec.kind, raw));
  }
  if (password !== undefined) options.set('password', password);
  const positionals = [...(parsed._ as unknown[]), ...((parsed['--'] as unknown[] | undefined) ?? [])].map(String);
  return { options, positionals, passwordOnArgv: password !== undefined };
}

function normalise(name: string, kind: string, raw: unknown): ArgValue {
  if (kind === 'list') return (Array.isArray(raw) ? raw : [raw]).map(String);
  // The mysql client lets the last occurrence win; so do we.
  const last = Array.isArray(raw) ? raw[raw.length - 1] : raw;
  if (kind === 'boolean') {
    if (typeof last !== 'boolean') throw new UsageError(`--${name} takes no value`);
    return last;
  }
  if (typeof last !== 'string' || last === '') throw new UsageError(`--${name} needs a value`);
  return last;
}
