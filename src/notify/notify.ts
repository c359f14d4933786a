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
import { CONNECTIONS_SQL, PROMOTE_SQL, clientsToKill, demoteSql } from './read-only.js';

export interface NotifyPolicy {
  readonly catchUpTimeoutS: number;
  readonly onCatchUpTimeout: 'stay-read-only' | 'promote';
  readonly killConnections: boolean;
  readonly keepUsers: readonly string[];
}

export interface NotifySpec extends CheckSpec {
  readonly notify: NotifyPolicy;
}

/** What a notify run did, for the one log line and the exit code. */
export interface NotifyOutcome {
  readonly ok: boolean;
  readonly action: 'promoted' | 'demoted' | 'already-writable' | 'already-read-only' | 'stale-ignored' | 'nothing' | 'stayed-read-only' | 'failed';
  readonly message: string;
  readonly before?: string;
  readonly after?: string;
  readonly waited?: readonly { channel: string; target: string; outcome: string; ms: number }[];
  readonly killed?: number;
}

/**
 * Makes the server match keepalived's new state: MASTER -> catch up, then writable; BACKUP,
 * FAULT, STOP -> read-only (and optionally end client connections). keepalived may deliver
 * notifications out of order, so before acting (and again before promoting) the VIP is looked
 * at: a notification that no longer matches who holds it is stale and ignored.
 */
export async function runNotify(spec: NotifySpec, event: NotifyEvent, deps: CheckDeps): Promise<NotifyOutcome> {
  const role = wantedRole(event.state);
  if (role === 'none') return { ok: true, action: 'nothing', message: `${event.state}: nothing to do` };
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

async function promote(session: Session, spec: NotifySpec, deps: CheckDeps): Promise<NotifyOutcome> {
  const before = await readServer(session, spec, deps);
  if (isWritable(before)) return { ok: true, action: 'already-writable', message: `already writable (${readOnlyText(before)})`, before: readOnlyText(before), after: readOnlyText(before) };

  const channels = await readProbe(replication, { session, deadline: deadlineAfter(spec.timeoutMs, deps.now), now: deps.now }, spec.policy, { server: before });
  const waited: { channel: string; target: string; outcome: string; ms: number }[] = [];
  // One budget for all channels, not one each: the lock other notify runs wait on is sized by it.
  const budgetEnds = deps.now() + spec.notify.catchUpTimeoutS * 1000;
  for (const wait of catchUpWaits(before.flavor, before.version, channels)) {
    const t0 = deps.now();
    const t = serverWaitSeconds((budgetEnds - t0) / 1000);
    // The server waits up to t itself; our deadline only guards a hung server.
    const rows = await session.query(wait.sql(t), deadlineAfter(t * 1000 + spec.timeoutMs, deps.now));
    waited.push({ channel: wait.channel, target: wait.target, outcome: wait.outcome(rows[0]?.waited), ms: Math.round(deps.now() - t0) });
  }
  const behind = waited.filter((w) => w.outcome !== 'caught-up');
  if (behind.length > 0 && spec.notify.onCatchUpTimeout === 'stay-read-only') {
    const what = behind.map((w) => `${w.channel || 'default'} ${w.outcome} waiting for ${w.target}`).join('; ');
    return { ok: false, action: 'stayed-read-only', message: `not promoting: ${what} (--on-catchup-timeout stay-read-only)`, before: readOnlyText(before), after: readOnlyText(before), waited };
  }
  const stale = staleness(spec, 'writer', deps);
  if (stale) return { ok: true, action: 'stale-ignored', message: `${stale} (after catching up)`, before: readOnlyText(before), after: readOnlyText(before), waited };
  await session.query(PROMOTE_SQL, deadlineAfter(spec.timeoutMs, deps.now));
  const after = await readServer(session, spec, deps);
  const forced = behind.length > 0 ? ' WITHOUT catching up (--on-catchup-timeout promote)' : '';
  return { ok: isWritable(after), action: 'promoted', message: `promoted${forced}: ${readOnlyText(before)} -> ${readOnlyText(after)}`, before: readOnlyText(before), after: readOnlyText(after), waited };
}

async function demote(session: Session, spec: NotifySpec, deps: CheckDeps): Promise<NotifyOutcome> {
  const before = await readServer(session, spec, deps);
  let after = before;
  const sql = demoteSql(before);
  if (sql) {
    await session.query(sql, deadlineAfter(spec.timeoutMs, deps.now));
    after = await readServer(session, spec, deps);
  }
  let killed = 0;
  if (spec.notify.killConnections) {
    const keep = new Set([...spec.notify.keepUsers, spec.connection.user]);
    const rows = await session.query(CONNECTIONS_SQL, deadlineAfter(spec.timeoutMs, deps.now));
    for (const id of clientsToKill(rows, keep)) {
      try {
        await session.query(`KILL CONNECTION ${id}`, deadlineAfter(spec.timeoutMs, deps.now));
        killed++;
      } catch (err) {
        // 1094 unknown thread: it ended by itself meanwhile.
        if (classifyDriverError(err, 'query').errno !== 1094) throw err;
      }
    }
  }
  const kills = spec.notify.killConnections ? `; killed ${killed} client connection(s)` : '';
  const action = sql ? 'demoted' : 'already-read-only';
  return { ok: !isWritable(after), action, message: `${action === 'demoted' ? 'demoted' : 'already read-only'}: ${readOnlyText(before)} -> ${readOnlyText(after)}${kills}`, before: readOnlyText(before), after: readOnlyText(after), killed };
}
