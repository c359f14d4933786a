// A real mariadbd that requires TLS (require_secure_transport=ON) with the test's certificates,
// listening on 127.0.0.1 and 127.0.0.2: the certificate names only the first, so the second
// is a host the certificate is not for. Accounts for TCP (127.0.0.%): the check, one that
// REQUIRE X509, the notify handler; and the check over the socket.
import { newCredentials, type Credentials } from './credentials.js';
import { Server } from './server.js';
import { opensslMissing, type Certificates } from '../tls/certificates.js';
import { findBinaries } from './binaries.js';

/** Why a suite with a TLS server cannot run here (no MariaDB, no openssl), or undefined. */
export function tlsServerMissing(): string | undefined {
  const found = findBinaries();
  return typeof found === 'string' ? found : opensslMissing();
}

export interface TlsServer {
  readonly server: Server;
  readonly check: Credentials;
  readonly x509: Credentials;
  readonly notify: Credentials;
}

/** An address on loopback that the server certificate does not name. */
export const UNNAMED_ADDRESS = '127.0.0.2';

export async function startTlsServer(certs: Certificates, serverId = 1): Promise<TlsServer> {
  const server = await Server.start({
    serverId,
    extraArgs: [
      `--ssl-ca=${certs.ca}`,
      `--ssl-cert=${certs.server.cert}`,
      `--ssl-key=${certs.server.key}`,
      '--require-secure-transport=ON',
      `--bind-address=127.0.0.1,${UNNAMED_ADDRESS}`,
    ],
  });
  const check = newCredentials('check');
  const x509 = newCredentials('x509');
  const notify = newCredentials('notify');
  await server.exec(
    'SET SESSION sql_log_bin=0',
    ...['127.0.0.%', 'localhost'].flatMap((host) => [
      `CREATE USER '${check.user}'@'${host}' IDENTIFIED BY '${check.password}'`,
      `GRANT SLAVE MONITOR ON *.* TO '${check.user}'@'${host}'`,
    ]),
    `CREATE USER '${x509.user}'@'127.0.0.%' IDENTIFIED BY '${x509.password}' REQUIRE X509`,
    `GRANT SLAVE MONITOR ON *.* TO '${x509.user}'@'127.0.0.%'`,
    `CREATE USER '${notify.user}'@'127.0.0.%' IDENTIFIED BY '${notify.password}' REQUIRE SSL`,
    `GRANT READ_ONLY ADMIN, CONNECTION ADMIN, PROCESS, SLAVE MONITOR, REPLICATION SLAVE ADMIN ON *.* TO '${notify.user}'@'127.0.0.%'`,
    'SET SESSION sql_log_bin=1',
  );
  return { server, check, x509, notify };
}
