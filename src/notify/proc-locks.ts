/**
 * Reading /proc/locks: whether some process holds an exclusive flock(2) on a file, without
 * taking or testing the lock (no process to spawn, nothing to disturb). A line looks like
 *   3: FLOCK  ADVISORY  WRITE 4242 fd:00:1835027 0 EOF
 * (id, kind, mode, type, pid, MAJOR:MINOR:INODE with the device in hex, range); a waiter's line
 * has "->" after the id and holds nothing. The pid is the process that took the lock, which
 * for our locks is a flock(1) child long gone: it is not used.
 */
const HELD = /^\d+:\s+FLOCK\s+\S+\s+WRITE\s+\S+\s+([0-9a-f]+):([0-9a-f]+):(\d+)\s/;

/** glibc's major()/minor() of a 64-bit dev_t. */
export function splitDev(dev: bigint): { major: bigint; minor: bigint } {
  return { major: ((dev >> 8n) & 0xfffn) | ((dev >> 32n) & ~0xfffn), minor: (dev & 0xffn) | ((dev >> 12n) & ~0xffn) };
}

export function heldForWrite(procLocks: string, dev: bigint, ino: bigint): boolean {
  const { major, minor } = splitDev(dev);
  return procLocks.split('\n').some((line) => {
    const m = HELD.exec(line);
    return m !== null && BigInt(`0x${m[1]}`) === major && BigInt(`0x${m[2]}`) === minor && BigInt(m[3]!) === ino;
  });
}
