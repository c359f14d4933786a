/**
 * When this node last saw the VIP not held: what --promotion-grace is measured from. keepalived
 * moves the VIP first and starts the notify handler (which makes the node writable) after it,
 * so for a moment the new holder is rightly read-only. Only a sighting of "not held" is ever
 * recorded, never "held since": the grace then runs from the last check that saw the VIP away,
 * which is at or before its arrival, so it can only end early, never late.
 */
export type VipSeen = (vip: string, held: boolean, lockFile: string | undefined) => number | undefined;

/** The daemon's memory of it, per VIP address; nothing is known before its first check sees the VIP away. */
export function vipSeenInMemory(now: () => number): VipSeen {
  const lastNotHeld = new Map<string, number>();
  return (vip, held) => {
    const t = now();
    if (!held) {
      lastNotHeld.set(vip, t);
      return 0;
    }
    const seen = lastNotHeld.get(vip);
    return seen === undefined ? undefined : t - seen;
  };
}
