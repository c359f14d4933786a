import { isIP } from 'node:net';
import { integer, invalidValue, type SettingNames } from './values.js';

/** The daemon's `peer` and switchover's `--peer`: the other node of the pair, always over TCP; no port means the target's. */
export interface PeerAddress {
  readonly host: string;
  readonly port?: number;
}

/** A DNS name is at most 253 characters; letters, digits, '-', '.', '_' (and an address). */
const HOST_NAME = /^[A-Za-z0-9_]([A-Za-z0-9_.-]{0,252})$/;

/** HOST, HOST:PORT, [IPv6] or [IPv6]:PORT; a bare IPv6 address takes no port. `portNames` names the port in its error. */
export function peerAddress(key: string, value: string, names: SettingNames, portNames: SettingNames = names): PeerAddress {
  const v = value.trim();
  const expected = 'HOST or HOST:PORT (an IPv6 address in brackets: [2001:db8::2]:3306), reached over TCP';
  const m = /^\[([^\]]+)\](?::(.*))?$/.exec(v) ?? (isIP(v) === 6 ? [v, v, undefined] : /^([^:]+)(?::(.*))?$/.exec(v));
  const host = m?.[1];
  if (!m || host === undefined || (isIP(host) === 0 && !HOST_NAME.test(host)) || (v.startsWith('[') && isIP(host) !== 6)) throw invalidValue(key, value, expected, names);
  // As for the mysql client, "localhost" would mean the Unix socket: the peer is another node.
  if (host.toLowerCase() === 'localhost') throw invalidValue(key, value, `${expected}; localhost would be this node's own socket`, names);
  const port = m[2] === undefined ? undefined : integer(key, m[2], 1, 65535, portNames);
  return port === undefined ? { host } : { host, port };
}

/** How the peer is named in messages, labels and the status file: host:port, [v6]:port. */
export const peerLabel = (host: string, port: number): string => (host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`);
