// Real keepalived (2.2.x) in a network namespace of the test's own, configured as an operator
// would pair it with the check-mysql daemon: a track_file on the daemon's track file (weight 0,
// init_file 1 overwrite) and a vrrp_script running bin/check-mysql-fresh on its status file
// (weight 0, init_fail). Its generic notify is the recorder (recorder.ts), which is how the
// tests read keepalived's state transitions.
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { REPO_ROOT } from '../repo.js';
import { KeepalivedProcess } from './process.js';
import { recorderPaths, writeRecorder } from './recorder.js';

export const FRESH_GUARD = resolve(REPO_ROOT, 'bin', 'check-mysql-fresh');
/** TEST-NET-1 (RFC 5737), inside the test's namespace only. */
export const VIP = '192.0.2.10/24';

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

/** Writes the config and the notify recorder into opts.dir, then starts keepalived in opts.netns. */
export async function startKeepalived(opts: KeepalivedOptions): Promise<KeepalivedProcess> {
  const conf = join(opts.dir, 'keepalived.conf');
  writeRecorder(opts.dir);
  writeFileSync(conf, keepalivedConfig({ ...opts, notify: recorderPaths(opts.dir).recorder }));
  return KeepalivedProcess.start(opts.netns, conf, opts.dir);
}
