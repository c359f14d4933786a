/**
 * What a vrrp_script's command runs, for the rules about paths and deadlines.
 *
 * keepalived 2.x execs a tracking script directly (execve, no shell) unless it lacks a #! line
 * (core/notify.c system_call_script()). A failed exec ends the child with exit(0), "Script errors
 * aren't server errors", which keepalived reads as success; a script not found at start-up is
 * disabled ("Disabling track script ... since not found"), so the instance tracks nothing.
 * Naming an interpreter first keeps that away: the interpreter is always there, and a missing
 * script makes it exit non-zero, which is a failure (vrrp_scheduler.c vrrp_script_child_thread()).
 */
import { DEFAULTS } from '../config/defaults.js';
import { splitWords } from './parse.js';

/** Default of check-mysql's --timeout, in seconds. */
export const CHECK_MYSQL_DEFAULT_TIMEOUT_S = DEFAULTS.timeoutS;
/** Node's start-up before check-mysql's own deadline starts, in seconds (measured: about 50-130 ms). */
export const NODE_STARTUP_MARGIN_S = 0.3;

const INTERPRETER = /^(?:sh|bash|dash|ash|ksh|mksh|zsh|busybox|env|node|nodejs|perl|ruby|lua|python[0-9.]*|php[0-9.]*)$/;
/** Directories of the distribution's own programs: a package upgrade replaces them by rename, never leaving a gap. */
const SYSTEM_DIRS = ['/bin', '/sbin', '/usr/bin', '/usr/sbin'];

export const baseName = (path: string): string => path.slice(path.lastIndexOf('/') + 1);
const dirName = (path: string): string => path.slice(0, Math.max(0, path.lastIndexOf('/')));

/** `</path` or `>...` as the command: keepalived hands it to the shell as a file test. */
export const isRedirection = (argv0: string): boolean => argv0.startsWith('<') || argv0.startsWith('>');

export const isInterpreter = (argv0: string): boolean => INTERPRETER.test(baseName(argv0));

export const isSystemProgram = (argv0: string): boolean => SYSTEM_DIRS.includes(dirName(argv0));

/** The command's words, with `sh -c '...'` strings split too, so a check run through a shell is still seen. */
export function commandWords(command: readonly string[]): string[] {
  return command.flatMap((word) => (/\s/.test(word) ? splitWords(word).words : [word]));
}

export interface CheckMysqlRun {
  /** check-mysql's deadline in seconds: the last --timeout on the command line, else the default. */
  readonly timeoutS: number;
  readonly explicit: boolean;
}

/**
 * When the command runs the one-shot check-mysql (a word named check-mysql, not
 * check-mysql-fresh, and not a `daemon` or `lint-keepalived` subcommand), its deadline.
 * check-mysql takes --timeout only from the command line, and the last one wins (yargs-parser).
 */
export function checkMysqlRun(command: readonly string[]): CheckMysqlRun | undefined {
  const words = commandWords(command);
  const at = words.findIndex((w) => baseName(w) === 'check-mysql');
  if (at < 0 || ['daemon', 'lint-keepalived'].includes(words[at + 1] ?? '')) return undefined;
  let timeout: string | undefined;
  for (let i = at + 1; i < words.length; i++) {
    const word = words[i]!;
    if (word === '--') break;
    if (word === '--timeout') timeout = words[++i];
    else if (word.startsWith('--timeout=')) timeout = word.slice('--timeout='.length);
  }
  const seconds = timeout === undefined ? NaN : Number(timeout);
  return Number.isFinite(seconds) && seconds > 0 ? { timeoutS: seconds, explicit: true } : { timeoutS: CHECK_MYSQL_DEFAULT_TIMEOUT_S, explicit: false };
}

export interface CheckMysqlNotify {
  /** Whether the command passes --vip, which lets notify tell a stale run from the latest. */
  readonly vip: boolean;
}

/** When the command runs `check-mysql notify`, whether it passes --vip. */
export function checkMysqlNotify(command: readonly string[]): CheckMysqlNotify | undefined {
  const words = commandWords(command);
  const at = words.findIndex((w) => baseName(w) === 'check-mysql');
  if (at < 0 || words[at + 1] !== 'notify') return undefined;
  const options = words.slice(at + 2);
  const end = options.indexOf('--');
  return { vip: (end < 0 ? options : options.slice(0, end)).some((w) => w === '--vip' || w.startsWith('--vip=')) };
}

/**
 * The file an interpreter is given to run (`/usr/bin/node /opt/x/check-mysql`), if any: the first
 * word after it that is not an option. None for `sh -c '...'`, `node -e`, or `env`, which looks
 * its program up itself.
 */
export function interpretedFile(command: readonly string[]): string | undefined {
  const [argv0, ...rest] = command;
  if (argv0 === undefined || !isInterpreter(argv0) || baseName(argv0) === 'env') return undefined;
  for (const word of rest) {
    if (['-c', '-e', '--eval', '-p', '--print', '-'].includes(word)) return undefined;
    if (!word.startsWith('-')) return word;
  }
  return undefined;
}
