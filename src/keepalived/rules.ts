/**
 * The lint rules: each one a small function from the configuration to findings, in one table
 * with its id and a one-line summary (printed by --help). They aim at the settings that make a
 * MySQL failover with keepalived fail open (the VIP stays on a dead writer) or slow.
 *
 * Sources, beside FIELD-NOTES.md: man keepalived.conf(5) of 2.2.7; keepalived issues #2599,
 * #2483 and #2379 (a weighted check under nopreempt never moves the VIP); and keepalived 2.2.7
 * run here in a network namespace, whose log lines are quoted in the messages.
 */
import { error, warning, type LintFinding } from './finding.js';
import type { ConfNode } from './parse.js';
import {
  effectiveWeight,
  findScript,
  findTrackFile,
  leadingInt,
  scriptTimers,
  syncGroupOf,
  type KeepalivedConf,
  type TrackRef,
  type VrrpInstance,
  type VrrpScript,
} from './model.js';
import { notifyMissing, notifyWithoutVip } from './notify-rules.js';
import { checkMysqlRun, NODE_STARTUP_MARGIN_S } from './script-command.js';
import { relativeScriptPath, scriptArgsNotQuoted, scriptNotViaSh } from './script-rules.js';

export interface Rule {
  readonly id: string;
  readonly summary: string;
  readonly check: (conf: KeepalivedConf) => readonly LintFinding[];
}

/** Longest worst-case detection time, in seconds, before detection-budget warns. */
export const DETECTION_BUDGET_S = 10;

// ---- which instances track what ----------------------------------------------------------

/** A sync group member's tracking weights are zeroed unless the group sets sync_group_tracking_weight (man keepalived.conf(5)). */
const weightsIgnored = (conf: KeepalivedConf, instance: VrrpInstance): string | undefined => {
  const group = syncGroupOf(conf, instance);
  return group && !group.trackingWeight ? group.name : undefined;
};

/** nopreempt only works from state BACKUP: keepalived clears it for state MASTER. */
const nopreemptActive = (instance: VrrpInstance): boolean => instance.nopreempt !== undefined && instance.state?.args[0] !== 'MASTER';

const trackedScriptNames = (conf: KeepalivedConf): Set<string> =>
  new Set([...conf.instances, ...conf.syncGroups].flatMap((owner) => owner.trackScripts.map((ref) => ref.name)));

// ---- the rules -----------------------------------------------------------------------------

function weightedCheckUnderNopreempt(conf: KeepalivedConf): LintFinding[] {
  const out: LintFinding[] = [];
  for (const instance of conf.instances) {
    if (!nopreemptActive(instance) || weightsIgnored(conf, instance)) continue;
    const weighted = (ref: TrackRef, kind: string, definition: { weight?: ConfNode } | undefined, fallback: number) => {
      const { weight, from } = effectiveWeight(ref, definition, fallback);
      if (weight === 0) return;
      const origin = from === undefined ? ` (the ${kind} default)` : '';
      out.push(
        error(
          'weighted-check-under-nopreempt',
          from ?? ref.node,
          `${instance.name} has nopreempt and tracks ${kind} ${ref.name} with weight ${weight}${origin}: under nopreempt a priority change never moves the VIP, so a failing check leaves it here; use weight 0 so that a failure means FAULT`,
        ),
      );
    };
    for (const ref of instance.trackScripts) {
      const script = findScript(conf, ref.name);
      if (script) weighted(ref, 'vrrp_script', script, 0);
    }
    for (const ref of instance.trackFiles) {
      const file = findTrackFile(conf, ref.name);
      if (file) weighted(ref, 'track_file', file, 1);
    }
  }
  return out;
}

function weightedCheckInSyncGroup(conf: KeepalivedConf): LintFinding[] {
  return conf.instances.flatMap((instance) => {
    const group = weightsIgnored(conf, instance);
    if (group === undefined) return [];
    return instance.trackScripts.flatMap((ref) => {
      const script = findScript(conf, ref.name);
      const { weight, from } = effectiveWeight(ref, script, 0);
      if (weight === 0 || !script) return [];
      return [
        error(
          'weighted-check-in-sync-group',
          from ?? ref.node,
          `${instance.name} is in vrrp_sync_group ${group} and tracks vrrp_script ${ref.name} with weight ${weight}: keepalived drops it ("ignoring tracked script ${ref.name} with weights due to SYNC group"), so nothing is checked; use weight 0`,
        ),
      ];
    });
  });
}

function nopreemptNeedsBackup(conf: KeepalivedConf): LintFinding[] {
  return conf.instances.flatMap((instance) =>
    instance.nopreempt && instance.state?.args[0] === 'MASTER'
      ? [error('nopreempt-needs-backup', instance.state, `${instance.name} has nopreempt with state MASTER: keepalived clears nopreempt ("nopreempt will not work with initial state MASTER"); use state BACKUP on every node`)]
      : [],
  );
}

