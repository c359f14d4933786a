// The daemon command in-process, with the edge faked where a fault must be injected: files kept
// in memory (a path can be made to fail with any errno), signals delivered by the test, log lines
// parsed as they come (pino's own test style), and every server refusing at once. Timers, the
// clock and the HTTP server are real.
import { fakeFiles } from './option-files.js';
import { daemon } from '../../src/commands/daemon.js';
import { runCommand } from '../../src/commands/run-command.js';
import type { DaemonDeps, DaemonSignal } from '../../src/daemon/daemon.js';
import { jsonLines } from './json-lines.js';
import { nodeMaintenanceFs } from '../../src/edge/node-maintenance-fs.js';
import { watch } from 'node:fs';

export interface LogLine {
  level: string;
  msg: string;
  [key: string]: unknown;
}

export interface FakeEdge {
  readonly deps: DaemonDeps;
  /** What each path holds now (written by rename, as the edge does). */
  readonly files: Map<string, string>;
  /** Paths whose writes fail, and with which errno code. */
  readonly failing: Map<string, string>;
  /** How many times each path was written (successfully). */
  readonly writes: Map<string, number>;
  readonly lines: LogLine[];
  readonly stderr: string[];
  signal(signal: DaemonSignal): void;
  hasHandler(signal: DaemonSignal): boolean;
  /** Runs `check-mysql daemon ARGV` with these deps; resolves with its exit code. */
  run(argv: string[]): Promise<number>;
}

const MESSAGES: Record<string, string> = { ENOENT: 'no such file or directory', EROFS: 'read-only file system', EACCES: 'permission denied', EMFILE: 'too many open files' };

export function fakeEdge(configFiles: Record<string, string> = {}, directoryModes: Record<string, number> = {}): FakeEdge {
  const files = new Map<string, string>();
  const failing = new Map<string, string>();
  const writes = new Map<string, number>();
  const lines: LogLine[] = [];
  const stderr: string[] = [];
  const handlers = new Map<DaemonSignal, (() => void)[]>();
  const onData = jsonLines((o) => lines.push(o as LogLine), (line) => stderr.push(`stdout: ${line}`));
  const deps: DaemonDeps = {
    pid: 4242,
    fs: fakeFiles(configFiles),
    writeFile(path, content) {
      const code = failing.get(path);
      // Like Node's message, it names the temp file, which the daemon must not repeat.
      if (code) throw Object.assign(new Error(`${code}: ${MESSAGES[code] ?? 'failed'}, open '${path}.x1y2z3.tmp'`), { code });
      files.set(path, content);
      writes.set(path, (writes.get(path) ?? 0) + 1);
    },
    realPath: () => undefined,
    directoryMode: (dir) => directoryModes[dir],
    logDestination: { write: (text: string) => void onData(text) },
    onSignal: (signal, handler) => handlers.set(signal, [...(handlers.get(signal) ?? []), handler]),
    connect: async () => {
      throw Object.assign(new Error('connect ECONNREFUSED 192.0.2.1:3306'), { code: 'ECONNREFUSED' });
    },
    now: () => performance.now(),
    wallClock: () => Date.now(),
    networkInterfaces: () => ({}),
    timers: { setTimeout: (fn, ms) => setTimeout(fn, ms), clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout) },
    // Maintenance files are real files in a test's temp dir.
    maintenanceFs: nodeMaintenanceFs,
    watchDirectory: (dir, onChange, onError) => watch(dir, { persistent: false }, (_e, name) => onChange(name === null ? undefined : String(name))).on('error', onError),
  };
  return {
    deps,
    files,
    failing,
    writes,
    lines,
    stderr,
    signal: (signal) => {
      for (const h of handlers.get(signal) ?? []) h();
    },
    hasHandler: (signal) => (handlers.get(signal)?.length ?? 0) > 0,
    run: (argv) => runCommand(daemon, argv, {}, { stdout: () => undefined, stderr: (t) => void stderr.push(t), hideArgv: () => undefined }, deps),
  };
}
