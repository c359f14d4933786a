/**
 * The mysql client's TLS options: the mode each spelling asks for, MySQL's precedence (an explicit
 * --ssl-mode wins, --ssl-ca means VERIFY_CA), the files read at config time, and the password rule.
 */
import { describe, expect, it } from 'vitest';
import { parseArgv } from '../../src/cli/parse-argv.js';
import { buildCheckConfig } from '../../src/config/config.js';
import { buildDaemonConfig } from '../../src/daemon/daemon-config.js';
import { nodeCipherList } from '../../src/db/tls-upgrade.js';
import { UsageError } from '../../src/usage-error.js';
import { fakeFiles } from '../helpers/option-files.js';

const PEM = {
  ca: '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n',
  key: '-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n',
  crl: '-----BEGIN X509 CRL-----\nMIIB\n-----END X509 CRL-----\n',
  pub: '-----BEGIN PUBLIC KEY-----\nMIIB\n-----END PUBLIC KEY-----\n',
};
const files = fakeFiles({
  '/tls/ca.pem': PEM.ca,
  '/tls/client.pem': PEM.ca,
  '/tls/client-key.pem': PEM.key,
  '/tls/open-key.pem': { text: PEM.key, mode: 0o644 },
  '/tls/crl.pem': PEM.crl,
  '/tls/server-pub.pem': PEM.pub,
  '/tls/not-pem.txt': 'hello',
  '/capath/5ed36f99.0': PEM.ca,
  '/capath/extra.crt': PEM.ca,
  '/capath/README': 'not a certificate, not read',
  '/empty-capath/README': 'nothing',
  '/crlpath/5ed36f99.r0': PEM.crl,
  '/crlpath/extra.crl': PEM.crl,
  '/crlpath/5ed36f99.0': PEM.ca,
  '/etc/check.cnf': '[client]\nssl-mode=REQUIRED\n',
  '/etc/skip.cnf': '[client]\nssl\nskip-ssl\n',
  '/etc/verify.cnf': '[client-mariadb]\nssl-verify-server-cert\nssl-ca=/tls/ca.pem\n',
});

const TCP = ['--no-defaults', '-h', '192.0.2.10'];
const config = (args: string[]) => buildCheckConfig({ argv: parseArgv(args), env: {}, fs: files, loginName: () => 'check' });
const modeOf = (args: string[]) => config(args).connection.tls?.mode ?? 'DISABLED';

function usageError(args: string[]): string {
  try {
    config(args);
  } catch (err) {
    if (err instanceof UsageError) return err.message;
    throw err;
  }
  throw new Error(`expected a UsageError for ${args.join(' ')}`);
}

describe('the TLS mode each spelling asks for', () => {
  it.each([
    ['TCP defaults to PREFERRED, as the mysql and MariaDB clients', [], 'PREFERRED'],
    ['--ssl-mode takes any case', ['--ssl-mode', 'required'], 'REQUIRED'],
    ['--ssl-ca means VERIFY_CA', ['--ssl-ca', '/tls/ca.pem'], 'VERIFY_CA'],
    ['an explicit mode wins over --ssl-ca (with the client warning)', ['--ssl-mode', 'REQUIRED', '--ssl-ca', '/tls/ca.pem'], 'REQUIRED'],
    ["MariaDB's --ssl is REQUIRED", ['--ssl'], 'REQUIRED'],
    ["MariaDB's --skip-ssl is DISABLED", ['--skip-ssl'], 'DISABLED'],
    ["MariaDB's --ssl-verify-server-cert is VERIFY_IDENTITY", ['--ssl-verify-server-cert', '--ssl-ca', '/tls/ca.pem'], 'VERIFY_IDENTITY'],
    ['a client certificate asks for TLS', ['--ssl-cert', '/tls/client.pem', '--ssl-key', '/tls/client-key.pem'], 'REQUIRED'],
    ['an option file ssl-mode counts as explicit', ['--defaults-file', '/etc/check.cnf', '--ssl-ca', '/tls/ca.pem'], 'REQUIRED'],
    ['in a file the last spelling of a boolean wins (ssl, then skip-ssl)', ['--defaults-file', '/etc/skip.cnf'], 'DISABLED'],
    ['[client-mariadb] ssl-verify-server-cert with ssl-ca', ['--defaults-file', '/etc/verify.cnf'], 'VERIFY_IDENTITY'],
  ])('%s', (_name, args, mode) => {
    // An option file is read only without --no-defaults.
    expect(modeOf([...(args.includes('--defaults-file') ? TCP.slice(1) : TCP), ...args])).toBe(mode);
  });

  it('a Unix socket never uses TLS, and its files are not read', () => {
    const c = buildCheckConfig({ argv: parseArgv(['--no-defaults', '--ssl-mode', 'VERIFY_CA', '--ssl-ca', '/missing.pem']), env: {}, fs: files });
    expect(c.connection.socket).toBeDefined();
    expect(c.connection.tls).toBeUndefined();
    expect(c.connection.auth).toEqual({ verifiedChannel: true, getServerPublicKey: false });
  });

  it('an explicit mode below VERIFY_CA with --ssl-ca warns as the mysql client does, and does not load the CA', () => {
    const c = config([...TCP, '--ssl-mode', 'REQUIRED', '--ssl-ca', '/tls/ca.pem']);
    expect(c.notices.join()).toMatch(/no verification of server certificate will be done/);
    expect(c.connection.tls?.ca).toBeUndefined();
  });
});

