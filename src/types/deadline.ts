/**
 * One wall-clock budget for a whole check. Every connect and query takes what is left of it,
 * so a check can never outlive keepalived's vrrp_script timeout (which SIGTERMs, then SIGKILLs).
 */
export interface Deadline {
  readonly totalMs: number;
  remainingMs(): number;
}
