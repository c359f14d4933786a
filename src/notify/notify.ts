import { openSession, type CheckDeps } from '../check.js';
import type { CheckSpec } from '../types/config.js';
import { classifyDriverError } from '../db/failure.js';
import type { Session } from '../types/session.js';
import { deadlineAfter } from '../deadline.js';
import type { ServerInfo } from '../types/server.js';
import { replication } from '../probes/replication.js';
import { readProbe } from '../probes/run-probes.js';
import { serverVariables } from '../probes/server-variables.js';
import { holdsAddress } from '../vip.js';
import { catchUpWaits, serverWaitSeconds } from './catch-up.js';
import { wantedRole, type NotifyEvent } from './event.js';
import { isWritable, readOnlyText } from '../dialect/read-only-state.js';
import { setReadOnlyFenced } from './fence.js';
import { PROMOTE_SQL, demoteSql, killClients } from './read-only.js';
import { describeWrite, type KillKind, type WriteInFlight } from './writes-in-flight.js';
import { NO_PEER_IO, peerIoText, startPeerIo, stopPeerIo, stoppedByPromotion, stoppedByThisRun, type PeerIo, type PickChannels } from './peer-io.js';
import { channelLabel } from '../verdict/channel-fitness.js';
import type { ReplicationChannel } from '../types/replication.js';

export interface NotifyPolicy {
  readonly catchUpTimeoutS: number;
  readonly onCatchUpTimeout: 'stay-read-only' | 'promote';
  readonly killConnections: boolean;
  readonly keepUsers: readonly string[];
  /** MASTER stops the IO thread of the replication from the peer (peer-io.ts); absent: on. */
  readonly peerFence?: boolean;
  /** The channels that come from the peer; absent: every channel. */
  readonly peerChannels?: readonly string[];
}

export interface NotifySpec extends CheckSpec {
  readonly notify: NotifyPolicy;
}

/** One channel's catch-up wait before a promotion: for what, how it ended, how long it took. */
export interface Waited {
  readonly channel: string;
  readonly target: string;
  readonly outcome: string;
  readonly ms: number;
}

/** What a notify run did, for the one log line and the exit code. */
export interface NotifyOutcome {
  readonly ok: boolean;
  readonly action: 'promoted' | 'demoted' | 'demoted-again' | 'already-writable' | 'already-read-only' | 'stale-ignored' | 'nothing' | 'stayed-read-only' | 'failed';
  readonly message: string;
  readonly before?: string;
  readonly after?: string;
  readonly waited?: readonly Waited[];
  readonly killed?: number;
  /** Stalled writes ended so that read_only could be set. */
  readonly ended?: readonly EndedWrite[];
  /** MASTER: the channels whose IO thread it stopped (peer-io.ts); '' is the default channel. */
  readonly fenced?: readonly string[];
  /** BACKUP/FAULT/STOP (or a MASTER that did not promote): the channels whose IO thread it started again. */
  readonly resumed?: readonly string[];
}

/** A write that held up read_only = ON, and how it was ended. */
export interface EndedWrite {
  readonly id: number;
  readonly user: string;
  readonly state: string;
  readonly kill: KillKind;
}

/**
 * Makes the server match keepalived's new state: MASTER -> catch up, then writable; BACKUP,
 * FAULT, STOP -> read-only (and optionally end client connections). keepalived may deliver
 * notifications out of order, so before acting (and again before and after promoting) the VIP
 * is looked at: a notification that no longer matches who holds it is stale and ignored. MASTER
 * needs --vip, and the caller's notify lock (lock-file.ts); demotion needs neither.
 */
export async function runNotify(spec: NotifySpec, event: NotifyEvent, deps: CheckDeps): Promise<NotifyOutcome> {
  const role = wantedRole(event.state);
  if (role === 'none') return { ok: true, action: 'nothing', message: `${event.state}: nothing to do` };
  // The command refuses this first (exit 2); kept here so that no caller can promote blind.
  if (role === 'writer' && !spec.policy.vip) return { ok: false, action: 'failed', message: NO_VIP };
  const stale = staleness(spec, role, deps);
  if (stale) return { ok: true, action: 'stale-ignored', message: stale };

  const started = deps.now();
  const opened = await openSession(spec, deps, deadlineAfter(spec.timeoutMs, deps.now), started);
  if (!opened.session) {
    return { ok: false, action: 'failed', message: `cannot connect: ${opened.report.verdict.reasons.map((r) => `${r.code}: ${r.message}`).join('; ')}` };
  }
  const session = opened.session;
  try {
    return role === 'writer' ? await promote(session, spec, deps) : await demote(session, spec, deps);
  } catch (err) {
    return { ok: false, action: 'failed', message: classifyDriverError(err, 'query').message };
  } finally {
    await session.close(deadlineAfter(spec.timeoutMs, deps.now));
  }
}

