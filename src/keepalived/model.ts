/**
 * The parts of a keepalived configuration the rules look at, read from the parsed tree: the
 * vrrp_scripts, track_files, vrrp_instances, vrrp_sync_groups and global_defs. Keywords and
 * defaults as keepalived 2.2.7 documents and applies them (man keepalived.conf(5); checked
 * against `keepalived -d` dumps of 2.2.7 on Debian):
 * - vrrp_script: interval (default 1 s), timeout (default: the interval, vrrp_scheduler.c
 *   `vscript->timeout ? vscript->timeout : vscript->interval`), weight (default 0), rise and
 *   fall (default 1), user, init_fail.
 * - track_file (vrrp_track_file is its deprecated name): file, weight (default 1, not 0: the
 *   dump shows "Weight = 1"), init_file [VALUE] [overwrite] (VALUE defaults to 0).
 * - vrrp_instance: state, nopreempt (preempt turns it back off), track_script and track_file
 *   blocks of `NAME [weight N [reverse]]`, where a weight overrides the definition's.
 * - vrrp_sync_group: group { NAMES }, sync_group_tracking_weight.
 * - notify, notify_master, notify_backup, notify_fault, notify_stop (and, in an instance,
 *   notify_deleted and notify_master_rx_lower_pri): `"COMMAND" [USER [GROUP]]`; keepalived
 *   re-splits the line, so an unquoted second word is taken as the user (lib/notify.c
 *   notify_script_init()).
 * - global_defs: script_user USER [GROUP], enable_script_security.
 * Where a keyword is given twice in a block, the last one counts, as in keepalived's handlers.
 */
import { splitWords, type ConfNode } from './parse.js';

export interface VrrpScript {
  readonly name: string;
  readonly node: ConfNode;
  readonly script?: ConfNode;
  /** The argv keepalived runs: the first word of the `script` line, split again (notify.c set_script_params_array()). */
  readonly command: readonly string[];
  readonly interval?: ConfNode;
  readonly timeout?: ConfNode;
  readonly fall?: ConfNode;
  readonly weight?: ConfNode;
  readonly initFail?: ConfNode;
  readonly user?: ConfNode;
}

export interface TrackFile {
  readonly name: string;
  readonly node: ConfNode;
  /** The `file PATH` line. */
  readonly file?: ConfNode;
  readonly weight?: ConfNode;
  readonly initFile?: ConfNode;
}

/** `NAME [weight N [reverse]]` inside a track_script or track_file block. */
export interface TrackRef {
  readonly name: string;
  readonly node: ConfNode;
  readonly weight?: number;
}

/** One notify line of an instance or sync group. */
export interface NotifyLine {
  /** notify, notify_master, ...: which transitions run it. */
  readonly keyword: string;
  readonly node: ConfNode;
  /** The argv keepalived runs (before the four arguments a generic notify gets). */
  readonly command: readonly string[];
  /** `USER [GROUP]` after the command: it runs as them instead of the default script user. */
  readonly user?: string;
  readonly group?: string;
}

export interface VrrpInstance {
  readonly name: string;
  readonly node: ConfNode;
  readonly notifies: readonly NotifyLine[];
  readonly state?: ConfNode;
  /** The nopreempt line, unless a later `preempt` turned it off. */
  readonly nopreempt?: ConfNode;
  readonly trackScripts: readonly TrackRef[];
  readonly trackFiles: readonly TrackRef[];
}

export interface SyncGroup {
  readonly name: string;
  readonly node: ConfNode;
  readonly notifies: readonly NotifyLine[];
  readonly members: readonly string[];
  readonly trackingWeight: boolean;
  readonly trackScripts: readonly TrackRef[];
  readonly trackFiles: readonly TrackRef[];
}

export interface KeepalivedConf {
  readonly globalDefs: readonly ConfNode[];
  /** The last `script_user USER [GROUP]` of any global_defs. */
  readonly scriptUser?: ConfNode;
  readonly scriptSecurity: boolean;
  readonly scripts: readonly VrrpScript[];
  readonly trackFiles: readonly TrackFile[];
  readonly instances: readonly VrrpInstance[];
  readonly syncGroups: readonly SyncGroup[];
}

function last(node: ConfNode, ...keywords: string[]): ConfNode | undefined {
  for (let i = node.children.length - 1; i >= 0; i--) if (keywords.includes(node.children[i]!.keyword)) return node.children[i];
  return undefined;
}
const nameOf = (node: ConfNode): string => node.args[0] ?? '';

function trackRefs(node: ConfNode, keyword: string): TrackRef[] {
  return node.children
    .filter((c) => c.keyword === keyword)
    .flatMap((block) => block.children)
    .map((ref) => {
      const weight = ref.args[0] === 'weight' && ref.args[1] !== undefined ? leadingInt(ref.args[1]) : undefined;
      return { name: ref.keyword, node: ref, ...(weight !== undefined && { weight }) };
    });
}

const NOTIFY_KEYWORDS = ['notify', 'notify_master', 'notify_backup', 'notify_fault', 'notify_stop', 'notify_deleted', 'notify_master_rx_lower_pri'];

