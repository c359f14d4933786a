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

export class DiskServer extends Server {
  /** Set right after construction, before the server starts. */
  fs!: SmallFs;

  static async startOnSmallFs(o: DiskServerOptions): Promise<DiskServer> {
    const port = await freePort();
    const fs = await SmallFs.create({ sizeMb: o.sizeMb ?? (o.on === 'binlog' ? 16 : 64), owner: `${MYSQL_USER}:${MYSQL_USER}` });
    try {
      return await MariadbdProcess.boot(async (dir) => {
        const datadir = o.on === 'datadir' ? join(fs.mountPoint, 'data') : undefined;
        if (datadir) await run('cp', ['-a', join(dir, 'data'), datadir]);
        const logBin = o.on === 'binlog' ? [`--log-bin=${join(fs.mountPoint, 'mysql-bin')}`] : [];
        const server = new DiskServer(dir, {
          serverId: o.serverId, port, bindAddress: '127.0.0.1', host: '127.0.0.1', user: MYSQL_USER,
          ...(datadir ? { datadir } : {}), extraArgs: [...logBin, ...(o.extraArgs ?? [])],
        });
        server.fs = fs;
        await run('chown', ['-R', `${MYSQL_USER}:${MYSQL_USER}`, dir, fs.mountPoint]);
        return server;
      });
    } catch (err) {
      await fs.remove();
      throw err;
    }
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
