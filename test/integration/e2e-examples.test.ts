// The shipped keepalived examples (examples/keepalived/{oneshot,daemon}/node-{a,b}.conf) pass
// keepalived's own config test (`keepalived -t -f FILE`, 2.2.7), say what docs/keepalived.md and
// examples/keepalived/README.md promise (both BACKUP + nopreempt, weight 0, init_fail, absolute
// paths, script security, the generic notify line, VIP 192.0.2.100), and so do the renderings
// the end-to-end topology runs. The config test checks
// that `interface eth0` exists, so it runs in a namespace of ours that has an eth0.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeRun, runCheck } from '../helpers/clients/cli.js';
import { configTest } from '../helpers/keepalived/process.js';
import { EXAMPLE, examplePath, NODES, type NotifyMode, renderExample, VARIANTS } from '../helpers/keepalived/examples.js';
import { writeRecorder } from '../helpers/keepalived/recorder.js';
import { addNetns, ipIn, removeNetns } from '../helpers/netns/namespace.js';
import { e2eNetnsName } from '../helpers/netns/bridge.js';
import { describeWithKeepalived } from '../helpers/suite.js';
import { makeTempDir, removeTempDir } from '../helpers/temp-dir.js';

const FILES = VARIANTS.flatMap((variant) => NODES.map((node) => ({ name: `${variant}/node-${node}.conf`, variant, node, file: examplePath(variant, node) })));
const NOTIFY = `notify "/usr/bin/node /opt/check-mysql/bin/check-mysql notify --defaults-file=/etc/check-mysql/notify.cnf --vip 192.0.2.100"`;

