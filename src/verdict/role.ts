import type { Policy, Role } from '../types/config.js';
import type { Facts } from '../types/facts.js';
import type { ServerInfo } from '../types/server.js';
import { isReadOnly } from '../dialect/read-only-state.js';

/**
 * The one rule for a node's role, used by the verdict and by the probes that act on it (the
 * heartbeat write goes to the writer only): --role forces it; else the holder of --vip is the
 * writer; else read_only=OFF is.
 */
export function roleOf(server: ServerInfo, vip: Facts['vip'], policy: Policy): Role {
  return roleWithoutServer(vip, policy) ?? (isReadOnly(server) ? 'standby' : 'writer');
}

/** The role that --role or the VIP gives, which needs no answer from the server; undefined when only read_only could tell. */
export function roleWithoutServer(vip: Facts['vip'], policy: Policy): Role | undefined {
  if (policy.role !== 'auto') return policy.role;
  if (vip) return vip.held ? 'writer' : 'standby';
  return undefined;
}