/** Why MASTER needs --vip: runs may come out of order, and only the VIP says which one is current. */
export const NO_VIP = 'MASTER without --vip: not promoting, since keepalived may run notifications out of order and only the VIP tells a current one from a stale one (add --vip ADDRESS to the notify line)';

function staleness(spec: CheckSpec, role: 'writer' | 'standby', deps: CheckDeps): string | undefined {
  const vip = spec.policy.vip;
  if (!vip) return undefined;
  const held = holdsAddress(vip, deps.networkInterfaces());
  if (role === 'writer' && !held) return `stale MASTER notification: VIP ${vip} is not on this node any more; not promoting`;
  if (role === 'standby' && held) return `stale notification: VIP ${vip} is on this node again; not demoting`;
  return undefined;
}

async function readServer(session: Session, spec: CheckSpec, deps: CheckDeps): Promise<ServerInfo> {
  return readProbe(serverVariables, { session, deadline: deadlineAfter(spec.timeoutMs, deps.now), now: deps.now }, spec.policy, {});
}

function readChannels(session: Session, spec: CheckSpec, deps: CheckDeps, server: ServerInfo): Promise<readonly ReplicationChannel[]> {
  return readProbe(replication, { session, deadline: deadlineAfter(spec.timeoutMs, deps.now), now: deps.now }, spec.policy, { server });
}

const FENCED = 'replication from the peer stopped (IO thread)';
const NOT_FENCED = 'NOT stopped, so the old writer\'s later writes may land here';
const RESUMED = 'replication from the peer started again (IO thread)';
const NOT_RESUMED = 'could not start replication from the peer again';

/** IO threads started again: the log line's words, and the channels when there are any. */
interface Resumed {
  readonly text: string;
  readonly resumed?: readonly string[];
}

/** A MASTER run that does not promote starts again what it stopped: this node stays a standby. */
function undoFence(session: Session, spec: NotifySpec, deps: CheckDeps, server: ServerInfo, fence: PeerIo): Promise<Resumed> {
  return fence.channels.length === 0 ? Promise.resolve({ text: '' }) : resumePeer(session, spec, deps, server, stoppedByThisRun(fence));
}

/**
 * Promotion, under the notify lock (so one MASTER run at a time), racing demotions, which take
 * no lock. keepalived removes the VIP before it runs BACKUP/FAULT/STOP, so every demotion D
 * starts after the VIP left. This run M looks at the VIP (m1), catches up, looks again (m3),
 * sets read_only=OFF (m4) and looks a third time (m5). The interleavings, and what closes each:
 *  - D wholly before m1, or the VIP gone by m1 or m3: M sees no VIP and does not promote.
 *  - D reads read_only before m4 (and sets it ON, or finds it ON and does nothing), then M
 *    promotes: the VIP left before D began, so before m4; m5 sees it gone and M demotes again
 *    itself (the same demotion, --kill-connections included) and logs demoted-again.
 *  - D reads read_only after m4: it sees OFF and sets ON, the last write (and m5 may demote
 *    again too, which changes nothing).
 *  - D while M waits for the lock or catches up: D does not wait (no lock), the node is already
 *    read-only, and M stops at m3.
 *  - The VIP comes back after D looked (MASTER again): a new MASTER run follows and waits for
 *    this one's lock, then promotes afresh. If D's SET lands after that run's m4, the VIP holder
 *    is read-only: the check fails it and keepalived moves the VIP. That fails closed (no
 *    writes), never open.
 *  - Two MASTER runs: serialised by the lock; the second finds the node writable, or redoes it all.
 * Not closed: M killed (SIGKILL) between m4 and m5 while the VIP left before m4. The node then
 * stays writable without the VIP until the next notify run; the check warns standby-writable.
 */
