import { closeSync, existsSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';

/**
 * Serialises notify runs on one node: keepalived may start them out of order (its maintainers
 * recommend notify_fifo for that reason). Create-exclusive with "PID STATE" inside, so that a
 * check can tell a promotion in progress; a lock whose owner is gone is taken over. Returns
 * the release function.
 */
export async function acquireLock(path: string, pid: number, state: string, timeoutMs: number, now: () => number): Promise<() => void> {
  const deadline = now() + timeoutMs;
  for (;;) {
    try {
      const fd = openSync(path, 'wx', 0o644);
      writeSync(fd, `${pid} ${state}\n`);
      closeSync(fd);
      return () => {
        try {
          if (readFileSync(path, 'utf8').split(' ')[0] === String(pid)) unlinkSync(path);
        } catch {
          // already gone
        }
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    if (ownerGone(path)) {
      try {
        unlinkSync(path);
      } catch {
        // someone else took it over first; try again
      }
      continue;
    }
    if (now() >= deadline) throw new Error(`another notify run holds ${path} for over ${timeoutMs / 1000} s`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function ownerGone(path: string): boolean {
  try {
    const owner = Number(readFileSync(path, 'utf8').split(' ')[0]);
    return !Number.isInteger(owner) || owner <= 0 || !existsSync(`/proc/${owner}`);
  } catch {
    return false; // vanished between our open and read: just retry
  }
}

/** True while a live notify run holds the lock for a MASTER transition (it is catching up). */
export function promotionInProgress(path: string): boolean {
  try {
    const [pid, state] = readFileSync(path, 'utf8').trim().split(' ');
    return state === 'MASTER' && !ownerGone(path) && Number(pid) > 0;
  } catch {
    return false;
  }
}
