import { UsageError } from '../usage-error.js';

/** keepalived's generic `notify` appends TYPE NAME STATE PRIORITY (core/notify.c). */
export type NotifyState = 'MASTER' | 'BACKUP' | 'FAULT' | 'STOP' | 'DELETED';

export interface NotifyEvent {
  readonly type: 'INSTANCE' | 'GROUP';
  readonly name: string;
  readonly state: NotifyState;
  readonly priority: number | null;
}

const STATES: readonly NotifyState[] = ['MASTER', 'BACKUP', 'FAULT', 'STOP', 'DELETED'];

export function parseNotifyEvent(words: readonly string[]): NotifyEvent {
  if (words.length < 3 || words.length > 4) {
    throw new UsageError(`expected keepalived's TYPE NAME STATE [PRIORITY] after the options, got ${words.length} word(s)`);
  }
  const [type, name, state, priority] = words as [string, string, string, string?];
  if (type !== 'INSTANCE' && type !== 'GROUP') throw new UsageError(`invalid notify TYPE '${type}': expected INSTANCE or GROUP`);
  if (!(STATES as readonly string[]).includes(state)) throw new UsageError(`invalid notify STATE '${state}': expected one of ${STATES.join(', ')}`);
  // Decimal digits only: Number() would also take '', ' 7', '0x64' and '1e2'.
  const prio = priority === undefined ? null : /^\d+$/.test(priority) ? Number(priority) : NaN;
  if (prio !== null && (!Number.isInteger(prio) || prio < 0 || prio > 255)) throw new UsageError(`invalid notify PRIORITY '${priority}': expected 0 to 255`);
  return { type, name, state: state as NotifyState, priority: prio };
}

/** What the server should become for this state. DELETED: the instance is gone; leave things be. */
export function wantedRole(state: NotifyState): 'writer' | 'standby' | 'none' {
  if (state === 'MASTER') return 'writer';
  if (state === 'DELETED') return 'none';
  return 'standby';
}
