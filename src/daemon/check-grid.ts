/**
 * When a target's next regular check is due. Every target is checked at the multiples of its
 * interval on the process's monotonic clock, so all targets with the same interval are checked
 * at the same instants: one wake-up of the process sends all their statements and reads all their
 * answers. Measured on a replicated pair with 100 targets (docs/performance.md): mysql2 alone
 * sending the same statements costs 0.40 ms of CPU per check with the checks spread over the
 * second and 0.14 ms with them aligned; most of a check's cost was the process waking up for it.
 * The price: the checks of one instant run as a burst, so the last one's answer is read a little
 * later (about 0.1-0.2 ms per target ahead of it), which its duration shows.
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

/** Milliseconds from `now` to the next check of a target whose last check began at `lastStartedAt`. */
export function delayToNextSlot(now: number, lastStartedAt: number, intervalMs: number): number {
  let slot = (Math.floor(now / intervalMs) + 1) * intervalMs;
  if (slot - lastStartedAt < intervalMs * MIN_GAP_SHARE) slot += intervalMs;
  return slot - now;
}
