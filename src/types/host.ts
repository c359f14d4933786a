/** The few file-system calls option files and configs need, injected so config stays testable. */
export interface OptionFileSystem {
  /** Returns the text, or throws an Error with a `code` (ENOENT, EACCES, ...). */
  readFile(path: string): string;
  readDir(path: string): string[];
}

/** What reading a configuration needs from the host: its files, the home directory, the login. */
export interface HostFiles {
  readonly fs: OptionFileSystem;
  readonly home?: string;
  /** The login name, asked for only when no user is given (getpwuid costs ~0.3 ms). */
  readonly loginName?: () => string | undefined;
}
