// Certificates made by the test with openssl, in a temp dir the reaper removes: a CA, a server
// certificate for 127.0.0.1 and localhost, one for another name, a client certificate, a second
// ("wrong") CA, and a revocation list of the CA that revokes the server certificate.
import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { findExecutable } from '../executables.js';
import { makeTempDir } from '../temp-dir.js';

const run = promisify(execFile);

/** Why the TLS suites cannot run here, or undefined. */
export const opensslMissing = (): string | undefined => (findExecutable('openssl') ? undefined : 'openssl is not installed (apt-get install openssl)');

export interface Certificates {
  readonly dir: string;
  readonly ca: string;
  readonly wrongCa: string;
  /** For DNS:localhost and IP:127.0.0.1, signed by `ca`. */
  readonly server: { cert: string; key: string };
  /** For DNS:other.example and IP:192.0.2.1 only, signed by `ca`. */
  readonly other: { cert: string; key: string };
  /** A client certificate (CN check) signed by `ca`, for REQUIRE X509 accounts. */
  readonly client: { cert: string; key: string };
  /** Self-signed by `wrongCa`'s key pair's sibling: a certificate no configured CA vouches for. */
  readonly impostor: { cert: string; key: string };
  /** `ca`'s CRL revoking `server`. */
  readonly crlRevokingServer: string;
  /** `ca`'s CRL revoking nothing. */
  readonly crlEmpty: string;
  /** PEM text of a file. */
  text(path: string): string;
}

const CA_CONFIG = (dir: string) => `[ca]
default_ca = test_ca
[test_ca]
database = ${dir}/index.txt
crlnumber = ${dir}/crlnumber
default_md = sha256
default_crl_days = 2
`;

async function openssl(args: string[]): Promise<void> {
  await run('openssl', args, { timeout: 30_000 });
}

async function signed(dir: string, name: string, cn: string, san: string, ca: string): Promise<{ cert: string; key: string }> {
  const key = join(dir, `${name}-key.pem`);
  const csr = join(dir, `${name}.csr`);
  const cert = join(dir, `${name}.pem`);
  const ext = join(dir, `${name}.ext`);
  writeFileSync(ext, `subjectAltName=${san}\n`);
  await openssl(['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', csr, '-subj', `/CN=${cn}`]);
  await openssl(['x509', '-req', '-in', csr, '-CA', join(dir, `${ca}.pem`), '-CAkey', join(dir, `${ca}-key.pem`), '-CAcreateserial', '-out', cert, '-days', '2', '-extfile', ext]);
  return { cert, key };
}

async function selfSigned(dir: string, name: string, cn: string, extra: string[] = []): Promise<{ cert: string; key: string }> {
  const key = join(dir, `${name}-key.pem`);
  const cert = join(dir, `${name}.pem`);
  await openssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '2', '-subj', `/CN=${cn}`, ...extra]);
  return { cert, key };
}

export async function makeCertificates(): Promise<Certificates> {
  const dir = await makeTempDir();
  const ca = await selfSigned(dir, 'ca', 'check-mysql test CA');
  const wrong = await selfSigned(dir, 'wrong-ca', 'check-mysql wrong CA');
  const server = await signed(dir, 'server', 'localhost', 'DNS:localhost,IP:127.0.0.1', 'ca');
  const other = await signed(dir, 'other', 'other.example', 'DNS:other.example,IP:192.0.2.1', 'ca');
  const client = await signed(dir, 'client', 'check', 'DNS:check', 'ca');
  const impostor = await selfSigned(dir, 'impostor', 'localhost', ['-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1']);
  // A CRL needs openssl ca's small database.
  writeFileSync(join(dir, 'index.txt'), '');
  writeFileSync(join(dir, 'crlnumber'), '01\n');
  writeFileSync(join(dir, 'ca.cnf'), CA_CONFIG(dir));
  const caArgs = ['-config', join(dir, 'ca.cnf'), '-keyfile', ca.key, '-cert', ca.cert];
  const crlEmpty = join(dir, 'crl-empty.pem');
  await openssl(['ca', '-gencrl', ...caArgs, '-out', crlEmpty]);
  await openssl(['ca', '-revoke', server.cert, ...caArgs]);
  const crlRevokingServer = join(dir, 'crl-revoked.pem');
  await openssl(['ca', '-gencrl', ...caArgs, '-out', crlRevokingServer]);
  return { dir, ca: ca.cert, wrongCa: wrong.cert, server, other, client, impostor, crlRevokingServer, crlEmpty, text: (p) => readFileSync(p, 'utf8') };
}
