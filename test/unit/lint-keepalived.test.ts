import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_TIMEOUT_SECONDS } from '../../src/config/config.js';
import { HOST_CHECKS } from '../../src/keepalived/host-rules.js';
import type { LintDeps } from '../../src/keepalived/host.js';
import { loadConf } from '../../src/keepalived/include.js';
import { readModel } from '../../src/keepalived/model.js';
import { parseConf } from '../../src/keepalived/parse.js';
import { RULES, SYNTAX_CHECKS } from '../../src/keepalived/rules.js';
import { CHECK_MYSQL_DEFAULT_TIMEOUT_S } from '../../src/keepalived/script-command.js';
import { disk, memoryFiles as memory, runLint } from './lint-keepalived-helpers.js';

const DIR = join(__dirname, '..', 'fixtures', 'keepalived');
const F = (name: string): string => join(DIR, name);

/** The fixtures name paths of another machine (/opt/check-mysql/...): lint them --offline, never asking this host. */
const lint = (argv: string[], deps: LintDeps = disk) => runLint(['--offline', ...argv], deps);

// One fixture per trap, with every line lint-keepalived prints for it (the summary is checked apart).
const TRAPS: [string, string, string[]][] = [
  [
    'an instance without check-mysql notify on every transition: none, another script, notify_master only',
    'notify-missing.conf',
    [
      '16: error: VI_1 has no notify: with the servers started read_only=ON, the node that takes the VIP stays read-only and one that loses it is never made read-only; add notify "/usr/bin/node /opt/check-mysql/bin/check-mysql notify --defaults-file=/etc/check-mysql/notify.cnf --vip ADDRESS" [notify-missing]',
      '43: warning: VI_2\'s notify does not run check-mysql notify: unless /usr/local/bin/promote-db.sh sets read_only=OFF on MASTER and ON on BACKUP, FAULT and STOP, the VIP holder stays read-only; or use notify "/usr/bin/node /opt/check-mysql/bin/check-mysql notify --defaults-file=/etc/check-mysql/notify.cnf --vip ADDRESS" [notify-missing]',
      '58: error: VI_3 runs check-mysql notify only from notify_master, so on BACKUP, FAULT, STOP it does not run: a node that loses the VIP stays writable (two writers); use the generic notify line, which keepalived runs on every transition [notify-missing]',
    ],
  ],
  [
    'check-mysql notify without --vip, in an instance and in its sync group (after --, --vip is only a word)',
    'notify-without-vip.conf',
    [
      "28: error: VI_1: check-mysql notify without --vip cannot tell a late run from the latest, and keepalived may run them out of order: a stale MASTER run after the final BACKUP leaves this node writable; add --vip with the instance's virtual address [notify-without-vip]",
      "35: error: G1: check-mysql notify without --vip cannot tell a late run from the latest, and keepalived may run them out of order: a stale MASTER run after the final BACKUP leaves this node writable; add --vip with the instance's virtual address [notify-without-vip]",
    ],
  ],
  [
    'a weighted check under nopreempt, pointing at the weight',
    'weighted-nopreempt.conf',
    ['12: error: VI_1 has nopreempt and tracks vrrp_script chk_mysql with weight -50: under nopreempt a priority change never moves the VIP, so a failing check leaves it here; use weight 0 so that a failure means FAULT [weighted-check-under-nopreempt]'],
  ],
  [
    "a weight on the reference, which overrides the vrrp_script's (weight 0 there makes a weighted script safe)",
    'weighted-nopreempt-override.conf',
    ['36: error: VI_1 has nopreempt and tracks vrrp_script chk_mysql with weight -30: under nopreempt a priority change never moves the VIP, so a failing check leaves it here; use weight 0 so that a failure means FAULT [weighted-check-under-nopreempt]'],
  ],
  [
    'a track_file left at its default weight 1 under nopreempt',
    'weighted-nopreempt-track-file.conf',
    ['21: error: VI_1 has nopreempt and tracks track_file chk_db with weight 1 (the track_file default): under nopreempt a priority change never moves the VIP, so a failing check leaves it here; use weight 0 so that a failure means FAULT [weighted-check-under-nopreempt]'],
  ],
  [
    'a weighted vrrp_script in a sync group, which keepalived drops',
    'weighted-sync-group.conf',
    ['12: error: VI_1 is in vrrp_sync_group G1 and tracks vrrp_script chk_mysql with weight -50: keepalived drops it ("ignoring tracked script chk_mysql with weights due to SYNC group"), so nothing is checked; use weight 0 [weighted-check-in-sync-group]'],
  ],
  [
    'nopreempt with state MASTER',
    'nopreempt-master.conf',
    ['16: error: VI_1 has nopreempt with state MASTER: keepalived clears nopreempt ("nopreempt will not work with initial state MASTER"); use state BACKUP on every node [nopreempt-needs-backup]'],
  ],
  [
    'a vrrp_script without init_fail',
    'missing-init-fail.conf',
    ['6: warning: vrrp_script chk_mysql has no init_fail: until its first result keepalived does not count it as failed; add init_fail so the instance starts in FAULT until the check passes [missing-init-fail]'],
  ],
  [
    'a track_file without init_file, with init_file 0, and with init_file 1 but no overwrite',
    'track-file-without-init-file.conf',
    [
      '6: error: track_file chk_none has no init_file: keepalived reads a missing, empty or non-numeric file as 0 (healthy) until its writer runs; add init_file 1 overwrite [track-file-without-init-file]',
      '13: error: track_file chk_zero: init_file without a non-zero value writes 0 (healthy) when keepalived starts; use init_file 1 overwrite [track-file-without-init-file]',
      '18: warning: track_file chk_keep: init_file 1 without overwrite keeps an existing file, so a 0 left from before reads as healthy; use init_file 1 overwrite [track-file-without-init-file]',
    ],
  ],
  [
    'a command named without its path',
    'relative-script-path.conf',
    ['7: error: vrrp_script chk_mysql runs "node" by a relative name: keepalived looks it up once on its own PATH at start-up and, if not found, disables the check so the instance tracks nothing; use an absolute path [relative-script-path]'],
  ],
  [
    'a guard or check-mysql run directly instead of through its interpreter (distribution programs are fine)',
    'script-not-via-sh.conf',
    [
      '7: warning: vrrp_script chk_fresh runs /opt/check-mysql/bin/check-mysql-fresh directly: if that file is deleted or loses its exec bit while keepalived runs, the exec fails and keepalived counts the check as passing; run it through its interpreter: script "/bin/sh /opt/check-mysql/bin/check-mysql-fresh /run/check-mysql/db1.json 3" [script-not-via-sh]',
      '16: warning: vrrp_script chk_mysql runs /opt/check-mysql/bin/check-mysql directly: if that file is deleted or loses its exec bit while keepalived runs, the exec fails and keepalived counts the check as passing; run it through its interpreter: script "/usr/bin/node /opt/check-mysql/bin/check-mysql --vip 192.0.2.10" [script-not-via-sh]',
    ],
  ],
  [
    'an unquoted command, of which keepalived runs only the first word',
    'script-args-not-quoted.conf',
    ['7: error: vrrp_script chk_mysql: keepalived runs only the first word of an unquoted script ("/usr/bin/node") and drops the rest; quote the whole command as one string: script "/usr/bin/node /opt/check-mysql/bin/check-mysql --vip 192.0.2.10" [script-args-not-quoted]'],
  ],
  [
    "a keepalived timeout shorter than check-mysql's deadline plus Node's start-up",
    'timeout-not-above-deadline.conf',
    [
      "7: error: vrrp_script chk_mysql: keepalived kills the check after 1 s (no timeout or interval: both default to 1 s), before check-mysql's default --timeout 0.8 s plus 0.3 s for Node's start-up, and the reason is lost; set timeout 2 [timeout-not-above-deadline]",
      "16: error: vrrp_script chk_long: keepalived kills the check after 2 s (timeout 2), before check-mysql's --timeout 2 s plus 0.3 s for Node's start-up, and the reason is lost; set timeout 3 [timeout-not-above-deadline]",
    ],
  ],
  [
    'slow detection: the seed\'s interval 60, and interval × fall + timeout over 10 s (an untracked script is not counted)',
    'detection-budget.conf',
    [
      '8: warning: vrrp_script chk_mysql: interval 60 leaves a dead database unnoticed for up to 120 s (interval × fall + timeout = 60 × 1 + 60); use interval 1 or 2 [detection-budget]',
      '12: warning: vrrp_script chk_patient: a failure is noticed only after up to 12 s (interval × fall + timeout = 2 × 5 + 2); keep it within 10 s with a smaller fall or interval [detection-budget]',
    ],
  ],
  [
    'fractional seconds, which keepalived 2.2.7 truncates',
    'non-integer-seconds.conf',
    [
      "8: warning: vrrp_script chk_mysql: keepalived 2.2.7 reads interval in whole seconds of at least 1, so '1.5' runs as 1 (and keepalived -t rejects it) [non-integer-seconds]",
      "9: warning: vrrp_script chk_mysql: keepalived 2.2.7 reads timeout in whole seconds of at least 1, so '1.5' runs as 1 (and keepalived -t rejects it) [non-integer-seconds]",
    ],
  ],
  [
    'no global_defs: neither enable_script_security nor script_user',
    'missing-script-security.conf',
    [
      '2: warning: global_defs has no enable_script_security: keepalived runs a root script even when a non-root user can replace it ("SECURITY VIOLATION - scripts are being executed but script_security not enabled"); add enable_script_security [missing-script-security]',
      '2: warning: global_defs has no script_user: keepalived runs scripts as keepalived_script if that user exists, else as root, and with enable_script_security but no such user it removes every vrrp_script, so the instance tracks nothing; set script_user [missing-script-security]',
    ],
  ],
  [
    'a typo in a tracked script or file name',
    'unknown-tracked-name.conf',
    [
      '31: error: VI_1 tracks vrrp_script chk_mysq, which is not defined: keepalived ignores it ("track script chk_mysq not found, ignoring...") and checks nothing in its place [unknown-tracked-name]',
      '34: error: VI_1 tracks track_file chk_db1, which is not defined: keepalived ignores it ("track file chk_db1 not found, ignoring...") and checks nothing in its place [unknown-tracked-name]',
    ],
  ],
];

