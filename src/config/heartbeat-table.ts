import type { HeartbeatTable } from '../types/heartbeat.js';
import { invalidValue, type SettingNames } from './values.js';

/**
 * MySQL's identifier rules (https://dev.mysql.com/doc/refman/8.0/en/identifiers.html): unquoted,
 * letters, digits, `$`, `_` and U+0080..U+FFFF, not digits alone; quoted in backticks, any
 * character of the Basic Multilingual Plane but NUL, and no trailing space. At most 64
 * characters. A backtick inside a quoted name is refused rather than escaped: no real heartbeat
 * table needs one, and the name is pasted into SQL.
 */
const UNQUOTED = /^[0-9A-Za-z$_\u0080-\uD7FF\uE000-\uFFFF]{1,64}$/;
const QUOTED_BODY = /^[^`\u0000\uD800-\uDFFF]{1,64}$/;
const PART = '(`[^`]*`|[^.`]*)';
const NAME = new RegExp(`^${PART}\\.${PART}$`);

function part(written: string): string | undefined {
  if (written.startsWith('`')) {
    const body = written.slice(1, -1);
    return QUOTED_BODY.test(body) && !body.endsWith(' ') ? body : undefined;
  }
  return UNQUOTED.test(written) && !/^\d+$/.test(written) ? written : undefined;
}

const quote = (name: string): string => `\`${name}\``;

/** `heartbeat.heartbeat` or `` `my db`.`beat` `` -> the table, or a UsageError naming the setting. */
export function heartbeatTable(key: string, value: string, names: SettingNames): HeartbeatTable {
  const m = NAME.exec(value.trim());
  const database = m && part(m[1]!);
  const table = m && part(m[2]!);
  if (!database || !table) {
    throw invalidValue(key, value, 'DB.TABLE, each a MySQL identifier (letters, digits, $ and _, at most 64 characters, or quoted in backticks), e.g. heartbeat.heartbeat', names);
  }
  return Object.freeze({ database, table, quoted: `${quote(database)}.${quote(table)}` });
}