async function promote(session: Session, spec: NotifySpec, deps: CheckDeps): Promise<NotifyOutcome> {
  const before = await readServer(session, spec, deps);
  // The fence first, then the catch-up: it applies what was received before the stop, and
  // nothing the old writer logs after it (peer-io.ts). Not stopping is no reason to stay
  // read-only: the log line says so.
  const found = await readChannels(session, spec, deps, before);
  const fence = spec.notify.peerFence === false ? NO_PEER_IO : await stopPeerIo(session, before, found, deadlineAfter(spec.timeoutMs, deps.now), spec.notify.peerChannels);
  if (isWritable(before)) return alreadyWritable(session, spec, deps, before, fence);
  let step: UntilWritable;
  try {
    step = await untilWritable(session, spec, deps, before, fence, found);
  } catch (err) {
    // Failed before read_only=OFF: this node stays a standby, and a standby replicates.
    await undoFence(session, spec, deps, before, fence);
    throw err;
  }
  const { waited } = step;
  if (step.notPromoted) {
    const undone = await undoFence(session, spec, deps, before, fence);
    return { ...step.notPromoted, message: `${step.notPromoted.message}${undone.text}`, before: readOnlyText(before), after: readOnlyText(before), waited, ...resumedField(undone) };
  }
  if (staleness(spec, 'writer', deps)) {
    const undone = await demote(session, spec, deps);
    return { ...undone, action: 'demoted-again', message: `VIP ${spec.policy.vip} left while promoting; demoted again: ${undone.message}`, before: readOnlyText(before), waited };
  }
  const after = await readServer(session, spec, deps);
  const forced = behindOf(waited).length > 0 ? ' WITHOUT catching up (--on-catchup-timeout promote)' : '';
  return {
    ok: isWritable(after),
    action: 'promoted',
    message: `promoted${forced}: ${readOnlyText(before)} -> ${readOnlyText(after)}${peerIoText(fence, FENCED, NOT_FENCED)}`,
    before: readOnlyText(before),
    after: readOnlyText(after),
    waited,
    ...(fence.channels.length > 0 && { fenced: fence.channels }),
  };
}

/**
 * Made writable before this run (a switchover promotes the peer itself when its notify handler
 * is slow; a restarted keepalived on the writer): fenced all the same, since the VIP holder takes
 * nothing from its peer. The VIP is looked at once more after the stop: a demotion that ran
 * before it would have found nothing to start again.
 */
async function alreadyWritable(session: Session, spec: NotifySpec, deps: CheckDeps, before: ServerInfo, fence: PeerIo): Promise<NotifyOutcome> {
  const stale = fence.channels.length > 0 ? staleness(spec, 'writer', deps) : undefined;
  if (stale) {
    const undone = await undoFence(session, spec, deps, before, fence);
    return { ok: true, action: 'stale-ignored', message: `${stale} (already writable)${undone.text}`, before: readOnlyText(before), after: readOnlyText(before), ...resumedField(undone) };
  }
  return {
    ok: true,
    action: 'already-writable',
    message: `already writable (${readOnlyText(before)})${peerIoText(fence, FENCED, NOT_FENCED)}`,
    before: readOnlyText(before),
    after: readOnlyText(before),
    ...(fence.channels.length > 0 && { fenced: fence.channels }),
  };
}

/** Waits that did not end caught up. */
const behindOf = (waited: readonly Waited[]): Waited[] => waited.filter((w) => w.outcome !== 'caught-up');

/** How far a promotion got: the waits, and why it stopped short of read_only=OFF if it did. */
interface UntilWritable {
  readonly waited: readonly Waited[];
  readonly notPromoted?: Pick<NotifyOutcome, 'ok' | 'action' | 'message'>;
}

/**
 * Everything up to and including read_only=OFF: the catch-up, then the two reasons not to
 * promote (it timed out under stay-read-only; the VIP left meanwhile), which it returns as
 * `notPromoted` (the caller starts the IO threads again), then the SET.
 */
