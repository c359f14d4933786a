/** What only the process edge can supply to a command: its streams and its title. */
export interface ProcessIo {
  stdout(text: string): void;
  stderr(text: string): void;
  /** Overwrites the process title, so a password given in argv leaves `ps`. */
  hideArgv(): void;
}
