import { TEXT_LIMITS } from '../limits.js';
import type { Row } from '../types/row.js';
import type { Flavor, ServerInfo } from '../types/server.js';
import { keepText } from './server-text.js';

/** One round trip that works on every flavour; names missing from the result are simply absent. */
export const SERVER_VARIABLES_SQL =
  "SHOW GLOBAL VARIABLES WHERE Variable_name IN ('read_only','super_read_only','version','version_comment','innodb_version','server_id')";

const onOff = (v: string | undefined): boolean | null => (v === undefined ? null : /^(on|1|yes|true)$/i.test(v));

/** Parses SHOW VARIABLES rows (Variable_name, Value) into the facts the verdict needs. */
export function parseServerVariables(rows: readonly Row[]): ServerInfo {
  const vars = new Map<string, string>();
  for (const row of rows) {
    const name = row.Variable_name ?? row.VARIABLE_NAME;
    const value = row.Value ?? row.VARIABLE_VALUE;
    if (typeof name === 'string') vars.set(name.toLowerCase(), value === null || value === undefined ? '' : String(value));
  }
  const readOnly = onOff(vars.get('read_only'));
  if (readOnly === null) throw new Error('server did not report read_only');
  const cut: string[] = [];
  // These become labels of mysql_version_info and words in every output: bounded like all server text.
  const label = (name: string): string => {
    const kept = keepText(vars.get(name) ?? '', TEXT_LIMITS.label);
    if (kept.cutBytes > 0) cut.push(name);
    return kept.text;
  };
  const version = label('version');
  const versionComment = label('version_comment');
  const innodbVersion = label('innodb_version');
  const serverId = Number(vars.get('server_id'));
  return {
    version,
    versionComment,
    innodbVersion,
    flavor: detectFlavor(version, versionComment),
    serverId: Number.isInteger(serverId) && vars.has('server_id') ? serverId : null,
    readOnly,
    superReadOnly: onOff(vars.get('super_read_only')),
    ...(cut.length > 0 && { cut }),
  };
}

export function detectFlavor(version: string, versionComment = ''): Flavor {
  return /mariadb/i.test(version) || /mariadb/i.test(versionComment) ? 'mariadb' : 'mysql';
}
