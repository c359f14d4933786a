/** What a config reader needs to know about a file before trusting it: stat(2), following links. */
export interface FileInfo {
  /** st_mode: the type and permission bits. */
  readonly mode: number;
  readonly uid: number;
  readonly gid: number;
  readonly size: number;
  readonly isFile: boolean;
}

/** The few file-system calls option files and configs need, injected so config stays testable. */
export interface OptionFileSystem {
  /**
   * Returns the text of a regular file of bounded size, never waiting (a FIFO) and never reading
   * without end (/dev/zero). Throws an Error with a `code` (ENOENT, EACCES, ...) when the system
   * refuses, and one without a code, whose message says why, when it refuses to read the file.
   */
  readFile(path: string): string;
  /** Throws like readFile's system errors. */
  stat(path: string): FileInfo;
  readDir(path: string): string[];
  /** The reader's own group: a file shared with it alone does not expose a password. */
  readonly readerGid?: number;
}

/** What reading a configuration needs from the host: its files, the home directory, the login. */
export interface HostFiles {
  readonly fs: OptionFileSystem;
  readonly home?: string;
  /** The login name, asked for only when no user is given (getpwuid costs ~0.3 ms). */
  readonly loginName?: () => string | undefined;
}
