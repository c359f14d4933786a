import { basename } from 'node:path';
import { readMaintenance } from '../maintenance/maintenance-file.js';
import { directoryOf } from '../maintenance/maintenance-dir.js';
import type { MaintenanceFs, MaintenanceState } from '../types/maintenance-fs.js';

/** A directory watch (inotify under fs.watch): calls back with the name that changed, when known. */
export type WatchDirectory = (dir: string, onChange: (name: string | undefined) => void, onError: (err: Error) => void) => { close(): void };

export interface MaintenanceWatchDeps {
  readonly maintenanceFs: MaintenanceFs;
  readonly watchDirectory: WatchDirectory;
}

/**
 * Sees one target's maintenance file appear and go within milliseconds: it watches the file's
 * directory (the file itself may not exist yet, and is replaced by rename), and is polled after
 * every check as a backstop for a watch that failed or missed an event. Hands every read to
 * `onState`, which decides whether it is a change.
 */
export class MaintenanceWatch {
  private watcher: { close(): void } | undefined;
  private readonly name: string;

  constructor(
    readonly path: string,
    private readonly deps: MaintenanceWatchDeps,
    private readonly onState: (state: MaintenanceState) => void,
    private readonly onWatchError: (message: string) => void,
  ) {
    this.name = basename(path);
  }

  read(): MaintenanceState {
    return readMaintenance(this.deps.maintenanceFs, this.path);
  }

  poll(): void {
    this.onState(this.read());
  }

  start(): void {
    const dir = directoryOf(this.path);
    try {
      this.watcher = this.deps.watchDirectory(
        dir,
        (name) => {
          // The track and status files may share the directory: only our name (or an unnamed event) matters.
          if (name === undefined || name === this.name) this.poll();
        },
        (err) => {
          this.close();
          this.onWatchError(`cannot watch ${dir} for ${this.path}: ${err.message}; maintenance is then seen at each check only`);
        },
      );
    } catch (err) {
      this.onWatchError(`cannot watch ${dir} for ${this.path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}; maintenance is then seen at each check only`);
    }
  }

  close(): void {
    this.watcher?.close();
    this.watcher = undefined;
  }
}