function notifyLines(node: ConfNode): NotifyLine[] {
  return node.children
    .filter((c) => NOTIFY_KEYWORDS.includes(c.keyword) && c.args[0] !== undefined)
    .map((c) => ({ keyword: c.keyword, node: c, command: splitWords(c.args[0]!).words, ...withDefined({ user: c.args[1], group: c.args[2] }) }));
}

function vrrpScript(node: ConfNode): VrrpScript {
  const script = last(node, 'script');
  return {
    name: nameOf(node),
    node,
    command: script?.args[0] !== undefined ? splitWords(script.args[0]).words : [],
    ...withDefined({
      script,
      interval: last(node, 'interval'),
      timeout: last(node, 'timeout'),
      fall: last(node, 'fall'),
      weight: last(node, 'weight'),
      initFail: last(node, 'init_fail'),
      user: last(node, 'user'),
    }),
  };
}

function vrrpInstance(node: ConfNode): VrrpInstance {
  const preemption = last(node, 'nopreempt', 'preempt');
  return {
    name: nameOf(node),
    node,
    notifies: notifyLines(node),
    ...withDefined({ state: last(node, 'state'), nopreempt: preemption?.keyword === 'nopreempt' ? preemption : undefined }),
    trackScripts: trackRefs(node, 'track_script'),
    trackFiles: trackRefs(node, 'track_file'),
  };
}

function syncGroup(node: ConfNode): SyncGroup {
  const group = last(node, 'group');
  return {
    name: nameOf(node),
    node,
    notifies: notifyLines(node),
    members: group ? group.children.flatMap((c) => [c.keyword, ...c.args]) : [],
    trackingWeight: last(node, 'sync_group_tracking_weight') !== undefined,
    trackScripts: trackRefs(node, 'track_script'),
    trackFiles: trackRefs(node, 'track_file'),
  };
}

export function readModel(nodes: readonly ConfNode[]): KeepalivedConf {
  const blocks = (...keywords: string[]) => nodes.filter((n) => n.block && keywords.includes(n.keyword));
  const globalDefs = blocks('global_defs');
  const scriptUser = globalDefs.map((g) => last(g, 'script_user')).filter((n) => n !== undefined).at(-1);
  return {
    globalDefs,
    ...withDefined({ scriptUser }),
    scriptSecurity: globalDefs.some((g) => last(g, 'enable_script_security') !== undefined),
    scripts: blocks('vrrp_script').map(vrrpScript),
    trackFiles: blocks('track_file', 'vrrp_track_file').map((node) => ({
      name: nameOf(node),
      node,
      ...withDefined({ file: last(node, 'file'), weight: last(node, 'weight'), initFile: last(node, 'init_file') }),
    })),
    instances: blocks('vrrp_instance').map(vrrpInstance),
    syncGroups: blocks('vrrp_sync_group').map(syncGroup),
  };
}

/** keepalived looks a tracked name up in definition order and takes the first (vrrp_track.c find_script_by_name()). */
export const findScript = (conf: KeepalivedConf, name: string): VrrpScript | undefined => conf.scripts.find((s) => s.name === name);
export const findTrackFile = (conf: KeepalivedConf, name: string): TrackFile | undefined => conf.trackFiles.find((f) => f.name === name);

/** The sync group whose `group` lists the instance, if any. */
export const syncGroupOf = (conf: KeepalivedConf, instance: VrrpInstance): SyncGroup | undefined => conf.syncGroups.find((g) => g.members.includes(instance.name));

/** atoi()-like: the leading integer, as keepalived reads weights. */
export function leadingInt(text: string): number | undefined {
  const m = /^\s*([-+]?\d+)/.exec(text);
  return m ? Number(m[1]) : undefined;
}

/**
 * A vrrp_script interval or timeout as keepalived 2.2.7 applies it: whole seconds, a fraction
 * cut off ("1.5" runs as 1, with a warning; `keepalived -t` rejects it), and at least 1
 * ("must be greater than 0, setting to 1"). Verified with keepalived 2.2.7 `-d` dumps.
 */
export function wholeSeconds(node: ConfNode | undefined): number | undefined {
  if (node?.args[0] === undefined) return undefined;
  return Math.max(1, leadingInt(node.args[0]) ?? 0);
}

export interface ScriptTimers {
  readonly interval: number;
  readonly timeout: number;
  readonly fall: number;
}

export function scriptTimers(script: VrrpScript): ScriptTimers {
  const interval = wholeSeconds(script.interval) ?? 1;
  const fall = Math.max(1, (script.fall?.args[0] !== undefined ? leadingInt(script.fall.args[0]) : undefined) ?? 1);
  return { interval, timeout: wholeSeconds(script.timeout) ?? interval, fall };
}

/** The weight a reference runs with: its own `weight N`, else the definition's, else the default. */
export function effectiveWeight(ref: TrackRef, definition: { weight?: ConfNode } | undefined, fallback: number): { weight: number; from: ConfNode | undefined } {
  if (ref.weight !== undefined) return { weight: ref.weight, from: ref.node };
  const set = definition?.weight?.args[0];
  if (set !== undefined) return { weight: leadingInt(set) ?? 0, from: definition!.weight };
  return { weight: fallback, from: undefined };
}

function withDefined<T extends Record<string, unknown>>(fields: T): { [K in keyof T]?: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined)) as { [K in keyof T]?: Exclude<T[K], undefined> };
}
