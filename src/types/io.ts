/** What only the process edge can supply to a command: its streams and its title. */
export interface ProcessIo {
  stdout(text: string): void;
  stderr(text: string): void;
  /** Overwrites the process title, so a password given in argv leaves `ps`. */
  hideArgv(): void;
}

/** SIGUSR1 only so that the daemon can hold it: Node would open its inspector on it. */
export type ProcessSignal = 'SIGTERM' | 'SIGINT' | 'SIGHUP' | 'SIGUSR1';

/** What bin/check-mysql hands every bundle: the process, seen through the few calls we make of it. */
export interface ProcessEdge extends ProcessIo {
  readonly pid: number;
  /** stdout as a stream: the daemon's log lines go there, so journald keeps them. */
  readonly logDestination: { write(text: string): unknown };
  onSignal(signal: ProcessSignal, handler: () => void): void;
  /** Loads another bundle of dist/ by name (the daemon's, lint-keepalived's). */
  load(bundle: string): BundleEntry;
}

/** What each bundle in dist/ exports: run one of the commands it carries. */
export interface BundleEntry {
  runNamed(name: string, argv: readonly string[], env: Readonly<Record<string, string | undefined>>, edge: ProcessEdge): Promise<number>;
}
