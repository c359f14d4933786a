// Real keepalived (2.2.x) in a network namespace of the test's own, configured as an operator
// would pair it with the check-mysql daemon: a track_file on the daemon's track file (weight 0,
// init_file 1 overwrite) and a vrrp_script running bin/check-mysql-fresh on its status file
// (weight 0, init_fail). A generic notify script appends "EPOCH_MS STATE" to a file, which is
// how the tests read keepalived's state transitions.
import { spawnSync } from 'node:child_process';
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { REPO_ROOT } from '../clients/cli.js';
import { findKeepalived, KeepalivedProcess } from './process.js';
import { findBinaries } from '../servers/binaries.js';
import { findIp } from '../netns/namespace.js';

export const FRESH_GUARD = resolve(REPO_ROOT, 'bin', 'check-mysql-fresh');
/** TEST-NET-1 (RFC 5737), inside the test's namespace only. */
export const VIP = '192.0.2.10/24';

export { findKeepalived, type Transition, type VrrpState } from './process.js';

/** Why these tests cannot run here, or undefined when they can. */
export function keepalivedMissing(): string | undefined {
  const mariadb = findBinaries();
  if (typeof mariadb === 'string') return mariadb;
  if (!findKeepalived()) return 'keepalived not found (apt-get install keepalived)';
  if (!findIp()) return 'ip not found (apt-get install iproute2)';
  if (process.getuid?.() !== 0) return 'network namespaces need root';
  if (spawnSync('date', ['+%s%3N'], { encoding: 'utf8' }).stdout?.trim().length !== 13) return 'date +%s%3N (GNU coreutils) is needed by the notify script';
  return undefined;
}


export interface KeepalivedFiles {
  /** The daemon's track file (keepalived's track_file). */
  trackFile: string;
  /** The daemon's status file (the freshness guard's input). */
  statusFile: string;
  /** check-mysql-fresh MAX_AGE_SECONDS. */
  maxAgeS: number;
}

export interface KeepalivedOptions extends KeepalivedFiles {
  netns: string;
  iface: string;
  /** A root-owned, non-world-writable dir (enable_script_security checks every path component). */
  dir: string;
}

const quote = (s: string): string => {
  if (/["\s\\]/.test(s)) throw new Error(`path not usable in keepalived.conf: ${s}`);
  return s;
};

/** The keepalived.conf under test: everything at weight 0, so a failure means FAULT. */
export function keepalivedConfig(o: KeepalivedFiles & { iface: string; notify: string }): string {
  return `global_defs {
    enable_script_security
    script_user root
}

track_file tf_mysql {
    file "${quote(o.trackFile)}"
    weight 0
    init_file 1 overwrite
}

vrrp_script chk_fresh {
    # Absolute paths: a failed exec (126/127) would count as success.
    script "/bin/sh ${quote(FRESH_GUARD)} ${quote(o.statusFile)} ${o.maxAgeS}"
    interval 1
    fall 1
    rise 1
    weight 0
    init_fail
}

vrrp_instance VI_1 {
    state BACKUP
    nopreempt
    interface ${o.iface}
    virtual_router_id 51
    priority 100
    advert_int 1
    virtual_ipaddress {
        ${VIP}
    }
    track_file {
        tf_mysql
    }
    track_script {
        chk_fresh
    }
    notify ${quote(o.notify)}
}
`;
}

/** keepalived with keepalivedConfig(opts) in opts.netns; its notify script records states. */
export type Keepalived = KeepalivedProcess;

/** Writes the config and the notify script into opts.dir, then starts keepalived. */
export async function startKeepalived(opts: KeepalivedOptions): Promise<Keepalived> {
  if (!findKeepalived() || !findIp()) throw new Error(keepalivedMissing() ?? 'keepalived or ip missing');
  const statesFile = join(opts.dir, 'states');
  const notify = join(opts.dir, 'notify.sh');
  const conf = join(opts.dir, 'keepalived.conf');
  // Generic notify: TYPE NAME STATE PRIORITY.
  writeFileSync(notify, `#!/bin/sh\necho "$(date +%s%3N) $1 $2 $3 $4" >> '${statesFile}'\n`);
  chmodSync(notify, 0o755);
  writeFileSync(statesFile, '');
  writeFileSync(conf, keepalivedConfig({ ...opts, iface: opts.iface, notify }));
  return KeepalivedProcess.start(opts.netns, conf, opts.dir, statesFile);
}
