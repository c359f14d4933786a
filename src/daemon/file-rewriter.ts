import { closeSync, constants, fstatSync, ftruncateSync, linkSync, lstatSync, openSync, readSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { writeFileAtomic, type FileIdentity } from './atomic-file.js';

const OPEN_SPARE = constants.O_WRONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK | constants.O_NOCTTY;
const OPEN_TO_COMPARE = constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK | constants.O_NOCTTY;
/** Only small files are compared before a write (the track file: "0\n" or "1\n"). */
const COMPARE_MAX_BYTES = 64;
const compared = Buffer.alloc(COMPARE_MAX_BYTES + 1);

interface Kept {
  /** The inode this process last renamed to the path. */
  live: Held;
  /** The inode the path held before that, still linked under a hidden name for the next write. */
  spare?: Spare;
}

/** One of our inodes, and the descriptor we keep open on it once it has been a spare (one per inode, two per path at most). */
interface Held extends FileIdentity {
  fd?: number;
}

interface Spare extends Held {
  readonly name: string;
}


/**
 * The daemon's files, rewritten after every check, atomically as writeFileAtomic does, without a
 * new inode each time: on ext4 creating and freeing one costs ~0.25 ms of CPU, most of a check
 * (on tmpfs reusing is no dearer than a new file, and makes less garbage).
 * The inode a write replaces stays linked under a hidden name (`.NAME.a.spare` / `.b.spare`),
 * and the next write fills it and renames it back over the file. Readers still only ever see a
 * whole file (a rename); one that kept the file open for more than one interval can see it
 * rewritten in place.
 *
 * A spare is written through a descriptor kept open on it (an open and a close fewer per write,
 * which is a few % of the daemon's CPU), and only once an lstat of its name shows our inode there.
 *
 * Only an inode this process created and put at the path is reused, and only while nothing else
 * links it (checked by device, inode number and link count after every step); anything else
 * (a file replaced by someone, a name planted in a shared directory, a failed step) falls back to
 * writeFileAtomic's new exclusive temp file. A path's first write never keeps a spare, so a
 * one-off writer (--mark-fault) leaves nothing behind.
 */
export class FileRewriter {
  private readonly kept = new Map<string, Kept>();
  private readonly spareNames = new Map<string, readonly [string, string]>();
  private readonly seen = new Map<string, Seen>();

  /** `now`: the wall clock, the one file times are stamped with. */
  constructor(private readonly now: () => number = Date.now) {}

  /**
   * unlessSame: leave the file alone when the regular file at the path already holds exactly
   * `content` (read back, not assumed: keepalived's `init_file ... overwrite` rewrites a track
   * file when it restarts). Saves a track file's rewrite, and keepalived its inotify wake-up,
   * on every check whose verdict did not change; a file whose stat has not changed since it was
   * last read holding `content` is not read again.
   */
  write(path: string, content: string, unlessSame = false): void {
    if (unlessSame && holds(path, content, this.seen, this.now)) return;
    this.seen.delete(path);
    const kept = this.kept.get(path);
    this.kept.delete(path);
    if (!kept) {
      this.kept.set(path, { live: writeFileAtomic(path, content) });
      return;
    }
    const filled = kept.spare && fill(kept.spare, content) ? kept.spare : undefined;
    if (kept.spare && !filled) drop(kept.spare, true);
    const [a, b] = this.namesFor(path);
    if (!filled) {
      // Keep what is live now (ours, if unchanged), then replace it as writeFileAtomic does.
      const spare = keep(path, kept.live, a);
      let live: FileIdentity;
      try {
        live = writeFileAtomic(path, content);
      } catch (err) {
        if (spare) drop(spare, true);
        throw err;
      }
      this.kept.set(path, spare ? { live, spare } : { live });
      return;
    }
    const spare = keep(path, kept.live, filled.name === a ? b : a);
    try {
      renameSync(filled.name, path);
    } catch (err) {
      drop(filled, true);
      if (spare) drop(spare, true);
      throw err;
    }
    // The objects of the last write are reused: a check should leave as little as it can to collect.
    kept.live = filled;
    if (spare) kept.spare = spare;
    else delete kept.spare;
    this.kept.set(path, kept);
  }

  /** Unlinks the hidden spare of each path and closes what it holds: the daemon will not write them again (a stop, a reload). */
  release(paths: readonly string[]): void {
    for (const path of paths) {
      const kept = this.kept.get(path);
      if (kept?.spare) drop(kept.spare, true);
      if (kept) drop(kept.live, false);
      this.kept.delete(path);
      this.spareNames.delete(path);
      this.seen.delete(path);
    }
  }

  /** The two hidden names a path's spare takes in turn (a link needs a name the other does not hold). */
  private namesFor(path: string): readonly [string, string] {
    let names = this.spareNames.get(path);
    if (names === undefined) {
      const dir = dirname(path);
      const name = basename(path);
      this.spareNames.set(path, (names = [join(dir, `.${name}.a.spare`), join(dir, `.${name}.b.spare`)]));
    }
    return names;
  }
}

/** What a compare found: the file's stat when it held `content`, to skip reading it while the stat stays the same. */
interface Seen {
  readonly content: string;
  readonly dev: number;
  readonly ino: number;
  readonly size: number;
  readonly mtimeMs: number;
  readonly ctimeMs: number;
}

/**
 * A file whose last change (ctime) is older than this when it was read can be trusted unchanged
 * while its stat is: any later write gives it a later ctime. A younger one is read again next
 * time, because the kernel stamps ctime from a coarse clock (a tick, 1-4 ms), so a second write
 * within the same tick would carry the same stamp.
 */
const SETTLED_MS = 50;

/**
 * Whether the regular file at `path` holds exactly `content` (at most COMPARE_MAX_BYTES): never
 * opens anything else. Read back unless its stat (inode, size, mtime, ctime) is the one it had
 * when last read holding `content` (`seen`): one lstat per check instead of four calls.
 */
function holds(path: string, content: string, seen: Map<string, Seen>, now: () => number): boolean {
  const want = Buffer.byteLength(content);
  if (want > COMPARE_MAX_BYTES) return false;
  let st: ReturnType<typeof lstatSync>;
  try {
    // lstat first: a FIFO or a device planted at the name is never opened.
    st = lstatSync(path);
    if (!st?.isFile()) return false;
  } catch {
    return false;
  }
  const was = seen.get(path);
  if (was && was.content === content && was.dev === st.dev && was.ino === st.ino && was.size === st.size && was.mtimeMs === st.mtimeMs && was.ctimeMs === st.ctimeMs) return true;
  let fd: number;
  try {
    fd = openSync(path, OPEN_TO_COMPARE);
  } catch {
    return false;
  }
  try {
    // One byte more than wanted: a longer file is not the same.
    const n = readSync(fd, compared, 0, want + 1, 0);
    const same = n === want && compared.toString('utf8', 0, n) === content;
    // The stat taken before reading: a write after it changes ctime (it was settled), so it is never mistaken for this one.
    if (same && now() - st.ctimeMs > SETTLED_MS) seen.set(path, { content, dev: st.dev, ino: st.ino, size: st.size, mtimeMs: st.mtimeMs, ctimeMs: st.ctimeMs });
    return same;
  } catch {
    return false;
  } finally {
    closeSync(fd);
  }
}

/** Numbers, not BigInts (a BigInt stat costs ~1 KB of garbage): past 2^53 an inode number only loses precision, and the link count is checked too. */
const same = (a: FileIdentity, b: { dev: number; ino: number }): boolean => a.dev === b.dev && a.ino === b.ino;

/**
 * Writes `content` over the spare in place, if it is still our inode at its name and linked
 * nowhere else: through the descriptor kept on it, opened (never following a link) the first time.
 */
function fill(spare: Spare, content: string): boolean {
  let s: ReturnType<typeof lstatSync>;
  try {
    s = lstatSync(spare.name);
  } catch {
    return false;
  }
  if (!s?.isFile() || !same(spare, s) || s.nlink !== 1) return false;
  if (spare.fd === undefined && !open(spare)) return false;
  try {
    const bytes = Buffer.from(content);
    if (writeSync(spare.fd!, bytes, 0, bytes.length, 0) !== bytes.length) return false;
    if (s.size > bytes.length) ftruncateSync(spare.fd!, bytes.length);
    return true;
  } catch {
    return false;
  }
}

/** Opens the spare for writing, and keeps the descriptor only if it is the inode we know. */
function open(spare: Spare): boolean {
  let fd: number;
  try {
    fd = openSync(spare.name, OPEN_SPARE);
  } catch {
    return false;
  }
  try {
    const s = fstatSync(fd);
    if (s.isFile() && same(spare, s) && s.nlink === 1) {
      spare.fd = fd;
      return true;
    }
  } catch {
    // fall through: not ours to keep
  }
  closeSync(fd);
  return false;
}

/** Forgets an inode: closes what we hold on it, and unlinks it when it is a spare we will not fill. */
function drop(held: Held | Spare, unlink: boolean): void {
  if (unlink && 'name' in held) unlinkQuietly(held.name);
  if (held.fd === undefined) return;
  try {
    closeSync(held.fd);
  } catch {
    // closed already
  }
  held.fd = undefined;
}

/**
 * Links the file at `path` under `name` if it is still the inode we put there and linked nowhere
 * else; a leftover of ours at `name` (a daemon that was killed) is replaced, anything else is left
 * alone. The descriptor held on `live` goes with it, or is closed when it is not kept.
 */
function keep(path: string, live: Held, name: string): Spare | undefined {
  const spare = linkAs(path, live, name);
  if (!spare) drop(live, false);
  return spare;
}

function linkAs(path: string, live: Held, name: string): Spare | undefined {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      linkSync(path, name);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || attempt > 0 || !removeOwnLeftover(name)) return undefined;
      continue;
    }
    try {
      const s = lstatSync(name);
      if (s.isFile() && same(live, s) && s.nlink === 2) return { name, dev: live.dev, ino: live.ino, ...(live.fd !== undefined && { fd: live.fd }) };
    } catch {
      // gone already: nothing to undo
    }
    unlinkQuietly(name);
    return undefined;
  }
  return undefined;
}

/** A regular file of our own user at a spare's name is a spare an earlier run left behind. */
function removeOwnLeftover(name: string): boolean {
  try {
    const s = lstatSync(name);
    if (!s.isFile() || s.uid !== process.geteuid?.()) return false;
    unlinkSync(name);
    return true;
  } catch {
    return false;
  }
}

function unlinkQuietly(name: string): void {
  try {
    unlinkSync(name);
  } catch {
    // already gone
  }
}
