import type { CheckReport } from '../types/facts.js';
import type { MaintenanceState } from '../types/maintenance-fs.js';
import type { TargetState, Thresholds } from '../types/target-state.js';

export function initialState(now: number): TargetState {
  return { healthy: false, consecutiveOk: 0, consecutiveFail: 0, lastChangeAt: now, transitions: 0 };
}

/** Folds one check result into the state. Pure. */
export function applyCheck(state: TargetState, report: CheckReport, at: number, t: Thresholds): TargetState {
  const ok = report.verdict.healthy;
  const consecutiveOk = ok ? state.consecutiveOk + 1 : 0;
  const consecutiveFail = ok ? 0 : state.consecutiveFail + 1;
  // Checks go on in maintenance (metrics stay live), but the verdict stays fault.
  const healthy = state.maintenance ? false : state.healthy ? consecutiveFail < t.fall : consecutiveOk >= t.rise;
  const changed = healthy !== state.healthy;
  return {
    healthy,
    consecutiveOk,
    consecutiveFail,
    lastChangeAt: changed ? at : state.lastChangeAt,
    transitions: state.transitions + (changed ? 1 : 0),
    lastReport: report,
    lastCheckAt: at,
    ...(ok ? { lastSuccessAt: at } : state.lastSuccessAt !== undefined ? { lastSuccessAt: state.lastSuccessAt } : {}),
    ...(state.maintenance && { maintenance: state.maintenance }),
  };
}

/**
 * Folds a change of the maintenance file into the state. Entering is the safe action: fault at
 * once, no `fall` to wait for. Leaving starts from fault with no good checks counted, so the
 * target comes back through the normal `rise`, like a fresh start. Pure.
 */
export function applyMaintenance(state: TargetState, maintenance: MaintenanceState, at: number): TargetState {
  const { maintenance: _was, ...rest } = state;
  if (!maintenance.on) return state.maintenance ? { ...rest, healthy: false, consecutiveOk: 0 } : state;
  const changed = state.healthy;
  return {
    ...rest,
    healthy: false,
    lastChangeAt: changed ? at : state.lastChangeAt,
    transitions: state.transitions + (changed ? 1 : 0),
    maintenance,
  };
}

/** Whether two maintenance states say the same (a rewrite with the same content is no change). */
export const sameMaintenance = (a: MaintenanceState | undefined, b: MaintenanceState | undefined): boolean =>
  (a?.on ?? false) === (b?.on ?? false) && JSON.stringify(a?.on ? [a.info, a.problem] : null) === JSON.stringify(b?.on ? [b.info, b.problem] : null);