async function untilWritable(
  session: Session,
  spec: NotifySpec,
  deps: CheckDeps,
  before: ServerInfo,
  fence: PeerIo,
  found: readonly ReplicationChannel[],
): Promise<UntilWritable> {
  // Read again after a stop: the catch-up waits for what was received up to it.
  const channels = fence.channels.length > 0 ? await readChannels(session, spec, deps, before) : found;
  const waited: Waited[] = [];
  // One budget for all channels, not one each: the lock other MASTER runs wait on is sized by it.
  const budgetEnds = deps.now() + spec.notify.catchUpTimeoutS * 1000;
  for (const wait of catchUpWaits(before.flavor, before.version, channels)) {
    const t0 = deps.now();
    const t = serverWaitSeconds((budgetEnds - t0) / 1000);
    // The server waits up to t itself; our deadline only guards a hung server.
    const rows = await session.query(wait.sql(t), deadlineAfter(t * 1000 + spec.timeoutMs, deps.now));
    waited.push({ channel: wait.channel, target: wait.target, outcome: wait.outcome(rows[0]?.waited), ms: Math.round(deps.now() - t0) });
  }
  const behind = behindOf(waited);
  if (behind.length > 0 && spec.notify.onCatchUpTimeout === 'stay-read-only') {
    const what = behind.map((w) => `${channelLabel(w.channel)} ${w.outcome} waiting for ${w.target}`).join('; ');
    return { waited, notPromoted: { ok: false, action: 'stayed-read-only', message: `not promoting: ${what} (--on-catchup-timeout stay-read-only)` } };
  }
  const stale = staleness(spec, 'writer', deps);
  if (stale) return { waited, notPromoted: { ok: true, action: 'stale-ignored', message: `${stale} (after catching up)` } };
  await session.query(PROMOTE_SQL, deadlineAfter(spec.timeoutMs, deps.now));
  return { waited };
}

/**
 * Read-only, even while a write is stalled (fence.ts): the writes that hold the SET up are
 * ended first, whatever --kill-connections says, since no other way stops a commit stuck on a
 * full disk from landing once the VIP has left. --kill-connections then ends the other client
 * connections (those whose stalled query was ended included), after read_only is set.
 */
async function demote(session: Session, spec: NotifySpec, deps: CheckDeps): Promise<NotifyOutcome> {
  const budget = deadlineAfter(spec.timeoutMs, deps.now);
  const keep = new Set([...spec.notify.keepUsers, spec.connection.user]);
  const before = await readServer(session, spec, deps);
  let after = before;
  const sql = demoteSql(before);
  let ended: readonly WriteInFlight[] = [];
  if (sql) {
    const fenced = await setReadOnlyFenced(session, sql, before.flavor, keep, budget, deps.now);
    ended = fenced.ended;
    after = await readServer(session, spec, deps);
    if (!fenced.ok) {
      return { ok: false, action: 'failed', message: `not demoted: ${fenced.problem}${endedText(ended)}`, before: readOnlyText(before), after: readOnlyText(after), ended: ended.map(endedField) };
    }
  }
  const killed = spec.notify.killConnections ? await killClients(session, keep, spec.timeoutMs, deps.now) : 0;
  const kills = spec.notify.killConnections ? `; killed ${killed} client connection(s)` : '';
  const resumed: Resumed = isWritable(after) ? { text: '' } : await resumePeer(session, spec, deps, after, stoppedByPromotion(spec.notify.peerChannels));
  const action = sql ? 'demoted' : 'already-read-only';
  return {
    ok: !isWritable(after),
    action,
    message: `${action === 'demoted' ? 'demoted' : 'already read-only'}: ${readOnlyText(before)} -> ${readOnlyText(after)}${endedText(ended)}${kills}${resumed.text}`,
    before: readOnlyText(before),
    after: readOnlyText(after),
    killed,
    ...(ended.length > 0 && { ended: ended.map(endedField) }),
    ...resumedField(resumed),
  };
}

/**
 * Once read-only, a standby again: the IO threads `pick` chooses start again (peer-io.ts). Never a
 * reason to call the run failed: a standby that does not replicate is not eligible, which its
 * check says.
 */
async function resumePeer(session: Session, spec: NotifySpec, deps: CheckDeps, server: ServerInfo, pick: PickChannels): Promise<Resumed> {
  try {
    const started = await startPeerIo(session, server, pick(await readChannels(session, spec, deps, server)), deadlineAfter(spec.timeoutMs, deps.now));
    return { text: peerIoText(started, RESUMED, NOT_RESUMED), ...(started.channels.length > 0 && { resumed: started.channels }) };
  } catch (err) {
    return { text: `; ${NOT_RESUMED}: ${classifyDriverError(err, 'query').message}` };
  }
}

const resumedField = (r: Resumed): Pick<NotifyOutcome, 'resumed'> => (r.resumed ? { resumed: r.resumed } : {});

const endedText = (ended: readonly WriteInFlight[]): string =>
  ended.length === 0 ? '' : `; ended ${ended.length} stalled write(s) holding it up: ${ended.map((w) => `KILL ${w.kill} ${describeWrite(w)}`).join(', ')}`;

const endedField = (w: WriteInFlight): EndedWrite => ({ id: w.id, user: w.user, state: w.state, kill: w.kill });
