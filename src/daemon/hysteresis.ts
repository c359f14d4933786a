import type { CheckReport } from '../check.js';

/**
 * One target's state as the daemon keeps it: the raw result of the last check, and the verdict
 * after rise/fall hysteresis, which is what keepalived and load balancers are told.
 * Like keepalived's init_fail, a target starts in fault and needs `rise` good checks.
 */
export interface TargetState {
  readonly healthy: boolean;
  readonly consecutiveOk: number;
  readonly consecutiveFail: number;
  /** Epoch ms of the last change of `healthy` (the start time until the first change). */
  readonly lastChangeAt: number;
  readonly transitions: number;
  readonly lastReport?: CheckReport;
  /** Epoch ms when the last check finished. */
  readonly lastCheckAt?: number;
  /** Epoch ms when the last healthy check finished. */
  readonly lastSuccessAt?: number;
}

export interface Thresholds {
  readonly rise: number;
  readonly fall: number;
}

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
