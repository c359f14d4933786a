/**
 * Errant transactions of a standby: GTIDs it executed that its peer, the writer, has not (the
 * rule itself is src/gtid/'s). Judged on a standby only: on the writer, GTIDs the standby lacks
 * are lag, not errors.
 */
import type { Role } from '../types/config.js';
import type { Facts } from '../types/facts.js';

export interface Errant {
  /** How many transactions. */
  readonly count: number;
  /** The errant GTIDs, as the flavour writes a set. */
  readonly gtids: string;
}

/** Undefined when not judged: not a standby, no peer reading, a GTID state unread or cut. */
export function errantOf(facts: Facts, role: Role): Errant | undefined {
  if (role !== 'standby' || !facts.peer?.ok || !facts.gtid?.ok) return undefined;
  return undefined; // filled in with src/gtid/'s rule
}