describe('lint-keepalived: one fixture per trap', () => {
  it.each(TRAPS)('reports %s', async (_behaviour, fixture, expected) => {
    const r = await lint([F(fixture)]);
    expect(r.lines.slice(0, -1)).toEqual(expected.map((line) => `${F(fixture)}:${line}`));
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('');
  });

  it('ends with a summary line counting errors, warnings and files read', async () => {
    expect((await lint([F('track-file-without-init-file.conf')])).lines.at(-1)).toBe('2 errors, 1 warning in 1 file');
    expect((await lint([F('missing-init-fail.conf')])).lines.at(-1)).toBe('0 errors, 1 warning in 1 file');
  });

  it('has a fixture for every rule in the table', async () => {
    const covered = new Set(TRAPS.flatMap(([, , lines]) => lines.map((l) => /\[([a-z-]+)\]$/.exec(l)![1])));
    expect(RULES.map((r) => r.id).filter((id) => !covered.has(id))).toEqual([]);
    expect(new Set([...RULES, ...SYNTAX_CHECKS].map((r) => r.id)).size).toBe(RULES.length + SYNTAX_CHECKS.length);
  });

  it("uses check-mysql's own default --timeout", async () => {
    expect(CHECK_MYSQL_DEFAULT_TIMEOUT_S).toBe(DEFAULT_TIMEOUT_SECONDS);
  });
});

