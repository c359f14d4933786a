import { tenths } from '../output/report-json.js';
import type { CheckReport } from '../types/facts.js';
import { errantCount, errantOf } from '../verdict/errant.js';
import type { TargetConfig } from './daemon-config.js';

/**
 * The status file's `peer` and `errantTransactions` keys, for a target with a `peer`: what the
 * last reading of the other node saw, and this node's errant GTIDs against it (null where not
 * judged: on the writer, or without both GTID states).
 */
export function peerStatus(target: TargetConfig, report: CheckReport | undefined): Record<string, unknown> {
  if (!target.peer) return {};
  const fact = report?.facts.peer;
  const role = report?.verdict.role;
  const errant = report && role && role !== 'unknown' ? errantOf(report.facts, role) : undefined;
  const peer = !fact
    ? { address: target.peer.label, up: null }
    : fact.ok
      ? {
          address: fact.address,
          up: true,
          readOnly: fact.server.readOnly,
          superReadOnly: fact.server.superReadOnly,
          serverId: fact.server.serverId,
          gtid: fact.gtid,
          at: new Date(fact.at).toISOString(),
          elapsedMs: tenths(fact.elapsedMs),
        }
      : { address: fact.address, up: false, error: `${fact.error.failure}: ${fact.error.message}`, at: new Date(fact.at).toISOString(), elapsedMs: tenths(fact.elapsedMs) };
  const errantJson = errant && { judged: errant.judged, count: errantCount(errant) ?? null, gtids: errant.gtids, ...(errant.why && { why: errant.why }) };
  return { peer, errantTransactions: errantJson ?? null };
}
