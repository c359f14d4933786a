import type { TargetState } from '../types/target-state.js';

/** What the maintenance file says, in words: the reason, since when and who, or why it could not be read. */
export function maintenanceWords(maintenance: NonNullable<TargetState['maintenance']>): string {
  const { info, problem } = maintenance;
  if (info) return `${info.reason || '(no reason given)'} (since ${info.since}, by ${info.by || 'unknown'})`;
  return `its file cannot be read (${problem ?? 'unknown'}); the file is there, so the target stays in maintenance`;
}
