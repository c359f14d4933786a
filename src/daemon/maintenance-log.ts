import type { TargetState } from '../types/target-state.js';
import type { TargetConfig } from './daemon-config.js';
import { maintenanceWords } from '../maintenance/maintenance-words.js';

/** The one log line that marks a change of maintenance, and its fields. */
export function maintenanceLine(target: TargetConfig, maintenance: TargetState['maintenance'], off?: 'off'): { fields: Record<string, unknown>; line: string } {
  const base = { target: target.name, maintenanceFile: target.maintenanceFile };
  if (off || !maintenance) {
    return { fields: { ...base, maintenance: false }, line: `${target.name}: maintenance off (${target.maintenanceFile} removed); healthy again after ${target.rise} good check(s)` };
  }
  const { info, problem } = maintenance;
  return {
    fields: { ...base, maintenance: true, ...(info && { reason: info.reason, since: info.since, by: info.by }), ...(problem && { problem }) },
    line: `${target.name}: maintenance on: ${maintenanceWords(maintenance)}; track file set to fault`,
  };
}
