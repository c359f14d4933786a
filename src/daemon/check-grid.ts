/**
 * When a target's next regular check is due. Every target is checked at the multiples of its
 * interval on the process's monotonic clock, so all targets with the same interval are checked
 * at the same instants: one wake-up of the process sends all their statements and reads all their
 * answers. Measured on a replicated pair with 100 targets (docs/performance.md): mysql2 alone
 * sending the same statements costs 0.40 ms of CPU per check with the checks spread over the
 * second and 0.14 ms with them aligned; most of a check's cost was the process waking up for it.
 * The price: the checks of one instant run as a burst, and a check's wall time includes waiting
 * for the others' answers to be read (100 targets on one 2-core machine with their servers: 38 ms
 * on average instead of 3 ms). So at most TARGETS_PER_INSTANT targets share an instant: the next
 * ones in the config are checked a tenth of an interval later, and so on, so that a daemon with
 * many targets never runs into its own deadlines with its own backlog.
 *
 * Fixed rate, not fixed delay: a slow check does not shift the ones after it (a check that took
 * 300 ms of a 1 s interval is followed 700 ms later), and a check that ran past its slot is
 * followed by the next slot. A check out of turn (a lost connection, leaving maintenance, a
 * failure being confirmed) does not move the grid.
 */

/**
 * A slot closer than this share of the interval to the last check's start is skipped: a timer
 * can fire a few ms before its time on this clock (libuv keeps its own, coarser one), and a check
 * that began just before its slot must not be followed by another in the same slot.
 */
const MIN_GAP_SHARE = 0.25;

export const TARGETS_PER_INSTANT = 100;
const PHASES = 10;

/** Where in its interval the target at this position of the config is checked (ms after the multiples). */
export const phaseOf = (position: number, intervalMs: number): number => ((Math.floor(position / TARGETS_PER_INSTANT) % PHASES) * intervalMs) / PHASES;

/** Milliseconds from `now` to the next check of a target whose last check began at `lastStartedAt`. */
export function delayToNextSlot(now: number, lastStartedAt: number, intervalMs: number, phaseMs = 0): number {
  const t = now - phaseMs;
  let slot = (Math.floor(t / intervalMs) + 1) * intervalMs;
  if (slot - (lastStartedAt - phaseMs) < intervalMs * MIN_GAP_SHARE) slot += intervalMs;
  return slot - t;
}
