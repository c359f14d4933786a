import { realpathSync, statSync, watch } from 'node:fs';
import type { DestinationStream } from 'pino';
import { FileRewriter } from '../daemon/file-rewriter.js';
import type { DaemonDeps } from '../daemon/daemon.js';
import { mysqlConnector } from '../db/mysql.js';
import type { ProcessEdge } from '../types/io.js';
import { nodeBasics } from './node-basics.js';
import { nodeMaintenanceFs } from './node-maintenance-fs.js';
import { vipSeenInMemory } from '../vip-seen.js';

export function nodeDaemonDeps(proc: ProcessEdge): DaemonDeps {
  const basics = nodeBasics();
  const files = new FileRewriter();
  return {
    pid: proc.pid,
    logDestination: proc.logDestination as DestinationStream,
    onSignal: proc.onSignal,
    ...basics,
    vipSeen: vipSeenInMemory(basics.now),
    connect: mysqlConnector({ generatedParsers: true, batching: true }),
    wallClock: () => Date.now(),
    timers: { setTimeout: (fn, ms) => setTimeout(fn, ms), clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout) },
    writeFile: (path, content, unlessSame) => files.write(path, content, unlessSame),
    releaseFiles: (paths) => files.release(paths),
    realPath: (path) => attempt(() => realpathSync(path)),
    directoryMode: (path) => attempt(() => statSync(path).mode),
    maintenanceFs: nodeMaintenanceFs,
    watchDirectory(dir, onChange, onError) {
      // persistent: false, so a watch alone never keeps the daemon from exiting.
      const watcher = watch(dir, { persistent: false }, (_event, name) => onChange(name === null ? undefined : String(name)));
      watcher.on('error', onError);
      return watcher;
    },
  };
}

function attempt<T>(f: () => T): T | undefined {
  try {
    return f();
  } catch {
    return undefined; // missing or unreadable: the write itself will say why
  }
}
