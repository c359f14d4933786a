import type { CheckReport } from '../types/facts.js';
import type { TargetState, Thresholds } from '../types/target-state.js';

export function initialState(now: number): TargetState {
  return { healthy: false, consecutiveOk: 0, consecutiveFail: 0, lastChangeAt: now, transitions: 0 };
}

/** Folds one check result into the state. Pure. */
export function applyCheck(state: TargetState, report: CheckReport, at: number, t: Thresholds): TargetState {
  const ok = report.verdict.healthy;
  const consecutiveOk = ok ? state.consecutiveOk + 1 : 0;
  const consecutiveFail = ok ? 0 : state.consecutiveFail + 1;
  const healthy = state.healthy ? consecutiveFail < t.fall : consecutiveOk >= t.rise;
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
  };
}