describe('TLS settings that cannot work exit 2 with one line', () => {
  it.each([
    ['VERIFY_CA without a CA', ['--ssl-mode', 'VERIFY_CA'], /--ssl-mode VERIFY_CA needs --ssl-ca or --ssl-capath/],
    ['an unknown mode', ['--ssl-mode', 'ON'], /invalid --ssl-mode 'ON': expected one of DISABLED, PREFERRED/],
    ['a missing CA file, named', ['--ssl-ca', '/tls/nope.pem'], /^cannot read --ssl-ca \/tls\/nope.pem: ENOENT$/],
    ['a file that holds no certificate', ['--ssl-ca', '/tls/not-pem.txt'], /^--ssl-ca \/tls\/not-pem.txt holds no PEM certificate$/],
    ['a key that is not a key (its text never shown)', ['--ssl-cert', '/tls/client.pem', '--ssl-key', '/tls/ca.pem'], /^--ssl-key \/tls\/ca.pem holds no PEM private key$/],
    ['a certificate without its key', ['--ssl-cert', '/tls/client.pem'], /--ssl-cert and --ssl-key go together/],
    ['TLS 1.1', ['--tls-version', 'TLSv1.1'], /invalid --tls-version 'TLSv1.1'/],
    ['DISABLED with MariaDB verification', ['--ssl-mode', 'DISABLED', '--ssl-verify-server-cert'], /--ssl-mode DISABLED contradicts --ssl-verify-server-cert/],
    ['--skip-ssl with verification', ['--skip-ssl', '--ssl-verify-server-cert'], /--skip-ssl contradicts --ssl-verify-server-cert/],
  ])('%s', (_name, args, message) => {
    expect(usageError([...TCP, ...args])).toMatch(message);
  });
});

