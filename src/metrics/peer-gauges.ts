/**
 * The daemon's view of a target's peer (the other node of the pair): whether it could be read,
 * whether it takes writes (with this node's mysql_global_variables_read_only, both writable), and
 * this node's errant transactions against it. Absent for a target without a peer.
 */
import { isWritable } from '../dialect/read-only-state.js';
import type { CheckReport } from '../types/facts.js';
import { errantCount, errantOf } from '../verdict/errant.js';
import { bit, type GaugeSample, type GaugeSpec } from './gauge-sample.js';

export const PEER_GAUGES: readonly GaugeSpec[] = [
  { name: 'check_mysql_peer_up', help: 'Whether the last reading of the target\'s peer (HOST:PORT in `peer`) succeeded: 1 yes, 0 no.', labelNames: ['peer'] },
  {
    name: 'check_mysql_peer_writable',
    help: 'Whether the peer was writable (read_only=OFF) at its last reading: 1 yes, 0 no; absent while it cannot be read. With this target\'s mysql_global_variables_read_only 0, both nodes are writable.',
    labelNames: ['peer'],
  },
  {
    name: 'check_mysql_errant_transactions',
    help: 'Transactions this standby executed that its peer (the writer) has not (errant GTIDs; the set is in the status file). MySQL: the exact count; MariaDB: the GTIDs it names, one per domain, a lower bound. Absent where not judged: on the writer, GTIDs off, a GTID state unread.',
    labelNames: ['peer'],
  },
];

export function peerSamples(report: CheckReport): GaugeSample[] {
  const peer = report.facts.peer;
  if (!peer) return [];
  const labels = { peer: peer.address };
  const samples: GaugeSample[] = [{ name: 'check_mysql_peer_up', labels, value: bit(peer.ok) }];
  if (peer.ok) samples.push({ name: 'check_mysql_peer_writable', labels, value: bit(isWritable(peer.server)) });
  const role = report.verdict.role;
  const errant = role === 'unknown' ? undefined : errantOf(report.facts, role);
  const count = errant && errantCount(errant);
  if (count !== undefined) samples.push({ name: 'check_mysql_errant_transactions', labels, value: count });
  return samples;
}
