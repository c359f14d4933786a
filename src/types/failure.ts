import type { Row } from './row.js';

/**
 * Why a server could not be talked to, in the classes an operator acts on differently.
 * The classification of driver errors lives in db/failure.ts.
 */
export type FailureClass =
  | 'refused' // nothing listening (or the socket file is missing): mysqld is down
  | 'timeout' // hung server or dropped packets: the deadline ran out
  | 'unknown-host' // DNS could not resolve the name
  | 'unreachable' // no route, network down
  | 'access-denied' // 1045 and friends: credentials or grants are wrong
  | 'saturated' // alive but refusing: 1040 too many connections, 1203, 1226
  | 'host-blocked' // alive but refusing: 1129, our host hit max_connect_errors
  | 'tls-unavailable' // TLS is required (--ssl-mode REQUIRED or stricter) but the server does not offer it
  | 'tls-verify-failed' // the server's certificate does not chain to --ssl-ca (or is expired, revoked)
  | 'tls-name-mismatch' // the certificate is not for the host name or address connected to (VERIFY_IDENTITY)
  | 'tls-error' // any other TLS failure: no common version or cipher, our certificate refused, unusable TLS files
  | 'password-withheld' // the server asked for the password where we will not send it (auth-plugins.ts)
  | 'connect-error' // anything else while connecting: protocol errors, server shutting down, ...
  | 'query-error' // the server answered a query with an error (errno says which)
  | 'too-many-rows' // more rows than any probe reads (src/limits.ts): not read further
  | 'oversized'; // more bytes or columns than any answer has (src/limits.ts): not read further

export class DbFailure extends Error {
  override readonly name = 'DbFailure';
  constructor(
    readonly failure: FailureClass,
    message: string,
    readonly errno?: number,
  ) {
    super(message);
  }
}

/**
 * An answer that went past a cap of src/limits.ts. The driver stopped reading and dropped the
 * connection; the result sets it had read whole before that are kept, so the probes whose
 * statements came first in a round trip still get their answers.
 */
export class OversizedAnswer extends DbFailure {
  constructor(
    failure: 'too-many-rows' | 'oversized',
    message: string,
    readonly completed: readonly (readonly Row[])[],
  ) {
    super(failure, message);
  }
}
