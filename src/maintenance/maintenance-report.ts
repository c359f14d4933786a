import { DbFailure } from '../types/failure.js';
import type { CheckReport } from '../types/facts.js';
import { finding } from '../types/finding.js';
import type { MaintenanceState } from '../types/maintenance-fs.js';
import { maintenanceWords } from './maintenance-words.js';

/** The reason code of a check refused because the target is in maintenance. */
export const MAINTENANCE = 'maintenance';

/**
 * The one-shot check's answer in maintenance, reached without connecting: keepalived must give
 * the VIP up (or never take it) however healthy the server is, and the server is not disturbed.
 */
export function maintenanceReport(target: string, path: string, maintenance: Extract<MaintenanceState, { on: true }>): CheckReport {
  const reason = finding(MAINTENANCE, `${path} exists: ${maintenanceWords(maintenance)}`);
  return {
    facts: { target, connect: { ok: false, error: new DbFailure('connect-error', 'not connected: in maintenance'), elapsedMs: 0 } },
    verdict: { healthy: false, role: 'unknown', reasons: [reason], warnings: [], checks: [{ name: MAINTENANCE, ok: false, detail: reason.message }] },
    elapsedMs: 0,
  };
}
