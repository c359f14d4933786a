// The host checks of lint-keepalived, against an in-memory host: what keepalived 2.2.7 checks on
// the machine that runs the file and answers by silently dropping a script, a notify or a track
// file. Each case changes one thing of a host and a configuration that are otherwise clean.
import { describe, expect, it } from 'vitest';
import { HOST_CHECKS } from '../../src/keepalived/host-rules.js';
import { GOOD_HOST, hostWith, memoryFiles, memoryHost, noHost, runLint, type FakeHost } from './lint-keepalived-helpers.js';

const FILE = '/etc/keepalived/keepalived.conf';

const GOOD_CONF = `global_defs {
    enable_script_security
    script_user keepalived_script
}
track_file chk_mysql_db1 {
    file /run/check-mysql/db1.track
    weight 0
    init_file 1 overwrite
}
vrrp_script chk_mysql {
    script "/usr/bin/node /opt/check-mysql/bin/check-mysql --vip 192.0.2.10"
    timeout 2
    fall 2
    weight 0
    init_fail
}
vrrp_script chk_fresh {
    script "/bin/sh /opt/check-mysql/bin/check-mysql-fresh /run/check-mysql/db1.json 3"
    timeout 2
    fall 2
    weight 0
    init_fail
}
vrrp_instance VI_1 {
    state BACKUP
    nopreempt
    interface eth0
    virtual_router_id 51
    priority 100
    virtual_ipaddress {
        192.0.2.10/24
    }
    track_script {
        chk_mysql
        chk_fresh
    }
    track_file {
        chk_mysql_db1
    }
    notify "/usr/bin/node /opt/check-mysql/bin/check-mysql notify --vip 192.0.2.10"
}
`;

/** GOOD_CONF with lines replaced; each `from` must be there, so a case cannot go stale silently. */
function confWith(...changes: [string, string][]): string {
  return changes.reduce((text, [from, to]) => {
    if (!text.includes(from)) throw new Error(`not in GOOD_CONF: ${from}`);
    return text.replace(from, to);
  }, GOOD_CONF);
}

const HOST_IDS = new Set(HOST_CHECKS.map((c) => c.id));

async function lintOn(host: FakeHost, text: string = GOOD_CONF, argv: string[] = []) {
  return runLint([...argv, FILE], memoryFiles({ [FILE]: text }, memoryHost(host)));
}

/** Only the host checks' lines: the offline rules have their own fixtures. */
const hostLines = (lines: string[]) => lines.filter((l) => HOST_IDS.has(/\[([a-z-]+)\]$/.exec(l)?.[1] ?? ''));

const UNGUARDED = 'so VI_1 runs unguarded, and no notify runs, so no node is promoted or demoted';
const USERADD = 'useradd --system --no-create-home --shell /usr/sbin/nologin';