function unknownTrackedName(conf: KeepalivedConf): LintFinding[] {
  const owners = [...conf.instances.map((i) => ({ name: i.name, refs: i })), ...conf.syncGroups.map((g) => ({ name: `vrrp_sync_group ${g.name}`, refs: g }))];
  return owners.flatMap(({ name, refs }) => [
    ...refs.trackScripts
      .filter((ref) => !findScript(conf, ref.name))
      .map((ref) => error('unknown-tracked-name', ref.node, `${name} tracks vrrp_script ${ref.name}, which is not defined: keepalived ignores it ("track script ${ref.name} not found, ignoring...") and checks nothing in its place`)),
    ...refs.trackFiles
      .filter((ref) => !findTrackFile(conf, ref.name))
      .map((ref) => error('unknown-tracked-name', ref.node, `${name} tracks track_file ${ref.name}, which is not defined: keepalived ignores it ("track file ${ref.name} not found, ignoring...") and checks nothing in its place`)),
  ]);
}

function missingInitFail(conf: KeepalivedConf): LintFinding[] {
  return conf.scripts
    .filter((s) => !s.initFail)
    .map((s) => warning('missing-init-fail', s.node, `vrrp_script ${s.name} has no init_fail: until its first result keepalived does not count it as failed; add init_fail so the instance starts in FAULT until the check passes`));
}

function trackFileWithoutInitFile(conf: KeepalivedConf): LintFinding[] {
  return conf.trackFiles.flatMap((file) => {
    const init = file.initFile;
    if (!init) {
      return [error('track-file-without-init-file', file.node, `track_file ${file.name} has no init_file: keepalived reads a missing, empty or non-numeric file as 0 (healthy) until its writer runs; add init_file 1 overwrite`)];
    }
    const value = init.args.map((a) => leadingInt(a)).find((n) => n !== undefined) ?? 0;
    if (value === 0) {
      return [error('track-file-without-init-file', init, `track_file ${file.name}: init_file without a non-zero value writes 0 (healthy) when keepalived starts; use init_file 1 overwrite`)];
    }
    if (!init.args.includes('overwrite')) {
      return [warning('track-file-without-init-file', init, `track_file ${file.name}: init_file ${value} without overwrite keeps an existing file, so a 0 left from before reads as healthy; use init_file ${value} overwrite`)];
    }
    return [];
  });
}

function timeoutNotAboveDeadline(conf: KeepalivedConf): LintFinding[] {
  return conf.scripts.flatMap((s) => {
    const run = checkMysqlRun(s.command);
    if (!run) return [];
    const { timeout } = scriptTimers(s);
    const needed = run.timeoutS + NODE_STARTUP_MARGIN_S;
    // compared in milliseconds: 0.8 + 0.3 is not 1.1 in floating point
    if (timeout * 1000 >= Math.round(needed * 1000)) return [];
    const source = s.timeout ? `timeout ${s.timeout.args[0]}` : s.interval ? `no timeout: the interval, ${s.interval.args[0]}` : 'no timeout or interval: both default to 1 s';
    const deadline = `${run.explicit ? '' : 'default '}--timeout ${run.timeoutS}`;
    return [
      error(
        'timeout-not-above-deadline',
        s.timeout ?? s.node,
        `vrrp_script ${s.name}: keepalived kills the check after ${timeout} s (${source}), before check-mysql's ${deadline} s plus ${NODE_STARTUP_MARGIN_S} s for Node's start-up, and the reason is lost; set timeout ${Math.ceil(needed)}`,
      ),
    ];
  });
}

function nonIntegerSeconds(conf: KeepalivedConf): LintFinding[] {
  return conf.scripts.flatMap((s) =>
    [s.interval, s.timeout].flatMap((node) => {
      const raw = node?.args[0];
      if (!node || raw === undefined || /^\d+$/.test(raw)) return [];
      return [warning('non-integer-seconds', node, `vrrp_script ${s.name}: keepalived 2.2.7 reads ${node.keyword} in whole seconds of at least 1, so '${raw}' runs as ${Math.max(1, leadingInt(raw) ?? 0)} (and keepalived -t rejects it)`)];
    }),
  );
}

function detectionBudget(conf: KeepalivedConf): LintFinding[] {
  const tracked = trackedScriptNames(conf);
  return conf.scripts
    .filter((s) => tracked.has(s.name))
    .flatMap((s) => {
      const { interval, timeout, fall } = scriptTimers(s);
      const worst = interval * fall + timeout;
      const formula = `interval × fall + timeout = ${interval} × ${fall} + ${timeout}`;
      if (interval >= 10) {
        return [warning('detection-budget', s.interval ?? s.node, `vrrp_script ${s.name}: interval ${interval} leaves a dead database unnoticed for up to ${worst} s (${formula}); use interval 1 or 2`)];
      }
      if (worst > DETECTION_BUDGET_S) {
        return [warning('detection-budget', s.node, `vrrp_script ${s.name}: a failure is noticed only after up to ${worst} s (${formula}); keep it within ${DETECTION_BUDGET_S} s with a smaller fall or interval`)];
      }
      return [];
    });
}

