import type { ReplicationChannel } from '../types/replication.js';
import type { Policy, Role } from '../types/config.js';
import { ALIVE_BUT_REFUSING } from '../db/failure.js';
import type { DbFailure } from '../types/failure.js';
import type { ProbeResult } from '../types/facts.js';
import type { CheckLine, Facts, Verdict } from '../types/facts.js';
import { channelLabel, channelName, judgeChannel, peerFenced } from './channel-fitness.js';
import { finding, type Finding } from '../types/finding.js';
import { isReadOnly, readOnlyText } from '../dialect/read-only-state.js';
import { MAX_CHANNELS } from '../limits.js';
import { cutTextWarning } from './cut-text.js';
import { roleOf, roleWithoutServer } from './role.js';
import { judgeWrite, NO_BEATS, readBeats, type Beat, type Beats } from './heartbeat.js';
import { secondsText } from './lag.js';
import { judgePeer } from './peer.js';

/**
 * The role-aware verdict: the one home of the policy that docs/verdict.md's verdict table describes.
 *  - writer: healthy when alive and writable; its own replication only ever warns.
 *  - standby: healthy only when fit to take over (SQL thread applying, lag within max), except
 *    that an IO thread failing because the writer is unreachable keeps it eligible.
 */
export function evaluate(facts: Facts, policy: Policy): Verdict {
  const verdict = judge(facts, policy);
  return facts.pastDeadline ? pastDeadline(verdict, facts.pastDeadline) : verdict;
}

/**
 * keepalived kills a check at its timeout, and --timeout is that budget: a verdict reached after
 * it (a stalled process, an answer that took long to read) is not one to act on, so not healthy.
 */
function pastDeadline(verdict: Verdict, { deadlineMs, elapsedMs }: NonNullable<Facts['pastDeadline']>): Verdict {
  if (verdict.reasons.some((r) => r.code === 'timeout')) return verdict;
  const f = finding('timeout', `the check took ${Math.round(elapsedMs)} ms, past its ${deadlineMs} ms deadline: not judged healthy`);
  return { ...verdict, healthy: false, reasons: [f, ...verdict.reasons] };
}

/**
 * keepalived moves the VIP first and starts the notify handler after it, which takes a second
 * or more on a loaded host: a read-only holder whose VIP is that new is being promoted, and
 * failing it would bounce the VIP away. A read-only node takes no writes, so this never makes a
 * second writer; a holder that never gets promoted only keeps the VIP for the grace longer.
 * Returns how long ago the VIP was seen away, as text, while within --promotion-grace.
 */
function justArrived(vip: Facts['vip'], policy: Policy): string | undefined {
  const ago = vip?.held ? vip.notHeldMsAgo : undefined;
  const graceMs = (policy.promotionGraceS ?? 0) * 1000;
  return ago !== undefined && ago >= 0 && ago < graceMs ? `${(ago / 1000).toFixed(1)} s ago` : undefined;
}

function judge(facts: Facts, policy: Policy): Verdict {
  const checks: CheckLine[] = [];
  if (!facts.connect.ok) return connectFailed(facts.connect.error, facts, policy);
  checks.push({ name: 'connect', ok: true, detail: `connected to ${facts.target}${facts.connect.tls ? ` over ${facts.connect.tls}` : ''} in ${Math.round(facts.connect.elapsedMs)} ms` });

  const server = facts.server;
  if (!server || !server.ok) {
    const error = server && !server.ok ? server.error : undefined;
    const f = finding(error?.failure === 'timeout' ? 'timeout' : 'variables-unreadable', `cannot read read_only: ${error?.message ?? 'not read'}`);
    return { healthy: false, role: 'unknown', reasons: [f], warnings: [], checks: [...checks, { name: 'read_only', ok: false, detail: f.message }] };
  }
  const info = server.value;
  const role = roleOf(info, facts.vip, policy);
  const reasons: Finding[] = [];
  const warnings: Finding[] = [];
  const readOnly = isReadOnly(info);

  if (role === 'writer' && readOnly) {
    const why = facts.vip?.held ? `holds VIP ${facts.vip.address}` : 'is judged as writer (--role writer)';
    // While the notify handler catches up, read-only is the plan, not a fault: failing now would
    // hand the VIP back and forth until the relay log is applied.
    const arrived = justArrived(facts.vip, policy);
    if (facts.promoting) warnings.push(finding('promoting', `${why} with ${readOnlyText(info)} while the notify handler catches up`));
    else if (arrived) warnings.push(finding('promoting', `${why} with ${readOnlyText(info)}, but it was not held here ${arrived}: waiting for the notify handler (--promotion-grace ${policy.promotionGraceS} s)`));
    else reasons.push(finding('writer-read-only', `${why} but ${readOnlyText(info)}: every write to it fails`));
  }
  if (role === 'standby' && !readOnly && facts.vip) {
    warnings.push(finding('standby-writable', `does not hold VIP ${facts.vip.address} but read_only=OFF: writes that bypass the VIP would diverge`));
  }
  checks.push({ name: 'read_only', ok: reasons.length === 0, detail: `${readOnlyText(info)} (${info.version})` });
  const write = judgeWrite(facts.heartbeatWrite, policy);
  reasons.push(...write.reasons);
  if (write.check) checks.push(write.check);

  const beats = role === 'standby' ? readBeats(facts.heartbeat, policy, info.serverId) : NO_BEATS;
  const repl = judgeReplication(facts.replication, policy, role, beats, readOnly);
  (role === 'standby' ? reasons : warnings).push(...repl.problems, ...beats.problems);
  warnings.push(...repl.notes, ...beats.notes);
  const cut = cutTextWarning(facts);
  if (cut) warnings.push(cut);
  warnings.push(...judgePeer(facts, info, role));
  checks.push({ name: 'replication', ok: role === 'writer' || repl.problems.length + beats.problems.length === 0, detail: repl.detail });

  if (facts.vip) checks.push({ name: 'vip', ok: true, detail: `${facts.vip.address} ${facts.vip.held ? 'held' : 'not held'}` });
  return { healthy: reasons.length === 0, role, reasons, warnings, checks };
}

