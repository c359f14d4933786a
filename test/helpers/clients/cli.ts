// Runs the real CLI (bin/check-mysql) as keepalived would: a child process,
// a minimal environment, the password only in MYSQL_PWD.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { inNetns } from '../netns/namespace.js';
import { BIN } from '../repo.js';

export interface CheckJson {
  healthy: boolean;
  role: 'writer' | 'standby' | 'unknown';
  reasons: string[];
  warnings: string[];
  checks: { name: string; ok: boolean; detail: string }[];
  replication: unknown[];
  elapsedMs: number;
  /** Each probe that ran, with its duration. */
  probes?: { name: string; ok: boolean; elapsedMs: number; error?: string }[];
  /** --heartbeat-table on a standby: its sources' rows, aged by its clock. */
  heartbeat?: { serverId: number; ageSeconds: number | null; nowSeconds: number }[] | null;
}

export interface CheckRun {
  args: string[];
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** Wall time from spawn to exit, as keepalived would see it. */
  wallMs: number;
  /** Parsed stdout when it is one JSON object, else undefined. */
  json: CheckJson | undefined;
}

export interface RunOptions {
  /** Sent as MYSQL_PWD, never on the command line. */
  password?: string;
  /** The child is SIGKILLed after this long, so a hung CLI cannot hang the suite. */
  killAfterMs?: number;
  /** Run inside this network namespace (`ip netns exec`: same pid, our file system). */
  netns?: string;
}

/**
 * Fails with one clear message when the CLI cannot even start (not built,
 * broken bundle), instead of letting every scenario fail on its own.
 */
export async function assertCliRuns(): Promise<void> {
  if (!existsSync(BIN)) throw new Error(`${BIN} does not exist`);
  const run = await runCheck(['--version']);
  if (run.code !== 0) throw new Error(`the CLI does not start (build it: npm run build)\n${describeRun(run)}`);
}

function parseJson(stdout: string): CheckJson | undefined {
  try {
    const value: unknown = JSON.parse(stdout);
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as CheckJson) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The environment every check-mysql the tests start gets: no inherited MYSQL_*, NODE_OPTIONS or
 * HOME, only what the test chose (the password in MYSQL_PWD).
 */
export function cliEnv(password?: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH ?? '/usr/bin:/bin', LANG: 'C' };
  if (password !== undefined) env.MYSQL_PWD = password;
  return env;
}

export function runCheck(args: string[], { password, killAfterMs = 10_000, netns }: RunOptions = {}): Promise<CheckRun> {
  const env = cliEnv(password);
  const [command, argv] = netns ? inNetns(netns, process.execPath, [BIN, ...args]) : [process.execPath, [BIN, ...args]];
  return new Promise((resolvePromise, reject) => {
    const started = process.hrtime.bigint();
    const child = spawn(command, argv, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const killer = setTimeout(() => child.kill('SIGKILL'), killAfterMs);
    child.once('error', (err) => {
      clearTimeout(killer);
      reject(err);
    });
    // 'close' (not 'exit') so stdout/stderr are complete.
    child.once('close', (code, signal) => {
      clearTimeout(killer);
      const wallMs = Number(process.hrtime.bigint() - started) / 1e6;
      resolvePromise({ args, code, signal, stdout, stderr, wallMs, json: parseJson(stdout) });
    });
  });
}

/** "refused: connection refused by ..." -> "refused". */
export function codeOf(finding: string): string {
  const i = finding.indexOf(': ');
  return i < 0 ? finding : finding.slice(0, i);
}

/** Everything about a run, for assertion messages. */
export function describeRun(run: CheckRun): string {
  return [
    `check-mysql ${run.args.join(' ')}`,
    `exit ${run.code ?? run.signal} after ${run.wallMs.toFixed(0)} ms`,
    `stdout: ${run.stdout.trim() || '(empty)'}`,
    `stderr: ${run.stderr.trim() || '(empty)'}`,
  ].join('\n');
}
