/**
 * What the notify lock needs from the host, so that its rules can be tested without a file
 * system or other processes. The real one is `nodeLockFs` (node-lock-fs.ts), passed in by the
 * edges (node-basics.ts, notify-main.ts).
 */
export interface LockFs {
  /** Creates `path` only if it does not exist yet, holding `content`; false when it exists. Other errors throw. */
  openExclusive(path: string, content: string): boolean;
  /** The file's content; null when there is no such file or it cannot be read. */
  read(path: string): string | null;
  /** Removes the file if it can; never throws (gone already, or not ours to remove: the deadline decides). */
  unlink(path: string): void;
  pidAlive(pid: number): boolean;
  sleep(ms: number): Promise<void>;
}

const RETRY_MS = 50;

/**
 * Serialises notify runs on one node: keepalived may start them out of order (its maintainers
 * recommend notify_fifo for that reason). Create-exclusive with "PID STATE" inside, so that a
 * check can tell a promotion in progress; a lock whose owner is gone is taken over. Returns
 * the release function.
 */
export async function acquireLock(path: string, pid: number, state: string, timeoutMs: number, now: () => number, fs: LockFs): Promise<() => void> {
  const deadline = now() + timeoutMs;
  const content = `${pid} ${state}\n`;
  const release = () => {
    if (owner(fs.read(path)) === pid) fs.unlink(path);
  };
  for (;;) {
    if (fs.openExclusive(path, content)) return release;
    const held = fs.read(path); // null: gone again, or unreadable; either way, retry
    if (held !== null && ownerGone(held, fs)) {
      fs.unlink(path);
      // If another run took it over first, this fails and we wait for that one like any other.
      if (fs.openExclusive(path, content)) return release;
    }
    if (now() >= deadline) throw new Error(`another notify run holds ${path} for over ${timeoutMs / 1000} s`);
    await fs.sleep(RETRY_MS);
  }
}

const owner = (content: string | null): number => Number((content ?? '').split(' ')[0]);

function ownerGone(content: string, fs: LockFs): boolean {
  const pid = owner(content);
  return !Number.isInteger(pid) || pid <= 0 || !fs.pidAlive(pid);
}

/** True while a live notify run holds the lock for a MASTER transition (it is catching up). */
export function promotionInProgress(path: string, fs: LockFs): boolean {
  const content = fs.read(path);
  if (content === null) return false;
  const state = content.trim().split(' ')[1];
  return state === 'MASTER' && !ownerGone(content, fs);
}
