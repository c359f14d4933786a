/**
 * The host checks: what keepalived itself checks on the machine that runs the configuration, at
 * start-up, and silently answers by dropping a script, a notify, a track file or a whole file.
 * They run unless --offline (a file linted for another machine). Messages quote keepalived
 * 2.2.7's own log lines, as it printed them here for each case.
 */
import { configTestFindings } from './config-test.js';
import { error, warning, type LintFinding } from './finding.js';
import { dirOf, executableBy, insecureComponent, readableBy, realPath, securedPaths, unsearchable, ROOT, type Account, type HostProbe } from './host.js';
import type { KeepalivedConf } from './model.js';
import type { Rule } from './rules.js';
import { interpretedFile, isInterpreter, isRedirection } from './script-command.js';
import { runAs, runners, scriptUserMissing, type Runner } from './script-users.js';

export interface HostContext {
  readonly conf: KeepalivedConf;
  readonly host: HostProbe;
  /** Every configuration file read, the top one first, as named in findings. */
  readonly files: readonly string[];
  /** False when the braces do not balance: then only keepalived -t runs. */
  readonly structured: boolean;
}

const absolute = (host: HostProbe, path: string): string => (path.startsWith('/') ? path : `${host.cwd.replace(/\/$/, '')}/${path}`);

/** What keepalived does with a runner it cannot run. */
const dropped = (r: Runner): string => (r.kind === 'vrrp_script' ? 'keepalived disables the check, so the instances that track it check nothing' : 'keepalived drops the notify, so this node is never promoted or demoted');

/** What happens when every run of it fails. */
const failing = (r: Runner): string => (r.kind === 'vrrp_script' ? 'every run fails, so the instances that track it stay in FAULT' : 'every run fails, so this node is never promoted or demoted');

const FIX_OWNER = 'make it and every directory above it owned by root and writable only by root';

/**
 * keepalived protects a script only when it runs as root (uid or gid 0) or is set-uid/gid root
 * (check_script_secure() need_script_protection); only then does enable_script_security refuse it.
 */
const protectedRun = (who: Account, mode: number, owner: Account): boolean =>
  who.uid === 0 || who.gid === 0 || (owner.uid === 0 && (mode & 0o4100) === 0o4100) || (owner.gid === 0 && (mode & 0o2010) === 0o2010);

/** The program keepalived execs: found, reachable, a regular file, executable, secure. */
function programChecks(ctx: HostContext, r: Runner, who: Account): LintFinding[] {
  const { host, conf } = ctx;
  const argv0 = r.command[0]!;
  const real = realPath(host, argv0);
  if (real === undefined) return [error('script-missing', r.at, `${r.what} runs ${argv0}, which does not exist on this host ("Script ${argv0} cannot be accessed - No such file or directory"): ${dropped(r)}`)];
  const blocked = unsearchable(host, real, who);
  if (blocked) return [error('script-missing', r.at, `${r.what} runs ${argv0}, but uid ${who.uid} cannot search ${blocked} ("cannot be accessed - Permission denied"): ${dropped(r)}`)];
  const st = host.lstat(real)!;
  if (st.type !== 'file') return [error('script-not-executable', r.at, `${r.what} runs ${argv0}, which is not a regular file: ${dropped(r)}`)];
  if (!executableBy(st, who)) {
    return [error('script-not-executable', r.at, `${r.what}: ${argv0} is not executable for uid:gid ${who.uid}:${who.gid} ("WARNING - script '${argv0}' is not executable for uid:gid ${who.uid}:${who.gid} - disabling."): ${dropped(r)}`)];
  }
  const out: LintFinding[] = [];
  const unsafe = securedPaths(host, argv0, real).map((p) => insecureComponent(host, p)).find((why) => why !== undefined);
  if (unsafe) {
    out.push(
      conf.scriptSecurity && protectedRun(who, st.mode, st)
        ? error('script-insecure', r.at, `${r.what}: ${unsafe}, so enable_script_security refuses ${argv0} ("Unsafe permissions found for script '${argv0}' - disabling."): ${dropped(r)}; ${FIX_OWNER}`)
        : warning('script-insecure', r.at, `${r.what}: ${unsafe}, so whoever can write there can replace ${argv0} with one that always passes, and keepalived runs it as uid ${who.uid}; ${FIX_OWNER}`),
    );
  }
  if (!isInterpreter(argv0)) out.push(...shebangChecks(ctx, r, who, real));
  return out;
}

/**
 * A script run directly is exec'd through its #! line: if that interpreter is missing, the exec
 * fails and keepalived counts it as success (core/notify.c "Script errors aren't server errors").
 */
function shebangChecks(ctx: HostContext, r: Runner, who: Account, real: string): LintFinding[] {
  const line = ctx.host.firstLine(real);
  const interpreter = line?.startsWith('#!') ? line.slice(2).trim().split(/\s+/)[0] : undefined;
  if (!interpreter?.startsWith('/')) return [];
  const resolved = realPath(ctx.host, interpreter);
  const st = resolved === undefined ? undefined : ctx.host.lstat(resolved);
  const argv0 = r.command[0]!;
  const passing = r.kind === 'vrrp_script' ? 'so the check always passes' : 'so this node is never promoted or demoted';
  if (!st || st.type !== 'file' || !executableBy(st, who)) {
    return [error('script-not-executable', r.at, `${r.what}: ${argv0} starts with #!${interpreter}, which ${st ? `uid ${who.uid} cannot execute` : 'does not exist on this host'}: the exec fails and keepalived counts that as success, ${passing}`)];
  }
  const unsafe = insecureComponent(ctx.host, resolved!);
  return unsafe ? [warning('script-insecure', r.at, `${r.what}: ${argv0}'s interpreter: ${unsafe}, so whoever can write there can make it always pass; ${FIX_OWNER}`)] : [];
}

