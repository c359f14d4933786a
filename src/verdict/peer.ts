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
import { errantOf } from './errant.js';

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
  if (errant?.count) {
    warnings.push(finding('errant-transactions', `${errant.count} transaction(s) executed here that peer ${peer.address} has not (${errant.gtids}): promoting this node would diverge the pair; see docs/errant-transactions.md`));
  }
  return warnings;
}
