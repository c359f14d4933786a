import type { MaintenanceFs, MaintenanceInfo, MaintenanceState } from '../types/maintenance-fs.js';
import { UsageError } from '../usage-error.js';

// Defined in types/, which the daemon's state and the health server see too.
export type { MaintenanceInfo, MaintenanceState };

/** A file of a few fields: anything bigger was not written by us. */
const MAX_BYTES = 4096;
/** Strings are shown in log lines and HTTP bodies: one line each, no terminal escapes. */
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;
const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?Z$/;
const FIELDS = ['reason', 'since', 'by'] as const;

const codeOf = (err: unknown): string => (err as NodeJS.ErrnoException)?.code ?? (err as Error)?.message ?? String(err);

/**
 * The file's presence is what counts, so a broken file fails safe: anything there but a
 * readable, well-formed file of ours is still maintenance, with `problem` saying why. Only
 * ENOENT means off. Sync and bounded (4 KiB), so the daemon may call it on every tick.
 */
export function readMaintenance(fs: MaintenanceFs, path: string): MaintenanceState {
  let kind: string;
  let size: number;
  try {
    ({ kind, size } = fs.lstat(path));
  } catch (err) {
    if (codeOf(err) === 'ENOENT') return { on: false };
    return { on: true, problem: `cannot stat it: ${codeOf(err)}` };
  }
  if (kind !== 'file') return { on: true, problem: `it is a ${kind === 'other' ? 'special file' : kind}, not a regular file` };
  if (size > MAX_BYTES) return { on: true, problem: `it is too big (${size} bytes, at most ${MAX_BYTES})` };
  let bytes: Uint8Array;
  try {
    bytes = fs.readHead(path, MAX_BYTES + 1);
  } catch (err) {
    // Removed between lstat and open: it is gone, and a rename of ours never leaves a gap.
    if (codeOf(err) === 'ENOENT') return { on: false };
    return { on: true, problem: `cannot read it: ${codeOf(err)}` };
  }
  if (bytes.length > MAX_BYTES) return { on: true, problem: `it is too big (more than ${MAX_BYTES} bytes)` };
  const info = parseInfo(bytes);
  return typeof info === 'string' ? { on: true, problem: info } : { on: true, info };
}

/** The info, or why it is not ours. */
function parseInfo(bytes: Uint8Array): MaintenanceInfo | string {
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch {
    return 'it is not JSON ({"reason","since","by"})';
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'it is not a JSON object ({"reason","since","by"})';
  const record = value as Record<string, unknown>;
  for (const field of FIELDS) {
    const text = record[field];
    if (typeof text !== 'string') return `its "${field}" is not a string`;
    if (CONTROL.test(text)) return `its "${field}" holds control characters`;
  }
  if (!ISO_UTC.test(record['since'] as string)) return 'its "since" is not an ISO-8601 UTC time';
  return { reason: record['reason'] as string, since: record['since'] as string, by: record['by'] as string };
}

function checkInfo(path: string, info: MaintenanceInfo): string {
  for (const field of FIELDS) {
    const text: unknown = info[field];
    if (typeof text !== 'string') throw new UsageError(`maintenance file ${path}: ${field} must be a string`);
    if (CONTROL.test(text)) throw new UsageError(`maintenance file ${path}: the ${field} must be one line without control characters`);
  }
  if (!ISO_UTC.test(info.since)) throw new UsageError(`maintenance file ${path}: since must be an ISO-8601 UTC time, not ${JSON.stringify(info.since)}`);
  const content = `${JSON.stringify({ reason: info.reason, since: info.since, by: info.by })}\n`;
  if (new TextEncoder().encode(content).length > MAX_BYTES) throw new UsageError(`maintenance file ${path}: the reason is too long (the file holds at most ${MAX_BYTES} bytes)`);
  return content;
}

const dirOf = (path: string): string => {
  const slash = path.lastIndexOf('/');
  return slash < 0 ? '.' : slash === 0 ? '/' : path.slice(0, slash);
};
const baseOf = (path: string): string => path.slice(path.lastIndexOf('/') + 1);

/**
 * Writes the file atomically: a temp file created exclusively and never through a link in the
 * same directory, fsynced, then renamed over `path` (which replaces a link at `path` rather than
 * following it), then the directory fsynced: the state outlives a crash of the host. Throws a
 * UsageError of one line, having left nothing behind.
 */
export function enterMaintenance(fs: MaintenanceFs, path: string, info: MaintenanceInfo): void {
  const content = checkInfo(path, info);
  const dir = dirOf(path);
  const temp = `${dir === '/' ? '' : dir}/.${baseOf(path)}.${fs.randomSuffix()}.tmp`;
  try {
    fs.createExclusive(temp, content);
  } catch (err) {
    throw new UsageError(`cannot write maintenance file ${path}: ${codeOf(err)}`);
  }
  try {
    fs.rename(temp, path);
  } catch (err) {
    try {
      fs.unlink(temp); // ours: we created it
    } catch {
      // already gone
    }
    throw new UsageError(`cannot write maintenance file ${path}: ${codeOf(err)}`);
  }
  try {
    fs.syncDir(dir);
  } catch {
    // The rename is done and seen by every reader; only its survival of a power cut is less sure.
  }
}

/** Removes the file; false when it was not there. Throws a UsageError of one line otherwise. */
export function leaveMaintenance(fs: MaintenanceFs, path: string): boolean {
  try {
    fs.unlink(path);
  } catch (err) {
    if (codeOf(err) === 'ENOENT') return false;
    throw new UsageError(`cannot remove maintenance file ${path}: ${codeOf(err)}`);
  }
  try {
    fs.syncDir(dirOf(path));
  } catch {
    // removed for every reader already
  }
  return true;
}
