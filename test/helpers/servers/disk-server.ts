// A loopback test server (server.ts) whose binlog directory or whole datadir sits on a small
// file system (disk/small-fs.ts), run as `--user=mysql` with its files owned by mysql, as in
// production: for "the disk is full". cleanup() stops it, then unmounts and removes the file
// system; if the test process dies instead, the reaper kills it before it unmounts.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { SmallFs } from '../disk/small-fs.js';
import { freePort } from '../ports.js';
import { MariadbdProcess } from './mariadbd.js';
import { Server } from './server.js';

const run = promisify(execFile);

/** What lives on the small file system: the binlogs only, or the datadir (binlogs included). */
export type FullDiskPlace = 'binlog' | 'datadir';

export const MYSQL_USER = 'mysql';

export interface DiskServerOptions {
  serverId: number;
  on: FullDiskPlace;
  /** Size of the file system (default 16 MB for the binlog, 64 MB for the datadir). */
  sizeMb?: number;
  extraArgs?: string[];
}

/** How a server whose files sit in `dir` runs with `on` on `fs`: the mariadbd options that say so. */
export interface OnSmallFs {
  user: string;
  datadir?: string;
  extraArgs: string[];
}

/**
 * Moves what `on` names onto `fs` (a copy of the datadir, or just the binlog's place) and gives
 * `dir` and the file system to the mysql user, who then runs mariadbd, as in production.
 */
export async function placeOnSmallFs(dir: string, fs: SmallFs, on: FullDiskPlace): Promise<OnSmallFs> {
  const datadir = on === 'datadir' ? join(fs.mountPoint, 'data') : undefined;
  if (datadir) await run('cp', ['-a', join(dir, 'data'), datadir]);
  await run('chown', ['-R', `${MYSQL_USER}:${MYSQL_USER}`, dir, fs.mountPoint]);
  const extraArgs = on === 'binlog' ? [`--log-bin=${join(fs.mountPoint, 'mysql-bin')}`] : [];
  return { user: MYSQL_USER, ...(datadir ? { datadir } : {}), extraArgs };
}

/** Makes a small file system for `on`, owned by mysql, and boots a server on it; removes it if that fails. */
export async function withSmallFs<T>(o: { on: FullDiskPlace; sizeMb?: number }, boot: (fs: SmallFs) => Promise<T>): Promise<T> {
  const fs = await SmallFs.create({ sizeMb: o.sizeMb ?? (o.on === 'binlog' ? 16 : 64), owner: `${MYSQL_USER}:${MYSQL_USER}` });
  try {
    return await boot(fs);
  } catch (err) {
    await fs.remove();
    throw err;
  }
}

export class DiskServer extends Server {
  /** Set right after construction, before the server starts. */
  fs!: SmallFs;

  static startOnSmallFs(o: DiskServerOptions): Promise<DiskServer> {
    return withSmallFs(o, async (fs) => {
      const port = await freePort();
      return MariadbdProcess.boot(async (dir) => {
        const placed = await placeOnSmallFs(dir, fs, o.on);
        const server = new DiskServer(dir, {
          serverId: o.serverId, port, bindAddress: '127.0.0.1', host: '127.0.0.1', ...placed, extraArgs: [...placed.extraArgs, ...(o.extraArgs ?? [])],
        });
        server.fs = fs;
        return server;
      });
    });
  }

  /** Stops mariadbd (SIGKILL), removes its dir, then unmounts and removes the file system. */
  override async cleanup(): Promise<void> {
    try {
      await super.cleanup();
    } finally {
      await this.fs.remove();
    }
  }
}
