/**
 * The mysql client's TLS modes against a real mariadbd that requires TLS, through the real CLI:
 * each mode, the right and the wrong CA, the certificate's own name and another, an account
 * that REQUIRE X509 with and without a client certificate, a revocation list, and the notify
 * handler over TLS. Certificates are made by the test (openssl).
 */
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertCliRuns, codeOf, describeRun, runCheck, type CheckRun } from '../helpers/clients/cli.js';
import { startTlsServer, tlsServerMissing, UNNAMED_ADDRESS, type TlsServer } from '../helpers/servers/tls-server.js';
import { describeNeeding } from '../helpers/suite.js';
import { makeCertificates, type Certificates } from '../helpers/tls/certificates.js';

describeNeeding(tlsServerMissing(), 'TLS against a real mariadbd with require_secure_transport=ON', () => {
  let certs: Certificates;
  let tls: TlsServer;
  let caPath: string;
  let crlPath: string;
  let emptyCrlPath: string;

  beforeAll(async () => {
    await assertCliRuns();
    certs = await makeCertificates();
    tls = await startTlsServer(certs);
    caPath = join(certs.dir, 'capath');
    mkdirSync(caPath);
    copyFileSync(certs.ca, join(caPath, 'ca.pem'));
    crlPath = join(certs.dir, 'crlpath');
    mkdirSync(crlPath);
    copyFileSync(certs.crlRevokingServer, join(crlPath, 'revoked.crl'));
    emptyCrlPath = join(certs.dir, 'crlpath-empty');
    mkdirSync(emptyCrlPath);
    copyFileSync(certs.crlEmpty, join(emptyCrlPath, 'empty.pem'));
  });
  afterAll(async () => {
    await tls?.server.cleanup();
  });

  const over = (host: string, user: 'check' | 'x509', flags: string[]): Promise<CheckRun> =>
    runCheck(['--no-defaults', '--no-syslog', '-h', host, '-P', String(tls.server.port), '-u', tls[user].user, '--json', '--timeout', '2', ...flags], { password: tls[user].password });

  function expectReason(run: CheckRun, code: string | undefined): void {
    const info = describeRun(run);
    if (code === undefined) {
      expect(run.code, info).toBe(0);
      expect(run.json?.reasons, info).toEqual([]);
    } else {
      expect(run.code, info).toBe(1);
      expect(run.json?.reasons.map(codeOf), info).toEqual([code]);
    }
  }

  describe('each mode', () => {
    it.each([
      ['PREFERRED (the default) uses the TLS the server offers', [], undefined],
      ['REQUIRED', ['--ssl-mode', 'REQUIRED'], undefined],
      ["MariaDB's --ssl", ['--ssl'], undefined],
      ['VERIFY_CA with the right CA', () => ['--ssl-ca', certs.ca], undefined],
      ['VERIFY_CA with the wrong CA', () => ['--ssl-ca', certs.wrongCa], 'tls-verify-failed'],
      ['VERIFY_CA with a CA directory (--ssl-capath)', () => ['--ssl-capath', caPath], undefined],
      ['VERIFY_IDENTITY for the address the certificate names', () => ['--ssl-mode', 'VERIFY_IDENTITY', '--ssl-ca', certs.ca], undefined],
      ["MariaDB's --ssl-verify-server-cert", () => ['--ssl-verify-server-cert', '--ssl-ca', certs.ca], undefined],
      ['VERIFY_CA with a revocation list that does not name the certificate', () => ['--ssl-ca', certs.ca, '--ssl-crl', certs.crlEmpty], undefined],
      ['VERIFY_CA with a revocation list that revokes it', () => ['--ssl-ca', certs.ca, '--ssl-crl', certs.crlRevokingServer], 'tls-verify-failed'],
      ['only TLS 1.3', ['--ssl-mode', 'REQUIRED', '--tls-version', 'TLSv1.3'], undefined],
      ['VERIFY_CA with a directory of revocation lists that revokes it (--ssl-crlpath)', () => ['--ssl-ca', certs.ca, '--ssl-crlpath', crlPath], 'tls-verify-failed'],
      ['VERIFY_CA with a directory of revocation lists that does not name it', () => ['--ssl-ca', certs.ca, '--ssl-crlpath', emptyCrlPath], undefined],
      ['TLS 1.3 with a ciphersuite the server takes (--tls-ciphersuites)', ['--tls-version', 'TLSv1.3', '--tls-ciphersuites', 'TLS_CHACHA20_POLY1305_SHA256'], undefined],
      ['TLS 1.3 with only a ciphersuite the server does not enable (CCM)', ['--tls-version', 'TLSv1.3', '--tls-ciphersuites', 'TLS_AES_128_CCM_8_SHA256'], 'tls-error'],
      ['TLS 1.2 keeps its ciphers when only --tls-ciphersuites is given', ['--tls-version', 'TLSv1.2', '--tls-ciphersuites', 'TLS_AES_256_GCM_SHA384'], undefined],
    ])('%s', async (_name, flags, code) => {
      expectReason(await over('127.0.0.1', 'check', typeof flags === 'function' ? flags() : flags), code);
    });

    it('a check says when it went over TLS, and which version', async () => {
      const run = await over('127.0.0.1', 'check', ['--tls-version', 'TLSv1.2']);
      expect(run.json?.checks[0]?.detail, describeRun(run)).toMatch(/^connected to 127\.0\.0\.1:\d+ over TLSv1\.2 in \d+ ms$/);
    });

    it('DISABLED is refused with 1045, and the reason points at TLS', async () => {
      const run = await over('127.0.0.1', 'check', ['--ssl-mode', 'DISABLED']);
      expectReason(run, 'access-denied');
      expect(run.json?.reasons[0], describeRun(run)).toMatch(/\(errno 1045\) \(the server offers TLS and may require it: try --ssl-mode REQUIRED\)$/);
    });

    it('VERIFY_IDENTITY refuses an address the certificate does not name; VERIFY_CA takes it', async () => {
      const run = await over(UNNAMED_ADDRESS, 'check', ['--ssl-mode', 'VERIFY_IDENTITY', '--ssl-ca', certs.ca]);
      expectReason(run, 'tls-name-mismatch');
      expect(run.json?.reasons[0], describeRun(run)).toMatch(new RegExp(`not for ${UNNAMED_ADDRESS.replace(/\./g, '\\.')}`));
      expectReason(await over(UNNAMED_ADDRESS, 'check', ['--ssl-ca', certs.ca]), undefined);
    });

    it('the wrong CA says what did not verify', async () => {
      const run = await over('127.0.0.1', 'check', ['--ssl-ca', certs.wrongCa]);
      expect(run.json?.reasons[0], describeRun(run)).toMatch(/^tls-verify-failed: the server's TLS certificate does not verify against --ssl-ca \(--ssl-mode VERIFY_CA\): /);
    });

    it('over the Unix socket there is no TLS, whatever the mode says', async () => {
      const run = await runCheck(['--no-defaults', '--no-syslog', '-S', tls.server.socket, '-u', tls.check.user, '--json', '--ssl-mode', 'VERIFY_IDENTITY', '--ssl-ca', certs.wrongCa], { password: tls.check.password });
      expectReason(run, undefined);
    });
  });

  describe('an account that REQUIRE X509', () => {
    it('without a client certificate: 1045, and the reason names the certificate', async () => {
      const run = await over('127.0.0.1', 'x509', ['--ssl-ca', certs.ca]);
      expectReason(run, 'access-denied');
      expect(run.json?.reasons[0], describeRun(run)).toMatch(/REQUIRE X509 needs --ssl-cert and --ssl-key/);
    });

    it('with one signed by the CA it passes', async () => {
      expectReason(await over('127.0.0.1', 'x509', ['--ssl-ca', certs.ca, '--ssl-cert', certs.client.cert, '--ssl-key', certs.client.key]), undefined);
    });
  });

  describe('certificate files are read when the command starts', () => {
    it('a missing one exits 2 with one line naming it', async () => {
      const run = await over('127.0.0.1', 'check', ['--ssl-ca', `${certs.dir}/nope.pem`]);
      expect(run.code, describeRun(run)).toBe(2);
      expect(run.stderr).toBe(`check-mysql: cannot read --ssl-ca ${certs.dir}/nope.pem: ENOENT\n`);
      expect(run.stdout).toBe('');
    });

    it('an option file [client] section carries them', async () => {
      const cnf = `${certs.dir}/client.cnf`;
      writeFileSync(cnf, `[client]\nssl-ca=${certs.ca}\nssl-mode=VERIFY_IDENTITY\n`, { mode: 0o600 });
      const run = await runCheck(['--defaults-file', cnf, '--no-syslog', '-h', '127.0.0.1', '-P', String(tls.server.port), '-u', tls.check.user, '--json'], { password: tls.check.password });
      expectReason(run, undefined);
    });
  });

  describe('the notify handler over TLS', () => {
    it('demotes a server that requires TLS (an account that REQUIRE SSL, the CA verified)', async () => {
      await tls.server.exec('SET GLOBAL read_only=OFF');
      const run = await runCheck(['notify', '--no-defaults', '--no-syslog', '-h', '127.0.0.1', '-P', String(tls.server.port), '-u', tls.notify.user, '--ssl-ca', certs.ca, 'INSTANCE', 'VI_1', 'BACKUP', '100'], { password: tls.notify.password });
      expect(run.code, describeRun(run)).toBe(0);
      expect(await tls.server.variable('read_only')).toBe('1');
      await tls.server.exec('SET GLOBAL read_only=OFF');
    });

    it('fails with the TLS reason when the CA is wrong, and changes nothing', async () => {
      const run = await runCheck(['notify', '--no-defaults', '--no-syslog', '-h', '127.0.0.1', '-P', String(tls.server.port), '-u', tls.notify.user, '--ssl-ca', certs.wrongCa, 'INSTANCE', 'VI_1', 'BACKUP', '100'], { password: tls.notify.password });
      expect(run.code, describeRun(run)).toBe(1);
      expect(run.stdout, describeRun(run)).toMatch(/tls-verify-failed/);
      expect(await tls.server.variable('read_only')).toBe('0');
    });
  });
});
