/**
 * Errant transactions of a standby against its peer, the writer: src/gtid/errant.ts's rule over
 * the two GTID states the daemon read. Judged on a standby only: on the writer, GTIDs the standby
 * lacks are lag, not errors.
 */
import { errantTransactions } from '../gtid/errant.js';
import type { Role } from '../types/config.js';
import type { Facts } from '../types/facts.js';
import type { ErrantTransactions } from '../types/gtid.js';

/** Undefined when there is nothing to judge: not a standby, no peer reading, a GTID state unread. */
export function errantOf(facts: Facts, role: Role): ErrantTransactions | undefined {
  if (role !== 'standby' || !facts.peer?.ok || !facts.gtid?.ok) return undefined;
  return errantTransactions(facts.gtid.value, facts.peer.gtid);
}

/**
 * How many: MySQL's exact count; MariaDB keeps only the last GTID per domain and server, so the
 * GTIDs it names, each at least one transaction (a lower bound). Undefined when not judged.
 */
export function errantCount(e: ErrantTransactions): number | undefined {
  if (!e.judged) return undefined;
  return e.count ?? (e.gtids === '' ? 0 : e.gtids.split(',').length);
}
