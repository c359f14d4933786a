import { dirname, resolve } from 'node:path';
import type { Logger } from 'pino';
import { UsageError } from '../usage-error.js';
import type { DaemonConfig, TargetConfig } from './daemon-config.js';
import { TRACK_FAULT } from './state-files.js';

export type FileKind = 'track' | 'status';

/** One write of one of a target's files, and its error when it failed. */
export interface FileWrite {
  readonly target: string;
  readonly kind: FileKind;
  readonly path: string;
  readonly error?: string;
}

/**
 * "ENOENT: no such file or directory", without the path Node appends: that names the temp file,
 * whose name is random, and the same failure must read the same every time (it is logged on change).
 */
export function errnoText(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  return e.code === undefined ? String(e.message) : (e.message.split(', ')[0] ?? e.code);
}

export const describeWrite = (w: FileWrite): string => `cannot write ${w.kind} file ${w.path}: ${w.error ?? 'no error'}`;

/**
 * The daemon's file writes and what became of them. A track file keepalived cannot see is a
 * fault, so the last outcome per target and kind is kept for /health, /live and the metrics,
 * and a failure is logged when it starts, changes and ends, never once per check.
 */
export class FileWrites {
  private readonly last = new Map<string, FileWrite>();

  constructor(
    private readonly write: (path: string, content: string, kind: FileKind) => void,
    private readonly log: Logger,
    private readonly onOutcome: (target: TargetConfig, w: FileWrite) => void,
  ) {}

  put(target: TargetConfig, kind: FileKind, path: string, content: string): FileWrite {
    const key = `${target.name}\0${kind}`;
    const was = this.last.get(key);
    let outcome: FileWrite;
    try {
      this.write(path, content, kind);
      // The same success as last time is the same object: nothing new to keep, report or count.
      if (was !== undefined && was.error === undefined && was.path === path) return was;
      outcome = { target: target.name, kind, path };
    } catch (err) {
      outcome = { target: target.name, kind, path, error: errnoText(err) };
    }
    this.last.set(key, outcome);
    const fields = () => ({ target: target.name, kind, path, ...(outcome.error !== undefined && { err: outcome.error }) });
    if (outcome.error !== undefined && (was?.error !== outcome.error || was.path !== path)) this.log.error(fields(), `${target.name}: ${describeWrite(outcome)}`);
    else if (outcome.error === undefined && was?.error !== undefined) this.log.info(fields(), `${target.name}: writing ${path} works again`);
    this.onOutcome(target, outcome);
    return outcome;
  }

  /** Why this target's files may not say what we think, one line each; empty while every write works. */
  problems(target: string): string[] {
    return [...this.last.values()].filter((w) => w.target === target && w.error !== undefined).map(describeWrite);
  }

  /** The last outcome of every file, to fill a fresh metrics registry after a reload. */
  outcomes(): readonly FileWrite[] {
    return [...this.last.values()];
  }

  forget(target: string): void {
    for (const kind of ['track', 'status'] as const) this.last.delete(`${target}\0${kind}`);
  }
}

export const filesOf = (t: TargetConfig): string[] => [t.trackFile, t.statusFile].filter((p): p is string => p !== undefined);

/**
 * Before anything else, every target's files say FAULT (a new daemon knows nothing yet), and a
 * file that cannot be written refuses the start: keepalived reads a missing track file as
 * healthy and keeps believing a stale one, so a daemon that cannot write it must not run.
 */
export function claimFilesOnDisk(config: DaemonConfig, write: (path: string, content: string) => void, startingStatus: (t: TargetConfig) => string): void {
  const failures: string[] = [];
  for (const t of config.targets) {
    const files: [FileKind, string | undefined, () => string][] = [
      ['track', t.trackFile, () => TRACK_FAULT],
      ['status', t.statusFile, () => startingStatus(t)],
    ];
    for (const [kind, path, content] of files) {
      if (path === undefined) continue;
      try {
        write(path, content());
      } catch (err) {
        failures.push(`cannot write ${kind} file ${path} of target ${t.name}: ${errnoText(err)}`);
      }
    }
  }
  if (failures.length > 0) throw new UsageError(failures.join('; '));
}

/**
 * One warning when a target's files are in a directory that users other than its owner can
 * write (sticky ones such as /tmp included): they can delete or replace what keepalived reads.
 */
export function warnOfOpenDirectories(config: DaemonConfig, directoryMode: (dir: string) => number | undefined, log: Logger): void {
  const dirs = [...new Set(config.targets.flatMap(filesOf).map((p) => dirname(resolve(p))))];
  const open = dirs.flatMap((dir) => {
    const mode = directoryMode(dir);
    return mode !== undefined && (mode & 0o022) !== 0 ? [`${dir} (mode ${(mode & 0o7777).toString(8).padStart(4, '0')})`] : [];
  });
  if (open.length === 0) return;
  log.warn({ directories: open }, `track/status files in a directory others can write: ${open.join(', ')}; anyone who can write there can replace what keepalived reads: use one only this daemon's user can write, such as /run/check-mysql`);
}
