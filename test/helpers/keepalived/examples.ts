// keepalived for the end-to-end topology, configured from the shipped examples
// (examples/keepalived/VARIANT/node-X.conf) with only names, addresses and paths substituted,
// so what the tests prove is what an operator installs; and the seed's check, the failover
// benchmark's baseline.
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { REPO_ROOT } from '../repo.js';
import { recorderPaths } from './recorder.js';

export const EXAMPLES_DIR = resolve(REPO_ROOT, 'examples', 'keepalived');
export type Variant = 'oneshot' | 'daemon';
export type NodeName = 'a' | 'b';
export const VARIANTS: readonly Variant[] = ['oneshot', 'daemon'];
export const NODES: readonly NodeName[] = ['a', 'b'];

/** What the examples say, and what every rendering replaces. */
export const EXAMPLE = {
  addresses: { a: '192.0.2.11', b: '192.0.2.12' } as Record<NodeName, string>,
  vip: '192.0.2.100',
  iface: 'eth0',
  node: '/usr/bin/node',
  repo: '/opt/check-mysql',
  runDir: '/run/check-mysql',
  etcDir: '/etc/check-mysql',
  /** keepalived's script_user: the daemon variant's is the daemon's, which owns /run/check-mysql and so the notify lock. */
  scriptUser: { oneshot: 'keepalived_script', daemon: 'check-mysql' } as Record<Variant, string>,
} as const;

export function examplePath(variant: Variant, node: NodeName): string {
  return join(EXAMPLES_DIR, variant, `node-${node}.conf`);
}

/**
 * How keepalived's generic notify line is rendered:
 *  - none: removed (keepalived then runs no notify at all);
 *  - record: replaced by the recorder (recorder.ts), which appends "EPOCH_MS TYPE NAME STATE
 *    PRIORITY" to `statesFile` (how tests read keepalived's transitions);
 *  - example: the example's own command (paths substituted, plus --no-syslog, --log-file and
 *    --lock-file in the node's dir), run through the same recorder, its stdout and stderr
 *    appended to `notifyLog` (keepalived itself sends them to /dev/null).
 */
export type NotifyMode = 'none' | 'record' | 'example';

export interface RenderOptions {
  variant: Variant;
  node: NodeName;
  /** The node's directory: generated .cnf files, runtime files, recorder and logs live here. */
  dir: string;
  vrrp: 'multicast' | 'unicast';
  notify: NotifyMode;
  /** Node addresses and VIP, when they differ from the example's. */
  addresses?: Record<NodeName, string>;
  vip?: string;
  iface?: string;
  /**
   * 'seed' (one-shot variant only, for the failover benchmark's baseline): the check-mysql
   * vrrp_script line becomes the seed's plain connect + SELECT 1 (`seedCheckPath`), everything
   * else as in the example. Default 'check-mysql'.
   */
  check?: 'check-mysql' | 'seed';
  /** VRRP advert interval in seconds (example: 1); a fractional one switches to VRRPv3. */
  advertIntS?: number;
}

/** Paths inside a node's dir that a rendered config refers to. */
export function nodePaths(dir: string) {
  return {
    etcDir: join(dir, 'etc'),
    myCnf: join(dir, 'etc', 'my.cnf'),
    notifyCnf: join(dir, 'etc', 'notify.cnf'),
    runDir: join(dir, 'run'),
    trackFile: join(dir, 'run', 'db1.track'),
    statusFile: join(dir, 'run', 'db1.json'),
    /** The daemon's --maintenance-file (daemon variant): absent unless a test puts the node in maintenance. */
    maintenanceFile: join(dir, 'run', 'maintenance'),
    ...recorderPaths(dir),
    notifyLock: join(dir, 'notify.lock'),
    checkLog: join(dir, 'check.log'),
    seedCheck: join(dir, 'seed-check.sh'),
  };
}

const escape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Replaces an IPv4 address only where it is the whole address (192.0.2.1 never hits 192.0.2.11). */
function replaceAddress(text: string, from: string, to: string): string {
  return text.replace(new RegExp(`(?<![\\d.])${escape(from)}(?![\\d])`, 'g'), to);
}

function uncommentUnicast(text: string): string {
  const block = /^(\s*)# (unicast_src_ip .*)\n\1# (unicast_peer \{)\n\1# (    \S+.*)\n\1# (\})$/m;
  const m = block.exec(text);
  if (!m) throw new Error('the example has no commented unicast block to enable');
  const [whole, indent, src, peer, addr, close] = m as unknown as [string, string, string, string, string, string];
  return text.replace(whole, [src, peer, addr, close].map((l) => `${indent}${l}`).join('\n'));
}