describe("lint-keepalived: the configurations docs/keepalived.md shows", () => {
  const doc = readFileSync(join(__dirname, '..', '..', 'docs', 'keepalived.md'), 'utf8');

  it.each(['readme-oneshot.conf', 'readme-daemon.conf'])('%s lints clean and exits 0', async (fixture) => {
    expect(await lint([F(fixture)])).toEqual({ code: 0, stdout: 'no findings in 1 file\n', stderr: '', lines: ['no findings in 1 file'] });
  });

  it('every complete keepalived.conf the README and docs show is one of these linted fixtures', () => {
    const root = join(__dirname, '..', '..');
    const pages = ['README.md', ...readdirSync(join(root, 'docs')).map((f) => join('docs', f))].filter((f) => f.endsWith('.md'));
    const fixtures = ['readme-oneshot.conf', 'readme-daemon.conf'].map((f) => readFileSync(F(f), 'utf8').split('\n').slice(1).join('\n'));
    for (const page of pages) {
      const text = readFileSync(join(root, page), 'utf8');
      for (const [, body] of text.matchAll(/```[a-z]*\n([\s\S]*?)```/g)) {
        // An excerpt ("...") is not meant to be copied whole; anything else with an instance is.
        if (!/\bvrrp_instance\b/.test(body!) || /^\s*\.\.\.\s*$/m.test(body!)) continue;
        expect(fixtures, `${page}: a keepalived.conf that is not a linted fixture`).toContain(body);
      }
    }
  });

  it.each(['readme-oneshot.conf', 'readme-daemon.conf'])('%s is still what docs/keepalived.md shows', async (fixture) => {
    const body = readFileSync(F(fixture), 'utf8').split('\n').slice(1).join('\n');
    expect(doc).toContain(`\`\`\`\n${body}\`\`\``);
  });
});

