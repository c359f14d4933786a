// The MariaDB binaries every server harness needs first.
import { findExecutable } from '../executables.js';

export interface Binaries {
  mariadbd: string;
  installDb: string;
}

/** The MariaDB binaries, or a one-line reason they are missing. */
export function findBinaries(): Binaries | string {
  const mariadbd = findExecutable('mariadbd');
  const installDb = findExecutable('mariadb-install-db');
  if (!mariadbd || !installDb) {
    return `mariadbd/mariadb-install-db not found on PATH (install mariadb-server)`;
  }
  return { mariadbd, installDb };
}

export function binaries(): Binaries {
  const found = findBinaries();
  if (typeof found === 'string') throw new Error(found);
  return found;
}
