import type { Logger } from 'pino';
import type { ParsedArgv } from '../cli/parse-argv.js';
import { parseOptionFile } from '../config/option-file.js';
import type { OptionFileSystem } from '../types/host.js';
import type { DaemonConfig } from './daemon-config.js';
import { errnoText } from './file-writes.js';
import { TRACK_FAULT } from './state-files.js';

export interface TrackFile {
  readonly target: string;
  readonly path: string;
}

export const trackFilesOf = (config: DaemonConfig): TrackFile[] => config.targets.flatMap((t) => (t.trackFile === undefined ? [] : [{ target: t.name, path: t.trackFile }]));

/**
 * The track files named by a config that does not load: every `track-file` in any section of
 * --config (a typo in one target, or a misspelt section header, must not cost the others their
 * FAULT), or --track-file. Lines that cannot be parsed are skipped; the rest are kept.
 */
export function trackFilesNamedIn(argv: ParsedArgv, fs: OptionFileSystem): TrackFile[] {
  const flag = argv.options.get('track-file');
  const config = argv.options.get('config');
  const found: TrackFile[] = typeof flag === 'string' && flag !== '' ? [{ target: 'default', path: flag }] : [];
  if (typeof config !== 'string') return found;
  let text: string;
  try {
    text = fs.readFile(config);
  } catch {
    return found;
  }
  for (const e of parseOptionFile(text, config, () => undefined).entries) {
    if (e.key !== 'track-file' || e.value === '' || found.some((f) => f.path === e.value)) continue;
    found.push({ target: /^target\s+(.+)$/.exec(e.group)?.[1]?.trim() ?? `[${e.group}]`, path: e.value });
  }
  return found;
}

/** Writes the fault value to each track file; returns how many could not be written (each logged). */
export function markFault(files: readonly TrackFile[], write: (path: string, content: string) => void, log: Logger): number {
  let failed = 0;
  for (const { target, path } of files) {
    try {
      write(path, TRACK_FAULT);
      log.info({ target, trackFile: path }, `${target}: track file ${path} set to fault`);
    } catch (err) {
      failed++;
      log.error({ target, trackFile: path, err: errnoText(err) }, `${target}: cannot set track file ${path} to fault: ${errnoText(err)}`);
    }
  }
  return failed;
}

/**
 * `daemon --mark-fault`, systemd's ExecStopPost after any exit (a crash included): the safe
 * action comes first and never depends on the whole config being right. A config that does not
 * load still gets every track file it names marked, and only then is its error reported (exit 2).
 */
export function markFaultLeniently(argv: ParsedArgv, load: () => DaemonConfig, deps: { fs: OptionFileSystem; writeFile(path: string, content: string): void }, log: Logger): number {
  let config: DaemonConfig | undefined;
  let error: unknown;
  try {
    config = load();
  } catch (err) {
    error = err;
  }
  const failed = markFault(config ? trackFilesOf(config) : trackFilesNamedIn(argv, deps.fs), deps.writeFile, log);
  if (error !== undefined) throw error;
  return failed === 0 ? 0 : 1;
}
