import type { DbFailure } from './failure.js';
import type { GtidState } from './gtid.js';
import type { ServerInfo } from './server.js';

/** What the daemon read of a target's peer (the other node of the pair), or why it could not. */
export type PeerFact =
  | { readonly address: string; readonly ok: true; readonly server: ServerInfo; readonly gtid: GtidState; readonly elapsedMs: number; /** Epoch ms of the reading. */ readonly at: number }
  | { readonly address: string; readonly ok: false; readonly error: DbFailure; readonly elapsedMs: number; readonly at: number };
