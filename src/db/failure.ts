/**
 * Driver and socket errors in, a failure class out. Pure. Server error numbers are MySQL's/MariaDB's.
 */
import { DbFailure, type FailureClass } from '../types/failure.js';
import { TEXT_LIMITS } from '../limits.js';
import { keepText } from '../dialect/server-text.js';

const BY_ERRNO: Readonly<Record<number, FailureClass>> = {
  1040: 'saturated', // ER_CON_COUNT_ERROR
  1203: 'saturated', // ER_TOO_MANY_USER_CONNECTIONS
  1226: 'saturated', // ER_USER_LIMIT_REACHED
  1129: 'host-blocked', // ER_HOST_IS_BLOCKED
  1044: 'access-denied', // ER_DBACCESS_DENIED_ERROR
  1045: 'access-denied', // ER_ACCESS_DENIED_ERROR
  1130: 'access-denied', // ER_HOST_NOT_PRIVILEGED
  1251: 'access-denied', // ER_NOT_SUPPORTED_AUTH_MODE
  1698: 'access-denied', // ER_ACCESS_DENIED_NO_PASSWORD_ERROR
  4151: 'access-denied', // MariaDB ER_ACCOUNT_HAS_BEEN_LOCKED
  3118: 'access-denied', // MySQL ER_ACCOUNT_HAS_BEEN_LOCKED
  3159: 'access-denied', // MySQL ER_SECURE_TRANSPORT_REQUIRED: a plain login under require_secure_transport
};

const BY_CODE: Readonly<Record<string, FailureClass>> = {
  ECONNREFUSED: 'refused',
  ENOENT: 'refused', // Unix socket file missing: mysqld not running
  ECONNRESET: 'connect-error',
  ETIMEDOUT: 'timeout',
  ENOTFOUND: 'unknown-host',
  EAI_AGAIN: 'unknown-host',
  EAI_FAIL: 'unknown-host',
  EHOSTUNREACH: 'unreachable',
  ENETUNREACH: 'unreachable',
  EHOSTDOWN: 'unreachable',
  ENETDOWN: 'unreachable',
  EADDRNOTAVAIL: 'unreachable',
  EACCES: 'access-denied', // socket file permissions
  // mysql2's own codes, for what db/tls-upgrade.ts and db/auth-plugins.ts do not name themselves.
  HANDSHAKE_NO_SSL_SUPPORT: 'tls-unavailable',
  HANDSHAKE_SSL_ERROR: 'tls-error',
  MYSQL_CLEAR_PASSWORD_NOT_ENABLED: 'password-withheld', // a server asking for the password in clear
};

/** The set of classes where the server is up and answering, just not letting us in. */
export const ALIVE_BUT_REFUSING: ReadonlySet<FailureClass> = new Set(['saturated', 'host-blocked']);

export function classifyDriverError(err: unknown, phase: 'connect' | 'query' = 'connect'): DbFailure {
  if (err instanceof DbFailure) return err;
  const e = (err ?? {}) as { errno?: unknown; code?: unknown; message?: unknown };
  const errno = typeof e.errno === 'number' && e.errno > 0 && e.errno < 100000 ? e.errno : undefined;
  const code = typeof e.code === 'string' ? e.code : undefined;
  // A server's error message is its own text: bounded and cleaned like any other it sends.
  const message = keepText(typeof e.message === 'string' && e.message !== '' ? e.message : String(code ?? 'unknown error'), TEXT_LIMITS.error).text;
  const failure = (errno !== undefined ? BY_ERRNO[errno] : undefined) ?? (code ? BY_CODE[code] : undefined) ?? (phase === 'query' ? 'query-error' : 'connect-error');
  return new DbFailure(failure, errno !== undefined ? `${message} (errno ${errno})` : message, errno);
}
