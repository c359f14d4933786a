/**
 * The daemon's reading of a target's peer: read_only, server_id and the GTID state, in one round
 * trip on a connection held from check to check like the target's, under the target's check's
 * deadline. Reads run beside the target's check and never hold it up: the monitor judges with
 * the last reading that has ended, and judges again when a later one ends (monitor.ts).
 */
import { classifyDriverError } from '../db/failure.js';
import { gtidStateSql, parseGtidState } from '../gtid/gtid-state.js';
import { SERVER_VARIABLES_SQL, parseServerVariables } from '../dialect/server-info.js';
import type { ConnectionConfig } from '../types/config.js';
import type { Deadline } from '../types/deadline.js';
import type { PeerFact } from '../types/peer.js';
import type { Connector, Session } from '../types/session.js';
import type { Flavor } from '../types/server.js';
import type { Row } from '../types/row.js';

export interface PeerWatchDeps {
  readonly connect: Connector;
  /** Milliseconds, monotonic. */
  readonly now: () => number;
  /** Epoch milliseconds. */
  readonly wallClock: () => number;
}

export class PeerWatch {
  private session: Session | undefined;
  private reading: Promise<PeerFact> | undefined;
  private last: PeerFact | undefined;
  /** The flavour the held session's server showed: its GTID statement then rides with the variables. */
  private flavor: Flavor | undefined;
  private stopped = false;

  constructor(
    private readonly peer: ConnectionConfig,
    private readonly deps: PeerWatchDeps,
  ) {}

  /** The last reading that ended; undefined before the first. */
  get latest(): PeerFact | undefined {
    return this.last;
  }

  /** Whether a reading is running now. */
  get busy(): boolean {
    return this.reading !== undefined;
  }

  /**
   * Starts a reading under `deadline` and resolves with it; while one runs (a hung peer, up to its
   * deadline) that one is returned instead, so readings never pile up. Never rejects.
   */
  read(deadline: Deadline): Promise<PeerFact> {
    this.reading ??= this.readOnce(deadline).then((fact) => {
      this.reading = undefined;
      if (!this.stopped) this.last = fact;
      return fact;
    });
    return this.reading;
  }

  /** Quits the held connection, bounded by `deadline`. */
  async stop(deadline: Deadline): Promise<void> {
    this.stopped = true;
    const session = this.session;
    this.session = undefined;
    if (session?.usable) await session.close(deadline);
  }

  /** One round trip once the flavour is known; the first reading on a session asks it first. */
  private async ask(session: Session, deadline: Deadline): Promise<{ server: ReturnType<typeof parseServerVariables>; gtidRows: Row[] }> {
    if (this.flavor) {
      const [variables, gtidRows] = await session.queryBatch([SERVER_VARIABLES_SQL, gtidStateSql(this.flavor)], deadline);
      const server = parseServerVariables(variables ?? []);
      // A flavour that changed under a held session cannot happen; if it did, its answer is not used.
      if (server.flavor === this.flavor) return { server, gtidRows: gtidRows ?? [] };
    }
    const server = parseServerVariables(await session.query(SERVER_VARIABLES_SQL, deadline));
    return { server, gtidRows: await session.query(gtidStateSql(server.flavor), deadline) };
  }

  private async readOnce(deadline: Deadline): Promise<PeerFact> {
    const started = this.deps.now();
    const fact = { address: this.peer.label };
    try {
      if (!this.session?.usable) {
        const session = await this.deps.connect(this.peer, deadline);
        if (this.stopped) {
          await session.close(deadline);
          throw new Error('stopped');
        }
        this.session = session;
        // Another server process may be another flavour: nothing is known until it is asked.
        this.flavor = undefined;
      }
      const { server, gtidRows } = await this.ask(this.session, deadline);
      this.flavor = server.flavor;
      return { ...fact, ok: true, server, gtid: parseGtidState(server.flavor, gtidRows), elapsedMs: this.deps.now() - started, at: this.deps.wallClock() };
    } catch (err) {
      // A timed-out query tears its connection down (db/mysql.ts): the next reading reconnects.
      if (this.session && !this.session.usable) this.session = undefined;
      return { ...fact, ok: false, error: classifyDriverError(err, 'query'), elapsedMs: this.deps.now() - started, at: this.deps.wallClock() };
    }
  }
}
