import { closeSync, existsSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';

/**
 * Serialises notify runs on one node: keepalived may start them out of order (its maintainers
 * recommend notify_fifo for that reason). Create-exclusive with our pid inside; a lock whose
 * owner is gone is taken over. Returns the release function.
 */
export async function acquireLock(path: string, pid: number, timeoutMs: number, now: () => number): Promise<() => void> {
  const deadline = now() + timeoutMs;
  for (;;) {
    try {
      const fd = openSync(path, 'wx', 0o644);
      writeSync(fd, `${pid}\n`);
      closeSync(fd);
      return () => {
        try {
          if (readFileSync(path, 'utf8').trim() === String(pid)) unlinkSync(path);
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
    const owner = Number(readFileSync(path, 'utf8').trim());
    return !Number.isInteger(owner) || owner <= 0 || !existsSync(`/proc/${owner}`);
  } catch {
    return false; // vanished between our open and read: just retry
  }
}