/**
 * Alive but refusing (1040, 1203, 1226, 1129) is tolerated under --on-saturated healthy only where
 * being alive is what counts: a writer, or a node whose role cannot be known without the server.
 * A standby is healthy only when fit to take over, and its replication was never read.
 */
function connectFailed(error: DbFailure, facts: Facts, policy: Policy): Verdict {
  const alive = ALIVE_BUT_REFUSING.has(error.failure) && policy.onSaturated === 'healthy';
  const standby = roleWithoutServer(facts.vip, policy) === 'standby';
  const tolerated = alive && !standby;
  const checks = [{ name: 'connect', ok: tolerated, detail: `${facts.target}: ${error.message}` }];
  if (tolerated) {
    const w = finding(error.failure, `${error.message}; alive but refusing, judged healthy (--on-saturated healthy)`);
    return { healthy: true, role: 'unknown', reasons: [], warnings: [w], checks };
  }
  const why = alive && standby ? `; alive but refusing, and a standby (${standbyBecause(facts.vip, policy)}) whose replication cannot be read is not eligible` : '';
  return { healthy: false, role: 'unknown', reasons: [finding(error.failure, `${error.message}${why}`)], warnings: [], checks };
}

const standbyBecause = (vip: Facts['vip'], policy: Policy): string => (policy.role === 'standby' || !vip ? '--role standby' : `VIP ${vip.address} not held`);

interface ReplicationJudgement {
  problems: Finding[];
  notes: Finding[];
  detail: string;
}

function judgeReplication(result: Facts['replication'], policy: Policy, role: Role, beats: Beats, readOnly: boolean): ReplicationJudgement {
  if (!result || !result.ok) {
    const error = result && !result.ok ? result.error : undefined;
    if (error?.failure === 'too-many-rows') {
      const f = finding('too-many-channels', `more than the ${MAX_CHANNELS} replication channels check-mysql reads, so none is judged (${error.message})`);
      return { problems: [f], notes: [], detail: f.message };
    }
    const code = error?.failure === 'timeout' ? 'timeout' : 'replication-unknown';
    const f = finding(code, `cannot read replication status: ${error?.message ?? 'not read'}`);
    return { problems: [f], notes: [], detail: f.message };
  }
  const wanted = policy.channels;
  const channels = wanted.length === 0 ? result.value : result.value.filter((c) => wanted.includes(c.channel));
  const missing = wanted.filter((w) => !result.value.some((c) => c.channel === w));
  const problems: Finding[] = missing.map((m) => finding('no-replication', `channel '${m}' is not configured`));
  const notes: Finding[] = [];
  if (channels.length === 0 && missing.length === 0) {
    // A writer with no replication is normal; a standby with none would take over with stale data.
    if (role === 'standby') problems.push(finding('no-replication', 'no replication is configured, so this standby cannot be current'));
    return { problems, notes, detail: 'no replication configured' };
  }
  for (const c of channels) {
    if (peerFenced(c, role, readOnly)) {
      notes.push(finding('peer-fenced', fencedText(c, role)));
      continue;
    }
    const fit = judgeChannel(c, policy.maxLagSeconds, beats.of(c));
    problems.push(...fit.problems);
    notes.push(...fit.notes);
  }
  const detail = channels.map((c) => describeChannel(c, beats.of(c))).join('; ');
  return { problems, notes, detail };
}

/**
 * A channel as the notify handler's promotion leaves it (notify/peer-io.ts). On the writer, the
 * point: nothing its old writer logs lands here. On a node that lost the VIP but is still
 * writable (its demotion could not run: mysqld was stopped or unreachable when keepalived ran
 * it), not a reason either: keepalived runs the BACKUP notify only once the check passes, and that
 * run is what makes it read-only and starts the IO thread; from then on it is judged as any standby.
 */
function fencedText(c: ReplicationChannel, role: Role): string {
  const stopped = `${channelName(c)}: IO thread stopped while the SQL thread runs, as the notify handler's promotion leaves it (or a STOP SLAVE IO_THREAD)`;
  if (role === 'writer') return `${stopped}: nothing its old writer logs from then on lands here; started again when this node is demoted`;
  return `${stopped}, on a node that is not the VIP holder but still writable: its demotion has not run yet; the BACKUP notify makes it read-only and starts the IO thread`;
}

function describeChannel(c: ReplicationChannel, beat: Beat): string {
  const name = channelLabel(c.channel);
  const lag = c.secondsBehind === null ? 'lag NULL' : `lag ${c.secondsBehind} s`;
  const heartbeat = typeof beat === 'number' ? `, heartbeat ${secondsText(beat)} s old` : '';
  const delay = c.sqlDelay > 0 ? ` (SQL_Delay ${c.sqlDelay} s)` : '';
  return `${name}: io=${c.ioRunning} sql=${c.sqlRunning ? 'yes' : 'no'} ${lag}${heartbeat}${delay}`;
}
