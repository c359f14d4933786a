// lint-keepalived's host checks through the real CLI, against real files in a temp dir and the
// real keepalived (`keepalived -t`, 2.2.x): what keepalived itself finds on this machine, and
// what the linter says of the same file. keepalived -t checks that the instance's interface
// exists, so the configurations name one of this host's interfaces.
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { networkInterfaces } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeRun, runCheck } from '../helpers/clients/cli.js';
import { REPO_ROOT } from '../helpers/repo.js';
import { findKeepalived } from '../helpers/keepalived/process.js';
import { makeTempDir, removeTempDir } from '../helpers/temp-dir.js';
import { describeNeeding } from '../helpers/suite.js';

/** An interface keepalived -t accepts (it refuses lo), or undefined. */
const IFACE = Object.entries(networkInterfaces()).find(([, addrs]) => addrs?.some((a) => !a.internal))?.[0];

function missing(): string | undefined {
  if (!findKeepalived()) return 'keepalived not found (apt-get install keepalived)';
  if (process.getuid?.() !== 0) return 'keepalived -t checks scripts as the root it runs as';
  if (!IFACE) return 'no network interface but lo, and keepalived -t refuses lo';
  return undefined;
}

/** A user no host has: the shipped examples' keepalived_script may exist on a CI image. */
const ABSENT_USER = 'check_mysql_absent_user';

interface Finding {
  id: string;
  severity: string;
  file: string;
  line: number;
  message: string;
}

async function lintJson(...args: string[]): Promise<Finding[]> {
  const run = await runCheck(['lint-keepalived', '--json', ...args], { killAfterMs: 20_000 });
  expect([0, 1], describeRun(run)).toContain(run.code);
  return JSON.parse(run.stdout) as Finding[];
}

const brief = (findings: Finding[]) => findings.map((f) => `${f.line} ${f.id}: ${f.message}`);

describeNeeding(missing(), 'lint-keepalived on this host, with keepalived -t', () => {
  let dir: string;
  let guard: string;

  /** A configuration that keepalived -t and every rule accept here: root scripts in a root-only dir. */
  const clean = () => `global_defs {
    enable_script_security
    script_user root
}
track_file chk_db1 {
    file ${dir}/run/db1.track
    weight 0
    init_file 1 overwrite
}
vrrp_script chk_mysql {
    script "/bin/sh ${guard} --vip 192.0.2.10 --timeout 0.8"
    interval 1
    timeout 2
    fall 2
    rise 2
    weight 0
    init_fail
}
vrrp_instance VI_1 {
    state BACKUP
    nopreempt
    interface ${IFACE}
    virtual_router_id 51
    priority 100
    advert_int 1
    virtual_ipaddress {
        192.0.2.10/24
    }
    track_script {
        chk_mysql
    }
    track_file {
        chk_db1
    }
    notify "/bin/sh ${guard} notify --vip 192.0.2.10"
}
`;

  beforeAll(async () => {
    dir = await makeTempDir(); // mode 0700, owned by root: what enable_script_security wants
    mkdirSync(join(dir, 'bin'));
    mkdirSync(join(dir, 'run'));
    guard = join(dir, 'bin', 'check-mysql');
    writeFileSync(guard, '#!/bin/sh\nexit 0\n');
    chmodSync(guard, 0o755);
  });

  afterAll(async () => {
    if (dir) await removeTempDir(dir);
  });

  it('a clean configuration passes keepalived -t and every host check', async () => {
    const file = join(dir, 'clean.conf');
    writeFileSync(file, clean());
    const run = await runCheck(['lint-keepalived', file]);
    expect({ code: run.code, stdout: run.stdout }, describeRun(run)).toEqual({ code: 0, stdout: 'no findings in 1 file\n' });
  });

  it('the shipped one-shot example without its script user: keepalived -t removes the check, and the linter says so', async () => {
    const shipped = readFileSync(join(REPO_ROOT, 'examples', 'keepalived', 'oneshot', 'node-a.conf'), 'utf8');
    const file = join(dir, 'node-a.conf');
    writeFileSync(file, shipped.replace('script_user keepalived_script', `script_user ${ABSENT_USER}`).replace('interface eth0', `interface ${IFACE}`).replace('dev eth0', `dev ${IFACE}`));
    const findings = await lintJson(file);
    const ids = (id: string) => brief(findings.filter((f) => f.id === id));
    // keepalived names the line that ends the vrrp_script block and the track_script line that uses it.
    const lines = shipped.split('\n');
    const scriptStart = lines.findIndex((l) => /^vrrp_script chk_mysql\b/.test(l));
    const scriptEnd = lines.findIndex((l, i) => i > scriptStart && l === '}') + 1;
    const trackStart = lines.findIndex((l) => /^\s*track_script\b/.test(l));
    const trackUse = lines.findIndex((l, i) => i > trackStart && l.trim() === 'chk_mysql') + 1;
    expect(ids('script-user-missing')).toEqual([expect.stringMatching(new RegExp(`^8 script-user-missing: script_user names user ${ABSENT_USER}, which does not exist on this host: keepalived removes every vrrp_script`))]);
    expect(ids('keepalived-config-test')).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^0 keepalived-config-test: keepalived -t -f .* exits [1-9]\d*: keepalived's own check of this file fails on this host/),
        `${scriptEnd} keepalived-config-test: keepalived -t says: Unable to set default user for vrrp script chk_mysql - removing`,
        `${trackUse} keepalived-config-test: keepalived -t says: (VI_1) track script chk_mysql not found, ignoring...`,
      ]),
    );
    expect(findings.filter((f) => f.id === 'keepalived-config-test').every((f) => f.file === file)).toBe(true);
  });

  it('a missing script, notify interpreter file and track file directory: found here, and by keepalived -t', async () => {
    const file = join(dir, 'missing.conf');
    writeFileSync(file, clean().replace(`"/bin/sh ${guard} --vip`, `"${dir}/bin/absent-guard --vip`).replace(`${dir}/run/db1.track`, `${dir}/absent/db1.track`).replace(`"/bin/sh ${guard} notify`, `"/bin/sh ${dir}/bin/absent notify`));
    const findings = await lintJson(file);
    expect(brief(findings.filter((f) => ['script-missing', 'track-file-dir-missing'].includes(f.id)))).toEqual([
      expect.stringMatching(/^6 track-file-dir-missing: track_file chk_db1: .*\/absent does not exist on this host/),
      expect.stringMatching(/^11 script-missing: vrrp_script chk_mysql runs .*\/bin\/absent-guard, which does not exist on this host/),
      expect.stringMatching(/^35 script-missing: VI_1: notify: \/bin\/sh is given .*\/bin\/absent, which does not exist on this host/),
    ]);
    expect(brief(findings.filter((f) => f.id === 'keepalived-config-test'))).toEqual(expect.arrayContaining([expect.stringMatching(/Disabling track script chk_mysql since not found/)]));
  });

  it('--offline asks neither this host nor keepalived', async () => {
    const file = join(dir, 'offline.conf');
    writeFileSync(file, clean().replace(`${dir}/run/db1.track`, `${dir}/absent/db1.track`).replace('script_user root', `script_user ${ABSENT_USER}`));
    expect(await lintJson('--offline', file)).toEqual([]);
  });
});
