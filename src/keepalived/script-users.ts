/**
 * Who keepalived runs each vrrp_script and notify as, on this host, and the rule for when it
 * cannot tell. From keepalived 2.2.x lib/notify.c set_uid_gid(), set_default_script_user() and
 * notify_script_init(), and vrrp/vrrp_parser.c vrrp_vscript_end_handler():
 * - a script's own `user USER [GROUP]` (a notify's words after the command) must exist, else the
 *   script is removed ("Unable to set uid/gid for script") or the notify ignored ("Invalid
 *   user/group for notify script ... - ignoring");
 * - otherwise the default: global_defs script_user, which must exist ("Error setting global
 *   script uid/gid"), else keepalived_script if that user exists, else root, except that with
 *   enable_script_security a missing keepalived_script is a failure too;
 * - when the default fails, every script and notify that needs it is removed ("Unable to set
 *   default user for vrrp script chk_mysql - removing") and the instances that track it run
 *   unguarded ("track script chk_mysql not found, ignoring"), as keepalived 2.2.7 does here.
 */
import { error, type Located, type LintFinding } from './finding.js';
import { ROOT, type Account, type HostProbe } from './host.js';
import { syncGroupOf, type KeepalivedConf } from './model.js';
import type { ConfNode } from './parse.js';

/** A vrrp_script or a notify line: something keepalived runs, with the user it names, if any. */
export interface Runner {
  readonly kind: 'vrrp_script' | 'notify';
  /** For messages: `vrrp_script chk_mysql`, `VI_1: notify`. */
  readonly what: string;
  /** The vrrp_script's name, for which instances track it. */
  readonly script?: string;
  readonly at: ConfNode;
  readonly command: readonly string[];
  readonly user?: { readonly name: string; readonly group?: string; readonly at: ConfNode };
}

export function runners(conf: KeepalivedConf): Runner[] {
  const scripts = conf.scripts.flatMap((s): Runner[] => {
    if (!s.script || s.command.length === 0) return [];
    const [name, group] = s.user?.args ?? [];
    return [{ kind: 'vrrp_script', what: `vrrp_script ${s.name}`, script: s.name, at: s.script, command: s.command, ...(s.user && name !== undefined && { user: { name, ...(group !== undefined && { group }), at: s.user } }) }];
  });
  const notifies = [...conf.instances, ...conf.syncGroups].flatMap((owner) =>
    owner.notifies
      .filter((n) => n.command.length > 0)
      .map((n): Runner => ({ kind: 'notify', what: `${owner.name}: ${n.keyword}`, at: n.node, command: n.command, ...(n.user !== undefined && { user: { name: n.user, ...(n.group !== undefined && { group: n.group }), at: n.node } }) })),
  );
  return [...scripts, ...notifies];
}

function lookUp(host: HostProbe, name: string, group: string | undefined): Account | string {
  const account = host.user(name);
  if (!account) return `user ${name}`;
  if (group === undefined) return account;
  const gid = host.group(group);
  return gid === undefined ? `group ${group}` : { uid: account.uid, gid };
}

type DefaultUser = { readonly account: Account; readonly name: string } | { readonly missing: string; readonly at: Located; readonly create: string };

const useradd = (name: string) => `useradd --system --no-create-home --shell /usr/sbin/nologin ${name}`;

function defaultUser(conf: KeepalivedConf, host: HostProbe): DefaultUser {
  if (conf.scriptUser) {
    const [name, group] = conf.scriptUser.args;
    const found = name === undefined ? 'a user' : lookUp(host, name, group);
    if (typeof found === 'string') return { missing: `script_user names ${found}, which does not exist on this host`, at: conf.scriptUser, create: `create it (${useradd(name ?? 'NAME')}) or name one that exists` };
    return { account: found, name: name! };
  }
  const fallback = host.user('keepalived_script');
  if (fallback) return { account: fallback, name: 'keepalived_script' };
  if (conf.scriptSecurity) {
    return {
      missing: "there is no script_user, and keepalived's default user keepalived_script does not exist on this host, which enable_script_security refuses",
      at: conf.globalDefs[0] ?? conf.scripts[0]!.node,
      create: `create it (${useradd('keepalived_script')}) or set script_user`,
    };
  }
  return { account: ROOT, name: 'root' };
}

/** Who each runner runs as; undefined where keepalived removes it for want of a user. */
export function runAs(conf: KeepalivedConf, host: HostProbe, runner: Runner): Account | undefined {
  if (runner.user) {
    const found = lookUp(host, runner.user.name, runner.user.group);
    return typeof found === 'string' ? undefined : found;
  }
  const fallback = defaultUser(conf, host);
  return 'account' in fallback ? fallback.account : undefined;
}

/** The instances and sync groups that track one of these scripts, for "... run unguarded". */
function trackers(conf: KeepalivedConf, scripts: ReadonlySet<string>): string[] {
  const tracks = (refs: readonly { name: string }[]) => refs.some((r) => scripts.has(r.name));
  return conf.instances.filter((i) => tracks(i.trackScripts) || tracks(syncGroupOf(conf, i)?.trackScripts ?? [])).map((i) => i.name);
}

function unguarded(conf: KeepalivedConf, scripts: readonly Runner[], notifies: number): string {
  const names = trackers(conf, new Set(scripts.map((r) => r.script!)));
  const parts = [
    ...(scripts.length === 0 ? [] : [names.length === 0 ? `${scripts.length === 1 ? 'it never runs' : 'they never run'}` : `${names.join(', ')} run${names.length === 1 ? 's' : ''} unguarded`]),
    ...(notifies === 0 ? [] : ['no notify runs, so no node is promoted or demoted']),
  ];
  return parts.join(', and ');
}

export function scriptUserMissing(conf: KeepalivedConf, host: HostProbe): LintFinding[] {
  const all = runners(conf);
  const out: LintFinding[] = [];
  const fallback = defaultUser(conf, host);
  const needing = all.filter((r) => !r.user);
  if ('missing' in fallback && needing.length > 0) {
    const scripts = needing.filter((r) => r.kind === 'vrrp_script');
    const quote = scripts[0] ? ` ("Unable to set default user for vrrp script ${scripts[0].script} - removing")` : '';
    out.push(
      error(
        'script-user-missing',
        fallback.at,
        `${fallback.missing}: keepalived removes every vrrp_script and notify without a user of its own${quote}, so ${unguarded(conf, scripts, needing.length - scripts.length)}; ${fallback.create}`,
      ),
    );
  }
  for (const r of all) {
    if (!r.user) continue;
    const found = lookUp(host, r.user.name, r.user.group);
    if (typeof found !== 'string') continue;
    const removed = r.kind === 'vrrp_script' ? `keepalived removes the script ("Unable to set uid/gid for script"), so ${unguarded(conf, [r], 0)}` : 'keepalived ignores the notify ("Invalid user/group for notify script ... - ignoring"), so this node is never promoted or demoted';
    out.push(error('script-user-missing', r.user.at, `${r.what} runs as ${found}, which does not exist on this host: ${removed}; ${useradd(r.user.name)}, or name one that exists`));
  }
  return out;
}
