import { appendFileSync, statSync } from 'node:fs';
import type { CheckCommandDeps } from '../commands/check.js';
import { connectMysql } from '../db/mysql.js';
import { SYSLOG_SOCKET, syslogSink, type LoggerProcess } from '../log/syslog.js';
import { nodeBasics } from './node-basics.js';
import { nodeMaintenanceFs } from './node-maintenance-fs.js';
import { vipSeenInFile } from '../notify/vip-seen-file.js';
import { nodeVipSeenFs } from '../notify/node-vip-seen.js';

function spawnLogger(args: readonly string[]): LoggerProcess {
  // Loaded here, not at the top: child_process costs ~3 ms and only failing runs need it.
  const { spawn } = require('node:child_process') as typeof import('node:child_process');
  return spawn('logger', args, { stdio: ['pipe', 'ignore', 'ignore'] });
}

function hasSyslogSocket(): boolean {
  try {
    return statSync(SYSLOG_SOCKET).isSocket();
  } catch {
    return false;
  }
}

/** The real dependencies of the one-shot check and the notify handler; `stderr` hears what cannot be logged. */
export function nodeDeps(stderr: (text: string) => void): CheckCommandDeps {
  return {
    ...nodeBasics(),
    connect: connectMysql,
    // One run remembers nothing: the last sighting of the VIP away is kept beside the notify lock.
    vipSeen: vipSeenInFile(nodeVipSeenFs),
    maintenanceFs: nodeMaintenanceFs,
    appendFile: (path, text) => appendFileSync(path, text, { mode: 0o640 }),
    syslog: syslogSink({ spawnLogger, hasSocket: hasSyslogSocket, warn: (text) => stderr(`check-mysql: warning: ${text}\n`) }),
  };
}
