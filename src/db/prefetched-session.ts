import type { Row } from '../types/row.js';
import { classifyDriverError } from './failure.js';
import type { DbFailure } from '../types/failure.js';
import type { Session } from '../types/session.js';

/**
 * A session whose answers to some statements were already fetched (in one round trip). The probes
 * run unchanged: their query() is served from the batch, or gets the batch's failure, so a
 * timeout still reads as a timeout.
 */
export function prefetched(session: Session, statements: readonly string[], outcome: Row[][] | DbFailure): Session {
  return {
    get usable() {
      return session.usable;
    },
    onLost: (listener) => session.onLost(listener),
    close: (deadline) => session.close(deadline),
    queryBatch: (sqls, deadline) => session.queryBatch(sqls, deadline),
    async query(sql, deadline) {
      const i = statements.indexOf(sql);
      if (i < 0) return session.query(sql, deadline);
      if (!Array.isArray(outcome)) throw outcome;
      const rows = outcome[i];
      if (!Array.isArray(rows)) throw classifyDriverError(new Error(`no result for ${sql} in the batch`), 'query');
      return rows;
    },
  };
}
