import type { CheckReport } from './facts.js';
import type { MaintenanceState } from './maintenance-fs.js';

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
  /** Present while the target's maintenance file exists: then `healthy` is false, whatever the checks say. */
  readonly maintenance?: Extract<MaintenanceState, { on: true }>;
}

export interface Thresholds {
  readonly rise: number;
  readonly fall: number;
}
