import { TEXT_LIMITS } from '../limits.js';
import type { GtidState } from '../types/gtid-state.js';
import type { Row } from '../types/row.js';
import type { Flavor } from '../types/server.js';
import { keepText } from './server-text.js';

/** One statement for both flavours: the names a flavour lacks are simply absent from the answer. */
export const GTID_STATE_SQL =
  "SHOW GLOBAL VARIABLES WHERE Variable_name IN ('gtid_mode','gtid_executed','server_uuid','gtid_domain_id','gtid_binlog_pos','gtid_current_pos','gtid_slave_pos')";

const SETS = ['gtid_executed', 'gtid_binlog_pos', 'gtid_current_pos', 'gtid_slave_pos'] as const;

/** Parses SHOW VARIABLES rows (Variable_name, Value) into a GTID state; sets longer than TEXT_LIMITS.gtid are cut and marked. */
export function parseGtidState(rows: readonly Row[], flavor: Flavor): GtidState {
  const vars = new Map<string, string>();
  for (const row of rows) {
    const name = row.Variable_name ?? row.VARIABLE_NAME;
    const value = row.Value ?? row.VARIABLE_VALUE;
    if (typeof name === 'string') vars.set(name.toLowerCase(), value === null || value === undefined ? '' : String(value));
  }
  const cut: string[] = [];
  const set = (name: (typeof SETS)[number]): string | null => {
    const raw = vars.get(name);
    if (raw === undefined) return null;
    const kept = keepText(raw.replace(/\s+/g, ''), TEXT_LIMITS.gtid);
    if (kept.cutBytes > 0) cut.push(name);
    return kept.text;
  };
  const short = (name: string, limit: number): string | null => (vars.has(name) ? keepText(vars.get(name)!, limit).text : null);
  const domain = Number(vars.get('gtid_domain_id'));
  return {
    flavor,
    executed: set('gtid_executed'),
    serverUuid: short('server_uuid', TEXT_LIMITS.uuid),
    gtidMode: short('gtid_mode', TEXT_LIMITS.label),
    binlogPos: set('gtid_binlog_pos'),
    currentPos: set('gtid_current_pos'),
    slavePos: set('gtid_slave_pos'),
    domainId: vars.has('gtid_domain_id') && Number.isInteger(domain) ? domain : null,
    ...(cut.length > 0 && { cut }),
  };
}