/** The file an interpreter runs (`/usr/bin/node /opt/check-mysql/bin/check-mysql`): there, readable, secure. */
function interpretedChecks(ctx: HostContext, r: Runner, who: Account): LintFinding[] {
  const file = interpretedFile(r.command);
  if (file === undefined || !file.startsWith('/')) return [];
  const real = realPath(ctx.host, file);
  const argv0 = r.command[0]!;
  if (real === undefined) return [error('script-missing', r.at, `${r.what}: ${argv0} is given ${file}, which does not exist on this host: ${failing(r)}`)];
  const blocked = unsearchable(ctx.host, real, who);
  const st = ctx.host.lstat(real)!;
  if (blocked || st.type !== 'file' || !readableBy(st, who)) {
    const why = blocked ? `uid ${who.uid} cannot search ${blocked}` : st.type !== 'file' ? 'it is not a regular file' : `uid:gid ${who.uid}:${who.gid} cannot read it`;
    return [error('script-not-executable', r.at, `${r.what}: ${argv0} is given ${file}, but ${why}: ${failing(r)}`)];
  }
  const unsafe = securedPaths(ctx.host, file, real).map((p) => insecureComponent(ctx.host, p)).find((why) => why !== undefined);
  return unsafe ? [warning('script-insecure', r.at, `${r.what}: ${unsafe}, so whoever can write there can replace ${file} with one that always passes; ${FIX_OWNER}`)] : [];
}

function scriptPaths(ctx: HostContext): LintFinding[] {
  return runners(ctx.conf).flatMap((r) => {
    const argv0 = r.command[0]!;
    if (!argv0.startsWith('/') || isRedirection(argv0)) return []; // relative-script-path says so offline
    // Without its user the runner is removed (script-user-missing); its files are still checked as root.
    const who = runAs(ctx.conf, ctx.host, r) ?? ROOT;
    return [...programChecks(ctx, r, who), ...interpretedChecks(ctx, r, who)];
  });
}

/** trackers/track_file.c: a track file whose directory is missing is removed at start-up. */
function trackFileDirMissing(ctx: HostContext): LintFinding[] {
  return ctx.conf.trackFiles.flatMap((tf) => {
    const path = tf.file?.args[0];
    if (!tf.file || path === undefined || !path.startsWith('/')) return [];
    const dir = realPath(ctx.host, dirOf(path));
    if (dir !== undefined && ctx.host.lstat(dir)?.type === 'dir') return [];
    return [
      error(
        'track-file-dir-missing',
        tf.file,
        `track_file ${tf.name}: ${dirOf(path)} does not exist on this host: keepalived removes the track file ("Track file directory for ${tf.name} does not exist - removing") and the instances that track it check nothing; create it before keepalived starts (check-mysql's unit makes it with RuntimeDirectory=)`,
      ),
    ];
  });
}

/** lib/parser.c read_conf_file(): "is not a regular non-executable file - skipping", even for the top file (keepalived -t still exits 0). */
function configFileExecutable(ctx: HostContext): LintFinding[] {
  return [...new Set(ctx.files)].flatMap((file) => {
    const real = realPath(ctx.host, absolute(ctx.host, file));
    const st = real === undefined ? undefined : ctx.host.lstat(real);
    if (!st || (st.mode & 0o111) === 0) return [];
    return [error('config-file-executable', { file, line: 0 }, `${file} has an execute bit: keepalived skips such a file ("Configuration file '${file}' is not a regular non-executable file - skipping"), so nothing in it is configured; chmod a-x ${file}`)];
  });
}

function configTest(ctx: HostContext): LintFinding[] {
  const top = ctx.files[0]!;
  const run = ctx.host.configTest(top);
  return run ? configTestFindings(top, ctx.files, run) : [];
}

/** What --help lists; one check may report several of these ids. */
export const HOST_CHECKS: readonly Omit<Rule, 'check'>[] = [
  { id: 'script-user-missing', summary: "script_user, keepalived_script or a script's own user missing: keepalived removes the scripts and notify lines" },
  { id: 'script-missing', summary: 'a script, notify or the file given to its interpreter does not exist or cannot be reached' },
  { id: 'script-not-executable', summary: 'not executable (or its #! interpreter missing) for the user it runs as' },
  { id: 'script-insecure', summary: 'it or a directory above it writable by non-root: enable_script_security refuses it' },
  { id: 'track-file-dir-missing', summary: "a track_file's directory does not exist: keepalived removes the track file" },
  { id: 'config-file-executable', summary: 'a configuration file with an execute bit: keepalived skips it' },
  { id: 'keepalived-config-test', summary: "keepalived -t -f FILE's exit status and what it says it removed or ignored (when installed)" },
];

/** In the order their findings are listed for one line. */
const CHECKS: readonly ((ctx: HostContext) => readonly LintFinding[])[] = [({ conf, host }) => scriptUserMissing(conf, host), scriptPaths, trackFileDirMissing, configFileExecutable, configTest];

export const runHostRules = (ctx: HostContext): LintFinding[] => (ctx.structured ? CHECKS : [configTest]).flatMap((check) => check(ctx));
