import { appendFileSync } from 'node:fs';
import type { CheckCommandDeps } from '../commands/check.js';
import { connectMysql } from '../db/mysql.js';
import { nodeBasics } from './node-basics.js';

const SYSLOG_HANDOVER_MS = 1000;

/** Hands one line to logger(1), which writes to /dev/log (journald or rsyslog); bounded in time. */
function syslog(line: string, priority: 'warning' | 'info' | 'err'): Promise<void> {
  return new Promise((resolve) => {
    // Loaded here, not at the top: child_process costs ~3 ms and only failing runs need it.
    const { spawn } = require('node:child_process') as typeof import('node:child_process');
    const child = spawn('logger', ['-t', 'check-mysql', '-p', `daemon.${priority}`, '--', line], { stdio: 'ignore' });
    const timer = setTimeout(() => child.kill('SIGKILL'), SYSLOG_HANDOVER_MS);
    const done = () => {
      clearTimeout(timer);
      resolve();
    };
    child.on('error', done);
    child.on('exit', done);
  });
}

/** The real dependencies of the one-shot check and the notify handler. */
export function nodeDeps(): CheckCommandDeps {
  return {
    ...nodeBasics(),
    connect: connectMysql,
    appendFile: (path, text) => appendFileSync(path, text, { mode: 0o640 }),
    syslog,
  };
}
