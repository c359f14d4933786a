/** What the maintenance file says: why, since when, who. */
export interface MaintenanceInfo {
  readonly reason: string;
  /** ISO-8601 UTC. */
  readonly since: string;
  /** user@host */
  readonly by: string;
}

/** Whether a target is in maintenance: the file's presence, with what it says when it could be read. */
export type MaintenanceState =
  | { readonly on: false }
  | { readonly on: true; readonly info?: MaintenanceInfo; readonly problem?: string /* why info could not be read */ };

/** What lstat(2) says about the maintenance file: never through a link. */
export interface MaintenanceStat {
  readonly kind: 'file' | 'directory' | 'symlink' | 'other';
  readonly size: number;
  /** st_mode: the type and permission bits. */
  readonly mode: number;
  readonly uid: number;
}

/**
 * The few file-system calls the maintenance file needs, injected so that its rules are tested
 * without a disk. Every call throws an Error with a `code` (ENOENT, EACCES, ELOOP, ...) when the
 * system refuses.
 */
export interface MaintenanceFs {
  lstat(path: string): MaintenanceStat;
  /** stat(2), following links: for the directory that holds the file. */
  stat(path: string): MaintenanceStat;
  /**
   * At most `maxBytes` of a regular file, opened O_NOFOLLOW|O_NONBLOCK so that neither a link
   * nor a FIFO planted in the meantime is read; throws (code EINVAL) when it is not a regular file.
   */
  readHead(path: string, maxBytes: number): Uint8Array;
  /** O_WRONLY|O_CREAT|O_EXCL|O_NOFOLLOW, mode 0644, write, fsync, close. */
  createExclusive(path: string, content: string): void;
  rename(from: string, to: string): void;
  unlink(path: string): void;
  /** fsync(2) of a directory, so that a rename in it survives a crash. */
  syncDir(path: string): void;
  /** An unpredictable suffix for temp names, so that nothing can be planted at the name first. */
  randomSuffix(): string;
}
