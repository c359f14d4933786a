/** What the switchover's steps share about reading a server: the policy its probes run under, and one line for any error. */
import { classifyDriverError } from '../db/failure.js';
import { GtidStateError } from '../gtid/gtid-state.js';
import type { Policy } from '../types/config.js';

/** The probes only read variables and channels here; a role is needed by their type, not used. */
export const POLICY = (maxLagSeconds: number): Policy => ({ maxLagSeconds, role: 'standby', onSaturated: 'unhealthy', channels: [] });

/** A driver error as classifyDriverError words it; anything else (a GTID state refused, a bug) by its message. */
export const problemOf = (err: unknown): string => (err instanceof GtidStateError || !(err as { errno?: unknown })?.errno ? (err as Error)?.message ?? String(err) : classifyDriverError(err, 'query').message);
