import { readOnlyText } from '../dialect/read-only-state.js';
import type { CheckReport } from '../types/facts.js';
import { render } from '../types/finding.js';

/** The verdict's warnings that come from the peer's reading (src/verdict/peer.ts). */
export const PEER_CODES: ReadonlySet<string> = new Set(['peer-unreachable', 'peer-is-self', 'peer-writable', 'errant-transactions']);

export interface PeerLine {
  /** Equal keys say the same thing: one line per change, never one per check. */
  readonly key: string;
  readonly level: 'info' | 'warn';
  readonly line: string;
  readonly fields: Record<string, unknown>;
}

/** What the target's last check says about its peer; undefined before the peer was first read. */
export function peerLine(targetName: string, report: CheckReport | undefined): PeerLine | undefined {
  const peer = report?.facts.peer;
  // While this node's own read_only is unknown, nothing about the pair was judged: no news.
  if (!report || !peer || !report.facts.server?.ok) return undefined;
  const found = report.verdict.warnings.filter((w) => PEER_CODES.has(w.code));
  const codes = found.map((w) => w.code);
  // An unreachable peer's error text may vary from try to try; that it stays unreachable is no news.
  const key = found.map((w) => (w.code === 'peer-unreachable' ? w.code : render(w))).join('\n');
  const fields = { target: targetName, peer: peer.address, peerWarnings: codes };
  if (found.length > 0) return { key, level: 'warn', line: `${targetName}: peer ${peer.address}: ${found.map(render).join('; ')}`, fields };
  const state = peer.ok ? readOnlyText(peer.server) : 'not read';
  return { key, level: 'info', line: `${targetName}: peer ${peer.address} read (${state}): not both writable, no errant transactions here`, fields };
}
