/**
 * What --heartbeat-table adds to the verdict: the writer's write (committed, stalled, failed, or
 * impossible with this table and these grants) and, on a standby, each channel's source row.
 */
import type { Policy } from '../types/config.js';
import type { CheckLine, Facts } from '../types/facts.js';
import type { DbFailure } from '../types/failure.js';
import { finding, type Finding } from '../types/finding.js';
import type { ReplicationChannel } from '../types/replication.js';

/**
 * Errors that say the table or the grants are wrong, not the server: no use retrying. 1142 and
 * 1143 name the missing privilege; 1054 is a table without pt-heartbeat's columns.
 */
const UNUSABLE: Readonly<Record<number, string>> = {
  1044: 'the check user may not use its database',
  1049: 'its database does not exist',
  1054: "it lacks pt-heartbeat's columns (ts varchar(26), server_id int unsigned primary key)",
  1142: 'the check user lacks a privilege on it',
  1143: 'the check user lacks a column privilege on it',
  1146: 'it does not exist',
};

/** Fixed by a grant rather than by creating the table. */
const GRANTS: ReadonlySet<number> = new Set([1044, 1142, 1143]);

/** The code the one-shot exits 2 on: a configuration to fix, named in one line. */
export const HEARTBEAT_UNUSABLE = 'heartbeat-unusable';

function unusable(error: DbFailure, policy: Policy, needs: string): Finding | undefined {
  const why = error.errno !== undefined ? UNUSABLE[error.errno] : undefined;
  if (!why || !policy.heartbeat) return undefined;
  // "INSERT, UPDATE command denied to user ..." names the privileges: say it in our words too.
  const privileges = /^([A-Z][A-Z, ]*?) command denied/i.exec(error.message)?.[1]?.toUpperCase();
  const lacks = privileges ? `the check user lacks ${privileges} on it` : why;
  const fix = GRANTS.has(error.errno!) ? `grant ${needs} on it (docs/grants.md)` : "create it as pt-heartbeat's table (docs/check.md#the-heartbeat)";
  return finding(HEARTBEAT_UNUSABLE, `heartbeat table ${policy.heartbeat.table.quoted}: ${lacks}: ${fix}; the server said: ${error.message}`);
}

export interface WriteJudgement {
  readonly reasons: readonly Finding[];
  readonly check?: CheckLine;
}

/** The writer's heartbeat write: a write that did not commit fails the writer, whatever read_only says. */
export function judgeWrite(result: Facts['heartbeatWrite'], policy: Policy): WriteJudgement {
  if (!result || !policy.heartbeat) return { reasons: [] };
  const table = policy.heartbeat.table.quoted;
  if (result.ok) return { reasons: [], check: { name: 'heartbeat_write', ok: true, detail: `heartbeat row written to ${table} in ${Math.round(result.elapsedMs)} ms` } };
  const f =
    unusable(result.error, policy, 'SELECT, INSERT and UPDATE') ??
    (result.error.failure === 'timeout'
      ? finding('write-stalled', `the heartbeat write to ${table} ${result.error.message}`)
      : finding('write-failed', `the heartbeat write to ${table} failed: ${result.error.message}`));
  return { reasons: [f], check: { name: 'heartbeat_write', ok: false, detail: f.message } };
}

/** Per channel of a standby: its source row's age in seconds, or why there is none to judge by. */
export type Beat = number | string | undefined;

export interface Beats {
  of(c: ReplicationChannel): Beat;
  /** The heartbeat could not be read: a reason for a standby (timeout, unusable table). */
  readonly problems: readonly Finding[];
  /** Worth telling: it could not be read for another reason, so the lag is Seconds_Behind's alone. */
  readonly notes: readonly Finding[];
}

export const NO_BEATS: Beats = { of: () => undefined, problems: [], notes: [] };

/**
 * A standby's heartbeat rows, by channel. Without --heartbeat-table, nothing.
 *
 * A source's row only ages while that source is the writer: one that has not written since this
 * node last wrote its own row (this node was the writer after it, and the source is a standby
 * now, or a FAULT one) says nothing of what this node lacks, so that channel's lag is
 * Seconds_Behind's, with a note. Without this, a writer that died and came back while its standby
 * was broken would read its standby's stale row as lag and never be eligible again. The two
 * rows' ts come from two clocks: the comparison trusts them to within the clock skew
 * (docs/check.md#clock-skew), as the age itself does.
 */
export function readBeats(result: Facts['heartbeat'], policy: Policy, ownServerId?: number | null): Beats {
  const hb = policy.heartbeat;
  if (!hb) return NO_BEATS;
  if (result && !result.ok) {
    const error = result.error;
    const blocking = unusable(error, policy, 'SELECT') ?? (error.failure === 'timeout' ? finding('timeout', `cannot read the heartbeat: ${error.message}`) : undefined);
    if (blocking) return { of: () => undefined, problems: [blocking], notes: [] };
    return { of: () => undefined, problems: [], notes: [finding('heartbeat-missing', `cannot read ${hb.table.quoted}: ${error.message}; lag from Seconds_Behind only`)] };
  }
  const rows = result?.ok ? result.value : [];
  return {
    of: (c) => {
      if (c.sourceServerId === null || c.sourceServerId === 0) return "its source's server_id is not known yet (Master_Server_Id 0)";
      const row = rows.find((r) => r.serverId === c.sourceServerId);
      if (!row) return `no heartbeat row for server_id ${c.sourceServerId} in ${hb.table.quoted} (not written by the writer, or not replicated yet)`;
      if (row.ageSeconds === null) return `the heartbeat row for server_id ${c.sourceServerId} has a ts that is not a time`;
      const own = ownServerId ? rows.find((r) => r.serverId === ownServerId) : undefined;
      if (own?.ageSeconds != null && own.ageSeconds < row.ageSeconds) {
        return `server_id ${c.sourceServerId} last wrote its heartbeat ${row.ageSeconds.toFixed(1)} s ago, before this server last wrote its own (${own.ageSeconds.toFixed(1)} s ago): it has not been the writer since, so its row's age is no lag here`;
      }
      return row.ageSeconds;
    },
    problems: [],
    notes: [],
  };
}