/** Without comments, whitespace collapsed: what keepalived reads. */
function directives(text: string): string[] {
  return text
    .split('\n')
    .map((l) => l.replace(/\s#.*$|^\s*#.*$/, '').trim().replace(/\s+/g, ' '))
    .filter((l) => l !== '');
}

/** The block that starts with `head {` (one level of nesting inside it is kept). */
function block(text: string, head: string): string[] {
  const lines = directives(text);
  const start = lines.findIndex((l) => l === `${head} {`);
  if (start < 0) throw new Error(`no ${head} block`);
  let depth = 0;
  const out: string[] = [];
  for (const l of lines.slice(start)) {
    depth += (l.match(/\{/g) ?? []).length - (l.match(/\}/g) ?? []).length;
    out.push(l);
    if (depth === 0) break;
  }
  return out;
}

function hasUser(name: string): boolean {
  return readFileSync('/etc/passwd', 'utf8').split('\n').some((l) => l.split(':')[0] === name);
}

it.each(FILES)('$name keeps the settings the docs promise', ({ variant, node, file }) => {
  const text = readFileSync(file, 'utf8');
  const instance = block(text, 'vrrp_instance VI_1');
  expect(block(text, 'global_defs')).toEqual(expect.arrayContaining(['enable_script_security', `script_user ${EXAMPLE.scriptUser[variant]}`]));
  expect(instance).toEqual(expect.arrayContaining([
    'state BACKUP', 'nopreempt', 'interface eth0', 'virtual_router_id 51', 'advert_int 1', '192.0.2.100/24 dev eth0', NOTIFY,
    `priority ${node === 'a' ? 150 : 100}`,
  ]));
  // Unicast is there, commented out, naming this node and its peer.
  const [self, peer] = node === 'a' ? ['192.0.2.11', '192.0.2.12'] : ['192.0.2.12', '192.0.2.11'];
  expect(text).toMatch(new RegExp(`# unicast_src_ip ${self.replace(/\./g, '\\.')}\\s`));
  expect(text).toMatch(new RegExp(`#     ${peer.replace(/\./g, '\\.')}\\s`));

  if (variant === 'oneshot') {
    const script = block(text, 'vrrp_script chk_mysql');
    expect(script[1]).toMatch(/^script "\/usr\/bin\/node \/opt\/check-mysql\/bin\/check-mysql --defaults-file=\/etc\/check-mysql\/my\.cnf --vip 192\.0\.2\.100( |")/);
    expect(script).toEqual(expect.arrayContaining(['interval 1', 'timeout 2', 'fall 2', 'rise 2', 'weight 0', 'init_fail']));
    expect(instance).toEqual(expect.arrayContaining(['track_script {', 'chk_mysql']));
  } else {
    expect(block(text, 'track_file chk_mysql_db1')).toEqual(expect.arrayContaining(['file /run/check-mysql/db1.track', 'weight 0', 'init_file 1 overwrite']));
    const guard = block(text, 'vrrp_script chk_mysql_db1_fresh');
    expect(guard).toEqual(expect.arrayContaining([
      'script "/bin/sh /opt/check-mysql/bin/check-mysql-fresh /run/check-mysql/db1.json 3"', 'interval 1', 'timeout 2', 'fall 2', 'rise 2', 'weight 0', 'init_fail',
    ]));
    expect(instance).toEqual(expect.arrayContaining(['track_file {', 'chk_mysql_db1 weight 0', 'track_script {', 'chk_mysql_db1_fresh']));
    // The daemon's peer is the other node, as examples/daemon.cnf has it for node A.
    expect(text).toContain(`# The daemon on node ${node.toUpperCase()} (examples/daemon.cnf) reads node ${node === 'a' ? 'B' : 'A'} as its \`peer = ${peer}\``);
  }
  // Every script and notify command starts with an absolute path (a failed exec reads as success).
  for (const line of directives(text).filter((l) => /^(script|notify) /.test(l))) expect(line).toMatch(/^(script|notify) "\//);
});

// --offline: the examples name another machine's paths (/opt/check-mysql, keepalived_script);
// test/integration/lint-host.test.ts lints node-a.conf against this host.
it.each(FILES)('$name passes check-mysql lint-keepalived', async ({ file }) => {
  const run = await runCheck(['lint-keepalived', '--offline', file]);
  expect(run.code, describeRun(run)).toBe(0);
  expect(run.stdout.trim(), describeRun(run)).toBe('no findings in 1 file');
});

it.each(VARIANTS)('%s: node-b.conf differs from node-a.conf only in lines that name a node', (variant) => {
  const a = readFileSync(examplePath(variant, 'a'), 'utf8').split('\n');
  const b = readFileSync(examplePath(variant, 'b'), 'utf8').split('\n');
  expect(b).toHaveLength(a.length);
  const differing = a.map((line, i) => [line, b[i] as string] as const).filter(([x, y]) => x !== y);
  expect(differing.length).toBeGreaterThan(0);
  for (const [x, y] of differing) {
    expect(x).toMatch(/node [AB]\b/);
    expect(y).toMatch(/node [AB]\b/);
  }
});

describeWithKeepalived('keepalived -t accepts the examples and their test renderings', () => {
  const ns = e2eNetnsName('a');
  let dir: string;

  beforeAll(async () => {
    dir = await makeTempDir();
    await addNetns(ns);
    // An eth0 for `interface eth0` (the config test refuses a missing interface).
    await ipIn(ns, 'link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', 'eth1');
  });

  afterAll(async () => {
    await removeNetns(ns);
    if (dir) await removeTempDir(dir);
  });

  it.each(FILES)('$name as shipped', async ({ variant, file }) => {
    const verbatim = await configTest(file, ns);
    if (hasUser(EXAMPLE.scriptUser[variant])) {
      expect(verbatim, verbatim.output).toEqual({ code: 0, output: '' });
    } else {
      // Without that user keepalived drops the script: those are the only complaints.
      const other = verbatim.output.split('\n').filter((l) => !/Error setting global script uid\/gid|Unable to set default user for vrrp script|track script \S+ not found, ignoring/.test(l));
      expect(other, verbatim.output).toEqual([]);
    }
    // With only script_user changed to a user that exists, keepalived has nothing to say.
    const copy = join(dir, 'copy.conf');
    writeFileSync(copy, readFileSync(file, 'utf8').replace(`script_user ${EXAMPLE.scriptUser[variant]}`, 'script_user root'));
    expect(await configTest(copy, ns)).toEqual({ code: 0, output: '' });
  });

  const renderings = VARIANTS.flatMap((variant) => NODES.flatMap((node) =>
    (['multicast', 'unicast'] as const).flatMap((vrrp) => (['none', 'record', 'example'] as NotifyMode[]).map((notify) => ({ name: `${variant}/node-${node}.conf`, variant, node, vrrp, notify }))),
  ));

  it.each(renderings)('$name rendered for the topology ($vrrp, notify $notify)', async ({ name: _name, ...r }) => {
    const nodeDir = join(dir, `${r.variant}-${r.node}-${r.vrrp}-${r.notify}`);
    mkdirSync(nodeDir);
    writeRecorder(nodeDir);
    const text = renderExample({ ...r, dir: nodeDir });
    const conf = join(nodeDir, 'keepalived.conf');
    writeFileSync(conf, text);

    expect(await configTest(conf, ns), text).toEqual({ code: 0, output: '' });
    const [self, peer] = r.node === 'a' ? ['192.0.2.11', '192.0.2.12'] : ['192.0.2.12', '192.0.2.11'];
    if (r.vrrp === 'unicast') expect(directives(text)).toEqual(expect.arrayContaining([`unicast_src_ip ${self}`, 'unicast_peer {', peer]));
    else expect(directives(text).some((l) => l.startsWith('unicast'))).toBe(false);
    expect(directives(text).some((l) => l.startsWith('notify '))).toBe(r.notify !== 'none');
    expect(existsSync(join(nodeDir, 'notify-recorder.sh'))).toBe(true);
  });
});