const HOST_TRAPS: [string, FakeHost, string, string[]][] = [
  [
    'a script_user that does not exist, as with the shipped examples on a host without keepalived_script',
    hostWith({ users: { keepalived_script: undefined } }),
    GOOD_CONF,
    [`3: error: script_user names user keepalived_script, which does not exist on this host: keepalived removes every vrrp_script and notify without a user of its own ("Unable to set default user for vrrp script chk_mysql - removing"), ${UNGUARDED}; create it (${USERADD} keepalived_script) or name one that exists [script-user-missing]`],
  ],
  [
    "no script_user and no keepalived_script under enable_script_security (keepalived's default user)",
    hostWith({ users: { keepalived_script: undefined } }),
    confWith(['    script_user keepalived_script\n', '']),
    [`1: error: there is no script_user, and keepalived's default user keepalived_script does not exist on this host, which enable_script_security refuses: keepalived removes every vrrp_script and notify without a user of its own ("Unable to set default user for vrrp script chk_mysql - removing"), ${UNGUARDED}; create it (${USERADD} keepalived_script) or set script_user [script-user-missing]`],
  ],
  [
    'a vrrp_script and a notify that name their own user, who does not exist',
    GOOD_HOST,
    confWith(['    init_fail\n}\nvrrp_instance', '    init_fail\n    user mysql_check\n}\nvrrp_instance'], ['--vip 192.0.2.10"\n}', '--vip 192.0.2.10" mysql_check\n}']),
    [
      `23: error: vrrp_script chk_fresh runs as user mysql_check, which does not exist on this host: keepalived removes the script ("Unable to set uid/gid for script"), so VI_1 runs unguarded; ${USERADD} mysql_check, or name one that exists [script-user-missing]`,
      `41: error: VI_1: notify runs as user mysql_check, which does not exist on this host: keepalived ignores the notify ("Invalid user/group for notify script ... - ignoring"), so this node is never promoted or demoted; ${USERADD} mysql_check, or name one that exists [script-user-missing]`,
    ],
  ],
  [
    'a program keepalived execs that is not there, and a file given to an interpreter that is not there',
    hostWith({ paths: { '/opt/check-mysql/bin/check-mysql': undefined } }),
    confWith(['"/bin/sh /opt/check-mysql/bin/check-mysql-fresh', '"/usr/local/bin/check-fresh']),
    [
      '11: error: vrrp_script chk_mysql: /usr/bin/node is given /opt/check-mysql/bin/check-mysql, which does not exist on this host: every run fails, so the instances that track it stay in FAULT [script-missing]',
      '18: error: vrrp_script chk_fresh runs /usr/local/bin/check-fresh, which does not exist on this host ("Script /usr/local/bin/check-fresh cannot be accessed - No such file or directory"): keepalived disables the check, so the instances that track it check nothing [script-missing]',
      '40: error: VI_1: notify: /usr/bin/node is given /opt/check-mysql/bin/check-mysql, which does not exist on this host: every run fails, so this node is never promoted or demoted [script-missing]',
    ],
  ],
  [
    'a directory the script user cannot search',
    hostWith({ paths: { '/opt/check-mysql': { type: 'dir', mode: 0o700, uid: 0, gid: 0 } } }),
    GOOD_CONF,
    [
      '11: error: vrrp_script chk_mysql: /usr/bin/node is given /opt/check-mysql/bin/check-mysql, but uid 998 cannot search /opt/check-mysql: every run fails, so the instances that track it stay in FAULT [script-not-executable]',
      '18: error: vrrp_script chk_fresh: /bin/sh is given /opt/check-mysql/bin/check-mysql-fresh, but uid 998 cannot search /opt/check-mysql: every run fails, so the instances that track it stay in FAULT [script-not-executable]',
      '40: error: VI_1: notify: /usr/bin/node is given /opt/check-mysql/bin/check-mysql, but uid 998 cannot search /opt/check-mysql: every run fails, so this node is never promoted or demoted [script-not-executable]',
    ],
  ],
  [
    'a program the script user cannot execute, and a guard whose #! interpreter is missing (a failed exec passes the check)',
    hostWith({ paths: { '/usr/bin/node': { type: 'file', mode: 0o744, uid: 0, gid: 0 }, '/opt/check-mysql/bin/check-mysql-fresh': { type: 'file', mode: 0o755, firstLine: '#!/bin/bash -e' } } }),
    confWith(['"/bin/sh /opt/check-mysql/bin/check-mysql-fresh', '"/opt/check-mysql/bin/check-mysql-fresh']),
    [
      `11: error: vrrp_script chk_mysql: /usr/bin/node is not executable for uid:gid 998:998 ("WARNING - script '/usr/bin/node' is not executable for uid:gid 998:998 - disabling."): keepalived disables the check, so the instances that track it check nothing [script-not-executable]`,
      '18: error: vrrp_script chk_fresh: /opt/check-mysql/bin/check-mysql-fresh starts with #!/bin/bash, which does not exist on this host: the exec fails and keepalived counts that as success, so the check always passes [script-not-executable]',
      `40: error: VI_1: notify: /usr/bin/node is not executable for uid:gid 998:998 ("WARNING - script '/usr/bin/node' is not executable for uid:gid 998:998 - disabling."): keepalived drops the notify, so this node is never promoted or demoted [script-not-executable]`,
    ],
  ],
  [
    'a directory writable by a non-root group: refused for a root script under enable_script_security, a warning for the file node runs',
    hostWith({ users: { keepalived_script: undefined }, paths: { '/opt/check-mysql/bin': { type: 'dir', mode: 0o775, uid: 0, gid: 1000 } } }),
    confWith(['script_user keepalived_script', 'script_user root'], ['"/bin/sh /opt/check-mysql/bin/check-mysql-fresh', '"/opt/check-mysql/bin/check-mysql-fresh']),
    [
      '11: warning: vrrp_script chk_mysql: /opt/check-mysql/bin is writable by group 1000, so whoever can write there can replace /opt/check-mysql/bin/check-mysql with one that always passes; make it and every directory above it owned by root and writable only by root [script-insecure]',
      `18: error: vrrp_script chk_fresh: /opt/check-mysql/bin is writable by group 1000, so enable_script_security refuses /opt/check-mysql/bin/check-mysql-fresh ("Unsafe permissions found for script '/opt/check-mysql/bin/check-mysql-fresh' - disabling."): keepalived disables the check, so the instances that track it check nothing; make it and every directory above it owned by root and writable only by root [script-insecure]`,
      '40: warning: VI_1: notify: /opt/check-mysql/bin is writable by group 1000, so whoever can write there can replace /opt/check-mysql/bin/check-mysql with one that always passes; make it and every directory above it owned by root and writable only by root [script-insecure]',
    ],
  ],
  [
    "a track_file whose directory is not there yet (keepalived removes the track file)",
    hostWith({ paths: { '/run/check-mysql': undefined } }),
    GOOD_CONF,
    [`6: error: track_file chk_mysql_db1: /run/check-mysql does not exist on this host: keepalived removes the track file ("Track file directory for chk_mysql_db1 does not exist - removing") and the instances that track it check nothing; create it before keepalived starts (check-mysql's unit makes it with RuntimeDirectory=) [track-file-dir-missing]`],
  ],
  [
    'a configuration file with an execute bit, which keepalived skips whole',
    hostWith({ paths: { [FILE]: { type: 'file', mode: 0o755 } } }),
    GOOD_CONF,
    [`0: error: ${FILE} has an execute bit: keepalived skips such a file ("Configuration file '${FILE}' is not a regular non-executable file - skipping"), so nothing in it is configured; chmod a-x ${FILE} [config-file-executable]`],
  ],
  [
    "keepalived -t's exit status and what it says it removed, at the lines it names",
    hostWith({
      configTest: {
        status: 5,
        output: `(Line 3) Error setting global script uid/gid\n(${FILE}: Line 10) Unable to set default user for vrrp script chk_mysql - removing\n(VI_1) No VIP specified; at least one is sensible\n`,
      },
    }),
    GOOD_CONF,
    [
      `0: error: keepalived -t -f ${FILE} exits 5: keepalived's own check of this file fails on this host; what it says follows [keepalived-config-test]`,
      '0: warning: keepalived -t says: (VI_1) No VIP specified; at least one is sensible [keepalived-config-test]',
      '3: error: keepalived -t says: Error setting global script uid/gid [keepalived-config-test]',
      '10: error: keepalived -t says: Unable to set default user for vrrp script chk_mysql - removing [keepalived-config-test]',
    ],
  ],
];

