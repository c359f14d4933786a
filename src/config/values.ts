import { isIP, SocketAddress } from 'node:net';
import { UsageError } from '../usage-error.js';
import { DEFAULTS } from './defaults.js';

/**
 * How an error names the setting it is about: as the flag (`--port`) on the command line, as the
 * bare key (`port`) in a config file, whose file and section the caller puts in front.
 */
export type SettingNames = (key: string) => string;
export const asFlag: SettingNames = (key) => `--${key}`;
export const asFileKey: SettingNames = (key) => key;

/** Keys whose value an error message must never repeat. */
const SECRET_KEYS = new Set(['password']);

/** The one phrasing of a bad value: "invalid --port '33o6': expected a whole number from 1 to 65535". */
export const invalidValue = (key: string, value: string, expected: string, names: SettingNames): UsageError =>
  new UsageError(`invalid ${names(key)} ${SECRET_KEYS.has(key) ? '(value not shown)' : `'${value}'`}: expected ${expected}`);

export function choice<T extends string>(key: string, value: string, allowed: readonly T[], names: SettingNames): T {
  if (!(allowed as readonly string[]).includes(value)) throw invalidValue(key, value, `one of ${allowed.join(', ')}`, names);
  return value as T;
}

export function integer(key: string, value: string, min: number, max: number, names: SettingNames): number {
  const n = /^\d+$/.test(value.trim()) ? Number(value) : NaN;
  if (!Number.isInteger(n) || n < min || n > max) throw invalidValue(key, value, `a whole number from ${min} to ${max}`, names);
  return n;
}

export function seconds(key: string, value: string | undefined, fallback: number, range: { min: number; max: number }, names: SettingNames): number {
  if (value === undefined) return fallback;
  const n = /^\d+(\.\d+)?$|^\.\d+$/.test(value.trim()) ? Number(value) : NaN;
  if (!Number.isFinite(n) || n < range.min || n > range.max) throw invalidValue(key, value, `seconds from ${range.min} to ${range.max}`, names);
  return n;
}

/**
 * An IP address as os.networkInterfaces() prints it (inet_ntop: IPv6 lower-case and compressed),
 * so `2001:DB8:0::10` matches the interface's `2001:db8::10`. No zone id (`fe80::1%eth0`): the
 * interface table lists addresses without one, so such a VIP would never be seen as held.
 */
export function address(key: string, value: string, names: SettingNames): string {
  const v = value.trim();
  if (v.includes('%')) throw invalidValue(key, value, 'an IPv4 or IPv6 address without a zone id (%...), as interfaces list it', names);
  const family = isIP(v);
  if (family === 0) throw invalidValue(key, value, 'an IPv4 or IPv6 address', names);
  return new SocketAddress({ address: v, family: family === 4 ? 'ipv4' : 'ipv6' }).address;
}

export function listenAddress(key: string, value: string, names: SettingNames): { host: string; port: number } {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:\s]*)):(\d+)$/.exec(value.trim());
  const port = m ? Number(m[3]) : NaN;
  if (!m || !Number.isInteger(port) || port < 1 || port > 65535) {
    throw invalidValue(key, value, `HOST:PORT with a port from 1 to 65535, e.g. ${DEFAULTS.listen}`, names);
  }
  return { host: m[1] ?? (m[2] || '127.0.0.1'), port };
}

/** A value and where it was written: on the command line, or in a file's section ("daemon.cnf [daemon]"). */
export interface Written {
  readonly value: string;
  readonly section?: string;
}

/**
 * Runs a validation with the naming of where its values were written: `invalid --fall '0'` from
 * the command line (section undefined), `daemon.cnf [target db1]: invalid fall '0'` from a file.
 */
export function readAt<T>(section: string | undefined, read: (names: SettingNames) => T): T {
  if (section === undefined) return read(asFlag);
  try {
    return read(asFileKey);
  } catch (err) {
    if (err instanceof UsageError) throw new UsageError(`${section}: ${err.message}`);
    throw err;
  }
}

/** One value, validated by `read` and named as it was written. */
export const readWritten = <T>(written: Written | undefined, read: (value: string | undefined, names: SettingNames) => T): T =>
  readAt(written?.section, (names) => read(written?.value, names));
