import { gtidStateSql, parseGtidState } from '../gtid/gtid-state.js';
import type { Probe } from './probe.js';

/**
 * This server's GTID state, read only for a daemon target with a `peer`: errant transactions are
 * this node's GTIDs that the peer has not executed (src/verdict/errant.ts). Needs the flavour.
 */
export const gtidState = {
  name: 'gtid_state',
  fact: 'gtid',
  plan: ({ server }, policy) => (server && policy.peer !== undefined ? { statements: [gtidStateSql(server.flavor)] } : undefined),
  parse: ([rows], { server }) => parseGtidState(server!.flavor, rows!),
} satisfies Probe<'gtid'>;
