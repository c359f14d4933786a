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
  | 'connect-error' // anything else while connecting: protocol errors, server shutting down, ...
  | 'query-error'; // the server answered a query with an error (errno says which)

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
