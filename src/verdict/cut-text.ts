import type { Facts } from '../types/facts.js';
import { finding, type Finding } from '../types/finding.js';
import { channelName } from './channel-fitness.js';

const SHOWN = 5;

/**
 * Text the server sent longer than check-mysql keeps (src/limits.ts) was cut and marked
 * "…[cut N bytes]": worth telling, since what we show is then not all the server said, but never
 * a reason on its own. A cut that matters (a GTID set to wait for, a --channel name) fails where
 * it is used.
 */
export function cutTextWarning(facts: Facts): Finding | undefined {
  const server = facts.server?.ok ? facts.server.value : undefined;
  const channels = facts.replication?.ok ? facts.replication.value : [];
  const cut = [...(server?.cut ?? []), ...channels.flatMap((c) => (c.cut ?? []).map((column) => `${column} of ${channelName(c)}`))];
  if (cut.length === 0) return undefined;
  const more = cut.length > SHOWN ? ` and ${cut.length - SHOWN} more` : '';
  return finding('text-cut', `the server sent text longer than check-mysql keeps, cut and marked "…[cut N bytes]": ${cut.slice(0, SHOWN).join(', ')}${more}`);
}
