// The watchers the daemon suites measure with: track/status files polled every millisecond
// (and woken by fs.watch), and plain node:http GETs timed end to end.
import { readFileSync, watch, type FSWatcher } from 'node:fs';
import { request } from 'node:http';
import { basename, dirname } from 'node:path';
import { msSince, now } from './daemon.js';

// --- files -----------------------------------------------------------------------------------

export function readOrUndefined(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

/** The parsed status file, or undefined while it is missing or (never, if atomic) partial. */
export function readStatus(path: string): Record<string, unknown> | undefined {
  const text = readOrUndefined(path);
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

export interface Seen {
  content: string | undefined;
  /** performance.now() when the watcher first saw it. */
  at: number;
}

/**
 * Calls `look` every millisecond and on every fs.watch event in the file's directory (the
 * daemon replaces the file by rename, which is what keepalived's inotify sees too).
 */
function watchFile(path: string, look: () => void): () => void {
  let watcher: FSWatcher | undefined;
  try {
    watcher = watch(dirname(path), (_event, name) => {
      if (name === null || name === basename(path)) look();
    });
    watcher.on('error', () => undefined);
  } catch {
    watcher = undefined; // polling alone still works
  }
  const timer = setInterval(look, 1);
  return () => {
    clearInterval(timer);
    watcher?.close();
  };
}

/**
 * Resolves when `path`'s content satisfies `match`, with the moment it was first seen. Checked
 * at once, then every ms and on every change event: the measured latencies carry ~1 ms of error.
 */
export function waitForContent(path: string, match: (content: string | undefined) => boolean, what: string, timeoutMs = 10_000): Promise<Seen> {
  return new Promise((resolve, reject) => {
    let done = false;
    let stop = (): void => undefined;
    const finish = (err: Error | undefined, seen?: Seen) => {
      if (done) return;
      done = true;
      stop();
      clearTimeout(timer);
      if (err) reject(err);
      else resolve(seen as Seen);
    };
    const look = () => {
      const content = readOrUndefined(path);
      if (match(content)) finish(undefined, { content, at: now() });
    };
    const timer = setTimeout(() => finish(new Error(`timed out after ${timeoutMs} ms waiting for ${what} (${path} holds ${JSON.stringify(readOrUndefined(path))})`)), timeoutMs);
    look();
    if (!done) stop = watchFile(path, look);
  });
}

/** Waits until a track file reads exactly `value` + newline (what keepalived's strtol sees). */
export function waitForTrack(path: string, value: 0 | 1, timeoutMs = 10_000): Promise<Seen> {
  return waitForContent(path, (c) => c === `${value}\n`, `track file ${basename(path)} to read ${value}`, timeoutMs);
}

/** Records every distinct content a file shows (a flap to 1 and back would be caught). */
export function recordFile(path: string): { stop(): Seen[] } {
  const seen: Seen[] = [];
  const look = () => {
    const content = readOrUndefined(path);
    if (seen.length === 0 || seen[seen.length - 1]?.content !== content) seen.push({ content, at: now() });
  };
  look();
  const stop = watchFile(path, look);
  return {
    stop() {
      look();
      stop();
      return seen;
    },
  };
}

// --- HTTP ------------------------------------------------------------------------------------

export interface HttpAnswer {
  status: number;
  body: string;
  /** From the request to the last byte, over a fresh TCP connection. */
  ms: number;
}

/** GET over a new connection each time (no agent), as a scraper or HAProxy check would. */
export function httpGet(port: number, path: string, timeoutMs = 5_000): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const t0 = now();
    const req = request({ host: '127.0.0.1', port, path, agent: false, timeout: timeoutMs }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, ms: msSince(t0) }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${path} took over ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end();
  });
}

export interface LatencySummary {
  n: number;
  p50: number;
  max: number;
}

export function summarize(samples: readonly number[]): LatencySummary {
  const sorted = [...samples].sort((a, b) => a - b);
  const p50 = sorted[Math.floor((sorted.length - 1) / 2)] ?? Number.NaN;
  return { n: sorted.length, p50, max: sorted[sorted.length - 1] ?? Number.NaN };
}