describe('lint-keepalived: syntax', () => {
  it('keeps # and ! inside double quotes, drops comments elsewhere, and reads one-line blocks', async () => {
    const { nodes, problems } = parseConf(readFileSync(F('quoting.conf'), 'utf8'), 'quoting.conf');
    expect(problems).toEqual([]);
    const conf = readModel(nodes);
    // What keepalived 2.2.7 dumps (-d) for this file: Command = '/usr/bin/sh' '-c' '... # not a comment' '!' 'nor' 'this'
    expect(conf.scripts[0]!.command).toEqual(['/bin/sh', '-c', '/usr/bin/test -s /run/check-mysql/db1.json # not a comment', '!', 'nor', 'this']);
    expect(conf.scripts[0]!.interval!.args).toEqual(['1']);
    expect(conf.scripts[0]!.initFail!.line).toBe(10);
    expect(conf.instances[0]!.trackScripts).toMatchObject([{ name: 'chk_mysql', weight: 0, node: { line: 18 } }]);
    expect(conf.globalDefs.map((g) => g.children.map((c) => c.keyword))).toEqual([['enable_script_security'], ['script_user']]);
    expect((await lint([F('quoting.conf')])).code).toBe(0);
  });

  it('treats # inside single quotes as a comment, as keepalived does, and reports the cut-off quote', async () => {
    const { problems } = parseConf("vrrp_script s {\n  script '/bin/echo a # b'\n}\n", 'x.conf');
    expect(problems).toEqual([{ id: 'syntax', severity: 'error', file: 'x.conf', line: 2, message: "missing closing ' quote: keepalived drops this line" }]);
  });

  it('expands $NAME definitions and keeps @id conditional lines', async () => {
    const text = '$CHECK=/usr/bin/node /opt/check-mysql/bin/check-mysql\nvrrp_script s {\n  script "${CHECK} --timeout 2"\n  @node1 weight -10\n}\n';
    const { nodes } = parseConf(text, 'x.conf');
    const script = readModel(nodes).scripts[0]!;
    expect(script.command).toEqual(['/usr/bin/node', '/opt/check-mysql/bin/check-mysql', '--timeout', '2']);
    expect(script.weight).toMatchObject({ args: ['-10'], condition: '@node1', line: 4 });
  });

  it.each([
    ['a block never closed', 'unbalanced-missing-close.conf', "15: error: 'vrrp_instance VI_1 {' is never closed (missing '}') [unbalanced-braces]"],
    ["a '}' too many (keepalived: \"(Line 15) Extra '}' found\")", 'unbalanced-extra-close.conf', "15: error: '}' has no matching '{' [unbalanced-braces]"],
  ])('reports %s with its line, and runs no rule on a broken tree', async (_name, fixture, line) => {
    expect(await lint([F(fixture)])).toEqual({
      code: 1,
      stdout: `${F(fixture)}:${line}\n1 error, 0 warnings in 1 file; the rules did not run: fix the braces first\n`,
      stderr: '',
      lines: expect.any(Array),
    });
  });
});

