// One host of the end-to-end topology: its namespace, mariadbd, keepalived and (daemon variant)
// check-mysql daemon, and the files an operator would install on it, all in the node's dir
// (keepalived/examples.ts nodePaths): the option files, the rendered keepalived.conf (checked
// with `keepalived -t` in place) and the logs that go into failure messages.
import { execFileSync, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnNsDaemon } from '../clients/daemon.js';
import { findExecutable } from '../executables.js';
import { nodePaths, type NodeName, renderExample, type RenderOptions, writeSeedCheck } from '../keepalived/examples.js';
import { configTest, type KeepalivedProcess } from '../keepalived/process.js';
import { inNetns } from '../netns/namespace.js';
import { writeRecorder } from '../keepalived/recorder.js';
import type { Credentials } from '../servers/credentials.js';
import { HEARTBEAT_TABLE } from '../servers/heartbeat.js';
import type { NsServer } from '../servers/ns-server.js';

export interface Node {
  name: NodeName;
  netns: string;
  address: string;
  dir: string;
  server: NsServer;
  conf: string;
  keepalived?: KeepalivedProcess;
  /** The check-mysql daemon (daemon variant only). */
  daemon?: ChildProcess;
}

const OTHER: Record<NodeName, NodeName> = { a: 'b', b: 'a' };
export const other = (n: NodeName): NodeName => OTHER[n];

export const daemonRunning = (n: Node): boolean => n.daemon !== undefined && n.daemon.exitCode === null && n.daemon.signalCode === null;

function mariadbClient(): string {
  const found = findExecutable('mariadb') ?? findExecutable('mysql');
  if (!found) throw new Error('the mariadb client is not installed (apt-get install mariadb-client)');
  return found;
}

/** /etc/check-mysql/{my,notify}.cnf of the examples, for this node's socket. */
export function writeOptionFiles(n: Node, check: Credentials, notify: Credentials): void {
  const p = nodePaths(n.dir);
  const cnf = (c: Credentials) => `[client]\nuser = ${c.user}\npassword = ${c.password}\nsocket = ${n.server.socket}\n`;
  writeFileSync(p.myCnf, cnf(check), { mode: 0o600 });
  writeFileSync(p.notifyCnf, cnf(notify), { mode: 0o600 });
}

/** The recorder, the seed's check if asked for, and the rendered example, which `keepalived -t` must pass silently. */
export async function writeKeepalivedConf(n: Node, o: Omit<RenderOptions, 'node' | 'dir'>, notifyDelayS = 0): Promise<void> {
  writeRecorder(n.dir, notifyDelayS);
  if (o.check === 'seed') writeSeedCheck(n.dir, mariadbClient());
  writeFileSync(n.conf, renderExample({ ...o, node: n.name, dir: n.dir }));
  const test = await configTest(n.conf, n.netns);
  if (test.code !== 0 || test.output !== '') throw new Error(`keepalived -t -f ${n.conf} in ${n.netns}: exit ${test.code}\n${test.output}`);
}

/**
 * `check-mysql daemon` in the node's namespace, writing the files the daemon example reads, with
 * the heartbeat as examples/daemon.cnf has it, and the other node (HOST:PORT over the bridge)
 * as its `peer`.
 */
export function startNodeDaemon(n: Node, vip: string, peer: string): void {
  if (daemonRunning(n)) throw new Error(`node ${n.name}: the daemon still runs`);
  const p = nodePaths(n.dir);
  const args = [
    `--defaults-file=${p.myCnf}`, '--vip', vip, '--heartbeat-table', HEARTBEAT_TABLE,
    '--track-file', p.trackFile, '--status-file', p.statusFile, '--listen', '127.0.0.1:9797',
    // This node's notify lock, not the machine's /run/check-mysql one that both "hosts" would share.
    '--lock-file', p.notifyLock,
    '--maintenance-file', p.maintenanceFile,
    '--peer', peer,
  ];
  n.daemon = spawnNsDaemon(n.netns, args, join(n.dir, 'daemon.log'), p.trackFile);
}

/** keepalived's state and the last lines of the node's logs (mariadbd's too), for failure messages. */
export function describeNode(n: Node): string[] {
  const parts = [n.keepalived ? n.keepalived.describe() : `node ${n.name}: keepalived not started`];
  const p = nodePaths(n.dir);
  // mariadbd's start-up errors (a replica that failed to initialise) come several lines before
  // its last ones.
  for (const [label, file, lines] of [['check log', p.checkLog, 5], ['notify log', p.notifyLog, 5], ['daemon log', join(n.dir, 'daemon.log'), 5], ['mariadbd error log', n.server.errorLog, 15]] as const) {
    try {
      const text = readFileSync(file, 'utf8').trim().split('\n').slice(-lines).join('\n');
      if (text) parts.push(`node ${n.name} ${label} (last ${lines}):\n${text}`);
    } catch {
      /* none */
    }
  }
  try {
    // The daemon's verdict now (its log says only what changed, and a verdict that stays the same is not repeated).
    parts.push(`node ${n.name} daemon status file:\n${readFileSync(p.statusFile, 'utf8').trim().slice(0, 2_000)}`);
  } catch {
    /* the one-shot variant has none */
  }
  parts.push(...liveState(n));
  return parts;
}

/** A bounded command's output, or why there is none ("no answer within 2 s" is a finding too). */
function boundedRun(command: string, args: string[]): string {
  try {
    return execFileSync(command, args, { encoding: 'utf8', timeout: 2_000, stdio: ['ignore', 'pipe', 'pipe'] }).trim();
  } catch (err) {
    const e = err as { code?: string; signal?: string; stderr?: string; message: string };
    return e.signal === 'SIGTERM' ? '(no answer within 2 s)' : `(failed: ${(e.stderr || e.message).trim().split('\n')[0]})`;
  }
}

/**
 * What the node's mariadbd is doing (its threads, from a new root connection, which itself
 * hangs when the server stalls new connections) and its TCP connections with their
 * retransmission state (a peer's dead connection, still retransmitting, shows there).
 */
function liveState(n: Node): string[] {
  const parts: string[] = [];
  if (n.server.running) {
    const client = findExecutable('mariadb') ?? findExecutable('mysql');
    const sql = "SELECT ID, USER, HOST, COMMAND, TIME_MS, STATE, LEFT(INFO, 80) FROM information_schema.PROCESSLIST WHERE COMMAND <> 'Sleep' ORDER BY ID";
    if (client) parts.push(`node ${n.name} mariadbd threads (new root connection):\n${boundedRun(client, ['--no-defaults', `--socket=${n.server.socket}`, '-uroot', '--connect-timeout=2', '-N', '-e', sql])}`);
  }
  const [ip, args] = inNetns(n.netns, 'ss', ['-tno', 'state', 'established']);
  parts.push(`node ${n.name} TCP connections (ss -tno: a timer 'on' with a count is a retransmission):\n${boundedRun(ip, args).split('\n').slice(0, 24).join('\n')}`);
  return parts;
}