/**
 * The example file for `variant`/`node` with names, addresses and paths substituted:
 * /opt/check-mysql -> the repository, /run/check-mysql and /etc/check-mysql -> the node's dir,
 * /usr/bin/node -> this Node, script_user -> root (no keepalived_script or check-mysql user on a
 * test machine), eth0 -> `iface`. Test-only additions: --no-syslog and --log-file on the one-shot
 * check, so a failing check leaves a line in the node's dir and none in the host's journal;
 * and --lock-file in the node's dir on the check and on notify: the check reads the notify
 * handler's lock (a MASTER run in progress makes a read-only VIP holder 'promoting'), and
 * both "hosts" would share this machine's /run/check-mysql. Throws if a production path survives.
 */
export function renderExample(o: RenderOptions): string {
  const p = nodePaths(o.dir);
  let text = readFileSync(examplePath(o.variant, o.node), 'utf8');
  if (o.vrrp === 'unicast') text = uncommentUnicast(text);

  const notifyLine = /^(\s*)notify "([^"]+)"\s*$/m;
  const notify = notifyLine.exec(text);
  if (!notify) throw new Error(`${examplePath(o.variant, o.node)} has no generic notify line`);
  if (o.notify === 'none') {
    text = text.replace(notifyLine, '');
  } else if (o.notify === 'record') {
    text = text.replace(notifyLine, `$1notify "/bin/sh ${p.recorder}"`);
  } else {
    // keepalived appends TYPE NAME STATE PRIORITY after whatever the line holds.
    const command = `${notify[2]} --no-syslog --log-file ${p.notifyLog} --lock-file ${p.notifyLock}`;
    text = text.replace(notifyLine, `$1notify "/bin/sh ${p.recorder} ${command}"`);
  }
  const check = /(script ".*bin\/check-mysql --defaults-file=[^"]*)"/;
  if (o.variant === 'oneshot' && !check.test(text)) throw new Error(`${examplePath(o.variant, o.node)} has no check-mysql vrrp_script line`);
  if (o.check === 'seed') {
    if (o.variant !== 'oneshot') throw new Error('the seed check replaces the one-shot example\'s vrrp_script');
    text = text.replace(check, `script "/bin/sh ${p.seedCheck}"`);
  } else {
    text = text.replace(check, `$1 --no-syslog --log-file ${p.checkLog} --lock-file ${p.notifyLock}"`);
  }
  if (o.advertIntS !== undefined && o.advertIntS !== 1) {
    if (!/^\s*advert_int 1\b/m.test(text)) throw new Error('the example has no advert_int 1 line');
    text = text.replace(/^(\s*)advert_int 1\b/m, `$1advert_int ${o.advertIntS}`);
    // Sub-second adverts exist in VRRPv3 only (RFC 5798: centiseconds).
    if (!Number.isInteger(o.advertIntS)) text = text.replace(/^global_defs \{\n/m, 'global_defs {\n    vrrp_version 3\n');
  }

  text = text
    .split(EXAMPLE.repo).join(REPO_ROOT)
    .split(EXAMPLE.runDir).join(p.runDir)
    .split(EXAMPLE.etcDir).join(p.etcDir)
    .split(EXAMPLE.node).join(process.execPath)
    .replace(new RegExp(`script_user ${EXAMPLE.scriptUser[o.variant]}(?=\\s)`), 'script_user root')
    .replace(new RegExp(`\\b(interface|dev) ${EXAMPLE.iface}\\b`, 'g'), `$1 ${o.iface ?? EXAMPLE.iface}`);
  // Through placeholders, so that swapped addresses cannot overwrite each other.
  const swaps: [string, string][] = [
    [EXAMPLE.vip, o.vip ?? EXAMPLE.vip],
    [EXAMPLE.addresses.a, o.addresses?.a ?? EXAMPLE.addresses.a],
    [EXAMPLE.addresses.b, o.addresses?.b ?? EXAMPLE.addresses.b],
  ];
  swaps.forEach(([from], i) => (text = replaceAddress(text, from, `@@ADDR${i}@@`)));
  swaps.forEach(([, to], i) => (text = text.split(`@@ADDR${i}@@`).join(to)));

  for (const leftover of ['/opt/', EXAMPLE.runDir, EXAMPLE.etcDir, `script_user ${EXAMPLE.scriptUser[o.variant]}`]) {
    if (text.includes(leftover)) throw new Error(`rendered ${o.variant}/node-${o.node}.conf still refers to ${leftover}`);
  }
  return text;
}

/**
 * The seed's health check, as the failover benchmark's baseline: a plain connect + SELECT 1 with
 * the mariadb client (no deadline of its own: keepalived's `timeout` kills it), as the
 * homemade checkMySQL.py scripts do.
 */
export function writeSeedCheck(dir: string, client: string): void {
  const p = nodePaths(dir);
  writeFileSync(p.seedCheck, `#!/bin/sh\nexec ${client} --defaults-file=${p.myCnf} -N -e 'SELECT 1' >/dev/null 2>&1\n`);
  chmodSync(p.seedCheck, 0o755);
}