describe('lint-keepalived: include', () => {
  it('resolves names relative to the including file, globs, and includes inside a block', async () => {
    const r = await lint([F('include-main.conf')]);
    expect(r.lines).toEqual([
      `${F('include-part-b.inc')}:6: error: VI_1 has nopreempt and tracks vrrp_script chk_extra with weight -10: under nopreempt a priority change never moves the VIP, so a failing check leaves it here; use weight 0 so that a failure means FAULT [weighted-check-under-nopreempt]`,
      '1 error, 0 warnings in 5 files',
    ]);
    expect(loadConf(F('include-main.conf'), disk).files).toEqual(['include-main.conf', 'include-global.inc', 'include-part-a.inc', 'include-part-b.inc', 'include-track.inc'].map(F));
  });

  it('says so when it cannot expand a wildcard (no readDir), instead of silently seeing less', async () => {
    const r = await lint([F('include-main.conf')], { readFile: disk.readFile, host: disk.host });
    expect(r.lines[0]).toBe(`${F('include-main.conf')}:3: warning: include include-part-*.inc: this run cannot expand wildcards, so the rules did not see those files [include-unresolved]`);
  });

  it('warns about an include it cannot read, which keepalived skips silently', async () => {
    expect((await lint([F('include-missing.conf')])).lines).toEqual([
      `${F('include-missing.conf')}:2: warning: include include-absent.inc: cannot read ${F('include-absent.inc')} (ENOENT); keepalived skips it without an error, so what it defines is missing [include-unreadable]`,
      '0 errors, 1 warning in 1 file',
    ]);
  });

  it('stops at a file that includes itself', async () => {
    expect((await lint([F('include-cycle.conf')])).lines[0]).toBe(`${F('include-cycle.conf')}:2: error: include include-cycle.conf: ${F('include-cycle.conf')} includes itself (directly or through other files) [include-cycle]`);
  });

  it('follows nested directories and csh-style braces, each file relative to its own directory', async () => {
    const deps = memory({
      '/etc/keepalived/keepalived.conf': 'include conf.d/*.conf\ninclude {global,missing}.inc\n',
      '/etc/keepalived/global.inc': 'global_defs {\n  enable_script_security\n  script_user keepalived_script\n}\n',
      '/etc/keepalived/conf.d/10-check.conf': 'include ../checks/mysql.inc\n',
      '/etc/keepalived/conf.d/.hidden.conf': 'this is not read',
      '/etc/keepalived/checks/mysql.inc': 'vrrp_script chk {\n  script "/usr/bin/node /opt/check-mysql/bin/check-mysql"\n  timeout 2\n  fall 2\n  init_fail\n}\n',
    });
    const r = await lint(['/etc/keepalived/keepalived.conf'], deps);
    expect(r.lines).toEqual([
      "/etc/keepalived/keepalived.conf:2: warning: include {global,missing}.inc: cannot read /etc/keepalived/missing.inc (ENOENT); keepalived skips it without an error, so what it defines is missing [include-unreadable]",
      '0 errors, 1 warning in 4 files',
    ]);
  });
});

describe('lint-keepalived: command line', () => {
  it('--help prints the usage and every rule id, and exits 0', async () => {
    const r = await lint(['--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Usage: check-mysql lint-keepalived \[--json\] \[--offline\] FILE\n/);
    for (const rule of [...RULES, ...SYNTAX_CHECKS, ...HOST_CHECKS]) expect(r.stdout).toContain(rule.id);
  });

  it('--json prints the findings as a JSON array, and the exit code still tells', async () => {
    const r = await lint(['--json', F('nopreempt-master.conf')]);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout)).toEqual([
      {
        id: 'nopreempt-needs-backup',
        severity: 'error',
        file: F('nopreempt-master.conf'),
        line: 16,
        message: 'VI_1 has nopreempt with state MASTER: keepalived clears nopreempt ("nopreempt will not work with initial state MASTER"); use state BACKUP on every node',
      },
    ]);
    expect(await lint([F('readme-daemon.conf'), '--json'])).toMatchObject({ code: 0, stdout: '[]\n' });
  });

  it.each([
    ['no FILE', [], 'check-mysql lint-keepalived: no FILE given; usage: check-mysql lint-keepalived [--json] [--offline] FILE\n'],
    ['two FILEs', ['a.conf', 'b.conf'], 'check-mysql lint-keepalived: expected one FILE, got 2: a.conf b.conf\n'],
    ['an unknown option', ['--jsno', 'a.conf'], 'check-mysql lint-keepalived: unknown option --jsno; usage: check-mysql lint-keepalived [--json] [--offline] FILE\n'],
    ['an unreadable FILE', ['/nonexistent/keepalived.conf'], 'check-mysql lint-keepalived: cannot read /nonexistent/keepalived.conf: ENOENT\n'],
    ['a directory as FILE', [DIR], `check-mysql lint-keepalived: cannot read ${DIR}: EISDIR\n`],
  ])('exits 2 with one line on stderr for %s', async (_name, argv, message) => {
    expect(await lint(argv)).toEqual({ code: 2, stdout: '', stderr: message, lines: [] });
  });

  it('takes a FILE after --, even one that looks like an option', async () => {
    const deps = memory({ '--json': 'global_defs {\n}\n' });
    expect(await lint(['--', '--json'], deps)).toMatchObject({ code: 0, stdout: 'no findings in 1 file\n' });
  });
});