function missingScriptSecurity(conf: KeepalivedConf): LintFinding[] {
  const first = conf.scripts[0];
  if (!first) return [];
  const at = conf.globalDefs[0] ?? first.node;
  const has = (keyword: string) => conf.globalDefs.some((g) => g.children.some((c) => c.keyword === keyword));
  const out: LintFinding[] = [];
  if (!has('enable_script_security')) {
    out.push(warning('missing-script-security', at, 'global_defs has no enable_script_security: keepalived runs a root script even when a non-root user can replace it ("SECURITY VIOLATION - scripts are being executed but script_security not enabled"); add enable_script_security'));
  }
  if (!has('script_user') && conf.scripts.some((s: VrrpScript) => !s.user)) {
    out.push(
      warning(
        'missing-script-security',
        at,
        'global_defs has no script_user: keepalived runs scripts as keepalived_script if that user exists, else as root, and with enable_script_security but no such user it removes every vrrp_script, so the instance tracks nothing; set script_user',
      ),
    );
  }
  return out;
}

/** In the order their findings are listed for one line. */
export const RULES: readonly Rule[] = [
  { id: 'weighted-check-under-nopreempt', summary: 'nopreempt instance tracking a check with a non-zero weight: a failure never moves the VIP', check: weightedCheckUnderNopreempt },
  { id: 'weighted-check-in-sync-group', summary: 'sync group member tracking a weighted vrrp_script: keepalived drops the script', check: weightedCheckInSyncGroup },
  { id: 'nopreempt-needs-backup', summary: 'nopreempt with state MASTER: keepalived ignores nopreempt', check: nopreemptNeedsBackup },
  { id: 'unknown-tracked-name', summary: 'track_script / track_file names something not defined: a typo tracks nothing', check: unknownTrackedName },
  { id: 'missing-init-fail', summary: 'vrrp_script without init_fail: not failed until its first result', check: missingInitFail },
  { id: 'track-file-without-init-file', summary: 'track_file without init_file 1 overwrite: a missing file reads as 0 (healthy)', check: trackFileWithoutInitFile },
  { id: 'script-args-not-quoted', summary: 'script with unquoted arguments: keepalived runs only the first word', check: scriptArgsNotQuoted },
  { id: 'relative-script-path', summary: 'script or notify (or the file given to its interpreter) not named by an absolute path: not found means disabled', check: relativeScriptPath },
  { id: 'script-not-via-sh', summary: 'script file run directly, not through /bin/sh or its interpreter: deleted at runtime it passes', check: scriptNotViaSh },
  { id: 'timeout-not-above-deadline', summary: "vrrp_script timeout below check-mysql's --timeout + 0.3 s: killed before it can say why", check: timeoutNotAboveDeadline },
  { id: 'non-integer-seconds', summary: 'fractional interval or timeout: keepalived 2.2.7 truncates it to whole seconds', check: nonIntegerSeconds },
  { id: 'detection-budget', summary: `worst-case detection (interval × fall + timeout) over ${DETECTION_BUDGET_S} s, or an interval of 10 s or more`, check: detectionBudget },
  { id: 'missing-script-security', summary: 'global_defs without enable_script_security or script_user', check: missingScriptSecurity },
  { id: 'notify-missing', summary: 'instance whose notify does not run check-mysql notify on every transition: the VIP holder stays read-only', check: notifyMissing },
  { id: 'notify-without-vip', summary: 'check-mysql notify without --vip: an out-of-order run can leave the node writable', check: notifyWithoutVip },
];

/** Reported while reading the files rather than by a rule over the model. */
export const SYNTAX_CHECKS: readonly Omit<Rule, 'check'>[] = [
  { id: 'unbalanced-braces', summary: "a '}' without its '{', or a '{' never closed" },
  { id: 'syntax', summary: "a missing closing quote, or a '{' with no keyword before it" },
  { id: 'include-unreadable', summary: 'an included file that cannot be read: keepalived skips it silently' },
  { id: 'include-unresolved', summary: 'an include with a wildcard this run could not expand' },
  { id: 'include-cycle', summary: 'a file that includes itself' },
  { id: 'line-too-long', summary: 'a line over 1023 bytes: keepalived reads the rest as a line of its own' },
  { id: 'expansion-too-long', summary: 'a $NAME expansion past 1023 bytes: keepalived keeps the line unexpanded' },
];

export const runRules = (conf: KeepalivedConf): LintFinding[] => RULES.flatMap((rule) => rule.check(conf));
