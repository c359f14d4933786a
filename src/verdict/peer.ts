/**
 * What the daemon's reading of the peer (the other node of the pair) means for this node. Only
 * ever warnings: a peer that cannot be read, or a pair in a bad state, is not a fault of this
 * node, and failing it would move the VIP for something the move cannot mend.
 */
import { isWritable, readOnlyText } from '../dialect/read-only-state.js';
import type { Role } from '../types/config.js';
import type { Facts } from '../types/facts.js';
import { finding, type Finding } from '../types/finding.js';
import type { ServerInfo } from '../types/server.js';
import { errantCount, errantOf } from './errant.js';
import { describeErrant } from '../gtid/errant.js';

export function judgePeer(facts: Facts, own: ServerInfo, role: Role): Finding[] {
  const peer = facts.peer;
  if (!peer) return [];
  if (!peer.ok) {
    return [finding('peer-unreachable', `cannot read peer ${peer.address} (${peer.error.failure}: ${peer.error.message}): whether both nodes are writable is not known`)];
  }
  const warnings: Finding[] = [];
  const id = peer.server.serverId;
  if (id !== null && id === own.serverId) {
    warnings.push(finding('peer-is-self', `peer ${peer.address} has this server's server_id ${id}: it names this node, not the other one`));
    return warnings;
  }
  if (isWritable(own) && isWritable(peer.server)) {
    warnings.push(finding('peer-writable', `this node and its peer ${peer.address} (server_id ${id ?? 'unknown'}) are both writable (${readOnlyText(peer.server)} there): writes reaching both diverge the pair`));
  }
  const errant = errantOf(facts, role);
  if (errant && errantCount(errant)) {
    warnings.push(finding('errant-transactions', `${describeErrant(errant)} (peer ${peer.address}): not eligible for switchover, and promoting it would diverge the pair; docs/errant-transactions.md says how to reconcile`));
  }
  return warnings;
}
