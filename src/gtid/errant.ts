/**
 * Errant transactions: what the standby has executed that the writer has not. Promoting such a
 * standby makes the pair diverge (its extra rows are replicated nowhere, or replicate back and
 * conflict), so a standby with errant transactions is not eligible for switchover. Pure: it
 * compares two GTID states read by gtid-state.ts. docs/errant-transactions.md has the rule for
 * each flavour and its limits.
 */
import type { ErrantTransactions, MariadbGtidState, MysqlGtidState } from '../types/gtid.js';
import { formatGtid, parseGtidList, type MariadbGtid } from './mariadb-gtid-list.js';
import { countGtids, formatGtidSet, parseGtidSet, subtractGtidSets } from './mysql-gtid-set.js';

const NONE: ErrantTransactions = { judged: true, gtids: '', count: 0 };

/**
 * MySQL: GTID_SUBTRACT(standby's gtid_executed, writer's gtid_executed), the set of GTIDs the
 * standby executed and the writer did not, whatever server they came from (orchestrator's and
 * MySQL Shell's definition). Exact: gtid_executed is the whole history, not a high-water mark.
 */
export function mysqlErrant(standby: MysqlGtidState, writer: MysqlGtidState): ErrantTransactions {
  const off = [standby, writer].find((s) => s.gtidMode.toUpperCase() === 'OFF');
  if (off) return { judged: false, gtids: '', count: null, why: `gtid_mode is OFF on ${off === standby ? 'the standby' : 'the writer'}: transactions have no GTIDs to compare` };
  const errant = subtractGtidSets(parseGtidSet(standby.executed), parseGtidSet(writer.executed));
  const permissive = [standby, writer].find((s) => /PERMISSIVE/i.test(s.gtidMode));
  const why = permissive ? { why: `gtid_mode is ${permissive.gtidMode}: anonymous transactions (without a GTID) are not seen` } : {};
  if (errant.size === 0) return { ...NONE, ...why };
  return { judged: true, gtids: formatGtidSet(errant), count: Number(countGtids(errant)), ...why };
}

/**
 * MariaDB keeps no set of everything executed, only high-water marks, and sequence numbers
 * are per domain, shared by every server writing in it. The rule: the standby (server_id S)
 * has errant transactions when, for some domain D, the last GTID it binlogged under its own
 * server_id, D-S-n in its gtid_binlog_state, is beyond what the writer has from S in D:
 *   have(D, S) = max( seq of D-S-* in the writer's gtid_binlog_state   (what it applied, with log_slave_updates),
 *                     seq of the writer's gtid_slave_pos in D, when that GTID is D-S-* )
 * and n > have(D, S) (or the writer has nothing from S in D). Every GTID the standby logs under
 * its own server_id is an own write (a replicated one keeps its origin's server_id), and it
 * logs them in increasing seq order in each domain, so n > have means at least D-S-n is missing.
 * Only the last one per domain is named: the earlier ones are not kept by the server.
 */
export function mariadbErrant(standby: MariadbGtidState, writer: MariadbGtidState): ErrantTransactions {
  if (!standby.logBin) return { judged: false, gtids: '', count: null, why: 'the standby has no binary log (log_bin OFF): its own writes leave no GTID state to compare' };
  const writerBinlog = parseGtidList(writer.binlogState);
  const writerApplied = parseGtidList(writer.slavePos);
  const missing: MariadbGtid[] = [];
  for (const own of parseGtidList(standby.binlogState).filter((g) => g.serverId === standby.serverId)) {
    const from = (g: MariadbGtid) => g.domain === own.domain && g.serverId === own.serverId;
    const have = [...writerBinlog.filter(from), ...writerApplied.filter(from)].reduce<bigint>((max, g) => (g.seq > max ? g.seq : max), 0n);
    if (own.seq > have) missing.push(own);
  }
  const why = writer.logSlaveUpdates ? {} : { why: "the writer has log_slave_updates OFF: only its gtid_slave_pos shows what it applied, so a standby's GTID it applied may be named as errant when the writer's last applied GTID in that domain came from another server" };
  if (missing.length === 0) return { ...NONE, ...why };
  return { judged: true, gtids: missing.map(formatGtid).join(','), count: null, ...why };
}

/** The rule for the standby's flavour; a pair of different flavours cannot be compared. */
export function errantTransactions(standby: MysqlGtidState | MariadbGtidState, writer: MysqlGtidState | MariadbGtidState): ErrantTransactions {
  if (standby.flavor === 'mysql' && writer.flavor === 'mysql') return mysqlErrant(standby, writer);
  if (standby.flavor === 'mariadb' && writer.flavor === 'mariadb') return mariadbErrant(standby, writer);
  return { judged: false, gtids: '', count: null, why: `a ${standby.flavor} standby of a ${writer.flavor} writer: their GTIDs cannot be compared` };
}

/** "2 errant transaction(s) on the standby: uuid:5-6" for a refusal or a warning. */
export function describeErrant(e: ErrantTransactions): string {
  if (!e.judged) return `errant transactions not checked: ${e.why}`;
  if (e.gtids === '') return 'no errant transactions';
  const count = e.count === null ? 'errant transactions' : `${e.count} errant transaction${e.count === 1 ? '' : 's'}`;
  return `${count} on the standby (executed there, not on the writer): ${e.gtids}`;
}
