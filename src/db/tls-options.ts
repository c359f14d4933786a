/**
 * The TLS and password side of a connection, kept out of db/mysql.ts (which only calls these):
 * the driver options a ConnectionConfig asks for, the TLS upgrade put on the connection, and
 * what a failed login says about TLS.
 */
import type { ConnectionConfig } from '../types/config.js';
import { DbFailure } from '../types/failure.js';
import { passwordSafePlugins, type AuthPlugin } from './auth-plugins.js';
import { armTls, offersTls, type Upgradable } from './tls-upgrade.js';

/** mysql2's `ssl` and `authPlugins` options. */
export interface DriverTlsOptions {
  /**
   * mysql2's own shape of the settings. Its upgrade is replaced by db/tls-upgrade.ts (which adds
   * the revocation list and names failures), but mysql2 asks for TLS only when this is set.
   */
  readonly ssl?: Record<string, unknown>;
  readonly authPlugins: Record<string, AuthPlugin>;
}

export function driverTlsOptions(cfg: ConnectionConfig): DriverTlsOptions {
  const authPlugins = passwordSafePlugins(cfg.auth ?? { verifiedChannel: cfg.socket !== undefined, getServerPublicKey: false });
  const tls = cfg.tls;
  if (!tls) return { authPlugins };
  const verify = tls.mode === 'VERIFY_CA' || tls.mode === 'VERIFY_IDENTITY';
  // A fresh object each time: mysql2 writes rejectUnauthorized into it.
  const ssl = {
    ...(tls.ca !== undefined && { ca: tls.ca }),
    ...(tls.cert !== undefined && { cert: tls.cert }),
    ...(tls.key !== undefined && { key: tls.key }),
    ...(tls.ciphers !== undefined && { ciphers: tls.ciphers }),
    ...(tls.minVersion !== undefined && { minVersion: tls.minVersion }),
    ...(tls.maxVersion !== undefined && { maxVersion: tls.maxVersion }),
    rejectUnauthorized: verify,
    verifyIdentity: tls.mode === 'VERIFY_IDENTITY',
  };
  return { ssl, authPlugins };
}

/** Puts our TLS upgrade on a new connection, before it has read the greeting. */
export function prepareTls(conn: Upgradable, cfg: ConnectionConfig): void {
  if (cfg.tls) armTls(conn, cfg.tls);
}

/** Whether this connection went (or was about to go) over TLS. */
const usedTls = (conn: Upgradable, cfg: ConnectionConfig): boolean => cfg.tls !== undefined && (cfg.tls.mode !== 'PREFERRED' || offersTls(conn));

/**
 * A failed connect, told in TLS terms where TLS is the likely cause. MariaDB answers a plain
 * login under require_secure_transport with 1045, the same as a wrong password: only the
 * greeting's offer of TLS, and that we did not take it, point at TLS.
 */
export function explainConnectFailure(failure: DbFailure, conn: Upgradable, cfg: ConnectionConfig): DbFailure {
  const mode = cfg.tls?.mode ?? 'DISABLED';
  if (failure.failure === 'password-withheld' && /mysql_clear_password/.test(failure.message)) {
    // mysql2's own refusal speaks of its options; ours says what happened.
    return new DbFailure('password-withheld', 'the server asks for the password in clear text (mysql_clear_password: PAM, LDAP): check-mysql never sends it so');
  }
  if (failure.failure === 'tls-unavailable') {
    return new DbFailure('tls-unavailable', `the server does not offer TLS, and --ssl-mode ${mode} requires it`);
  }
  if (failure.failure !== 'access-denied' || cfg.socket !== undefined || (failure.errno !== 1045 && failure.errno !== 3159)) return failure;
  if (!usedTls(conn, cfg) && offersTls(conn)) {
    return new DbFailure('access-denied', `${failure.message} (the server offers TLS and may require it: try --ssl-mode REQUIRED)`, failure.errno);
  }
  if (usedTls(conn, cfg) && cfg.tls?.cert === undefined) {
    return new DbFailure('access-denied', `${failure.message} (over TLS without a client certificate: an account that REQUIRE X509 needs --ssl-cert and --ssl-key)`, failure.errno);
  }
  return failure;
}