describe('what the TLS config carries', () => {
  it('the files are read at config time, the CRL only where certificates are verified', () => {
    const tls = config([...TCP, '--ssl-ca', '/tls/ca.pem', '--ssl-crl', '/tls/crl.pem', '--ssl-cert', '/tls/client.pem', '--ssl-key', '/tls/client-key.pem', '--tls-version', 'TLSv1.3']).connection.tls;
    expect(tls).toEqual({ mode: 'VERIFY_CA', host: '192.0.2.10', ca: PEM.ca, crl: PEM.crl, cert: PEM.ca, key: PEM.key, minVersion: 'TLSv1.3', maxVersion: 'TLSv1.3' });
  });

  it('--ssl-capath reads its hashed and *.pem/*.crt files, and nothing else', () => {
    const tls = config([...TCP, '--ssl-capath', '/capath']).connection.tls;
    expect(tls?.mode).toBe('VERIFY_CA');
    expect(tls?.ca).toBe(`${PEM.ca}\n${PEM.ca}`);
    expect(files.read).not.toContain('/capath/README');
    expect(usageError([...TCP, '--ssl-capath', '/empty-capath'])).toMatch(/^--ssl-capath \/empty-capath holds no CA certificate/);
  });

  it('--ssl-crlpath reads its hashed (.rN) and *.pem/*.crl files beside --ssl-crl, only where certificates are verified', () => {
    const tls = config([...TCP, '--ssl-ca', '/tls/ca.pem', '--ssl-crl', '/tls/crl.pem', '--ssl-crlpath', '/crlpath']).connection.tls;
    expect(tls?.crl).toBe([PEM.crl, PEM.crl, PEM.crl].join('\n'));
    expect(files.read).not.toContain('/crlpath/5ed36f99.0');
    expect(config([...TCP, '--ssl-mode', 'REQUIRED', '--ssl-crlpath', '/crlpath']).connection.tls?.crl).toBeUndefined();
    expect(modeOf([...TCP, '--ssl-crlpath', '/crlpath'])).toBe('REQUIRED');
    expect(usageError([...TCP, '--ssl-ca', '/tls/ca.pem', '--ssl-crlpath', '/empty-capath'])).toBe("--ssl-crlpath /empty-capath holds no revocation list (*.pem, *.crl or OpenSSL's hashed names)");
  });

  it('--tls-ciphersuites takes TLS 1.3 suites by their names, and alone asks for TLS', () => {
    expect(config([...TCP, '--tls-ciphersuites', 'TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256']).connection.tls).toMatchObject({ mode: 'REQUIRED', ciphersuites: 'TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256' });
    expect(usageError([...TCP, '--tls-ciphersuites', 'ECDHE-RSA-AES128-GCM-SHA256'])).toBe(
      "invalid --tls-ciphersuites 'ECDHE-RSA-AES128-GCM-SHA256': expected TLS 1.3 ciphersuites, colon-separated: TLS_AES_128_GCM_SHA256, TLS_AES_256_GCM_SHA384, TLS_CHACHA20_POLY1305_SHA256, TLS_AES_128_CCM_SHA256, TLS_AES_128_CCM_8_SHA256",
    );
  });

  it.each([
    ['neither: Node\'s defaults as they are', {}, undefined],
    ['--ssl-cipher: TLS 1.3 keeps its defaults', { ciphers: 'ECDHE-RSA-AES128-GCM-SHA256' }, 'TLS_AES_256_GCM_SHA384:TLS_AES_128_GCM_SHA256:ECDHE-RSA-AES128-GCM-SHA256'],
    ['--tls-ciphersuites: TLS 1.2 keeps its defaults (a list of TLS 1.3 names alone would leave it none)', { ciphersuites: 'TLS_AES_256_GCM_SHA384' }, 'TLS_AES_256_GCM_SHA384:ECDHE-RSA-AES128-GCM-SHA256:HIGH'],
    ['both', { ciphers: 'HIGH', ciphersuites: 'TLS_AES_128_GCM_SHA256' }, 'TLS_AES_128_GCM_SHA256:HIGH'],
  ])('Node\'s one cipher list from the two options: %s', (_name, tls, list) => {
    expect(nodeCipherList(tls, 'TLS_AES_256_GCM_SHA384:TLS_AES_128_GCM_SHA256:ECDHE-RSA-AES128-GCM-SHA256:HIGH')).toBe(list);
  });

  it('a key other users can read is warned about', () => {
    const c = config([...TCP, '--ssl-cert', '/tls/client.pem', '--ssl-key', '/tls/open-key.pem']);
    expect(c.notices.join()).toMatch(/the TLS key \/tls\/open-key.pem is readable or writable by other users \(mode 0644\)/);
  });
});

describe('when a password may leave the process', () => {
  it.each([
    ['PREFERRED does not prove the server', [], { verifiedChannel: false, getServerPublicKey: false }],
    ['VERIFY_CA proves it', ['--ssl-ca', '/tls/ca.pem'], { verifiedChannel: true, getServerPublicKey: false }],
    ['a pinned key is read at config time', ['--server-public-key-path', '/tls/server-pub.pem'], { verifiedChannel: false, getServerPublicKey: false, serverPublicKey: PEM.pub }],
    ['--get-server-public-key is taken', ['--get-server-public-key'], { verifiedChannel: false, getServerPublicKey: true }],
  ])('%s', (_name, args, auth) => {
    expect(config([...TCP, ...args]).connection.auth).toEqual(auth);
  });

  it('--get-server-public-key is warned about where it can be used', () => {
    expect(config([...TCP, '--get-server-public-key']).notices.join()).toMatch(/an impostor on the port can read it/);
    expect(config([...TCP, '--get-server-public-key', '--ssl-ca', '/tls/ca.pem']).notices).toEqual([]);
  });
});

describe('daemon targets take the TLS keys', () => {
  it('a [target] section reads them as its own keys, booleans bare or with a value', () => {
    const fs = fakeFiles({
      '/etc/daemon.cnf': '[target db1]\nhost=192.0.2.11\nssl-ca=/tls/ca.pem\nssl-verify-server-cert\n[target db2]\nhost=192.0.2.12\nssl=0\n',
      '/tls/ca.pem': PEM.ca,
    });
    const config = buildDaemonConfig({ argv: parseArgv(['--config', '/etc/daemon.cnf']), env: {}, fs });
    expect(config.targets.map((t) => t.connection.tls?.mode ?? 'DISABLED')).toEqual(['VERIFY_IDENTITY', 'DISABLED']);
  });
});