describe('lint-keepalived: host checks, one case per trap', () => {
  it.each(HOST_TRAPS)('reports %s', async (_behaviour, host, text, expected) => {
    const r = await lintOn(host, text);
    expect(hostLines(r.lines)).toEqual(expected.map((line) => `${FILE}:${line}`));
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('');
  });

  it('has a case for every host check', () => {
    const covered = new Set(HOST_TRAPS.flatMap(([, , , lines]) => lines.map((l) => /\[([a-z-]+)\]$/.exec(l)![1])));
    expect(HOST_CHECKS.map((c) => c.id).filter((id) => !covered.has(id))).toEqual([]);
  });

  it('finds nothing on a host set up as the README says (/bin and /usr/bin/sh as symlinks, keepalived -t content)', async () => {
    expect(await lintOn(hostWith({ configTest: { status: 0, output: '' } }))).toEqual({ code: 0, stdout: 'no findings in 1 file\n', stderr: '', lines: ['no findings in 1 file'] });
  });

  it('--offline asks the host nothing, so a file for another machine lints on its own merits', async () => {
    const r = await runLint(['--offline', FILE], memoryFiles({ [FILE]: GOOD_CONF }, noHost));
    expect(r).toMatchObject({ code: 0, stdout: 'no findings in 1 file\n', stderr: '' });
  });

  it('still runs keepalived -t when the braces do not balance, but no other host check', async () => {
    const host = hostWith({ users: { keepalived_script: undefined }, configTest: { status: 1, output: "(Line 52) Extra '}' found\n" } });
    const r = await lintOn(host, `${GOOD_CONF}}\n`);
    expect(hostLines(r.lines)).toEqual([
      `${FILE}:0: error: keepalived -t -f ${FILE} exits 1: keepalived's own check of this file fails on this host; what it says follows [keepalived-config-test]`,
      `${FILE}:52: warning: keepalived -t says: Extra '}' found [keepalived-config-test]`,
    ]);
  });
});
