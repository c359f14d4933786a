/**
 * --web-config-file: the exporter-toolkit's format, read as check-mysql reads it. One fixture per
 * invalid file with the exact line the daemon prints (then exits 2, or keeps the old file on a
 * reload); promtool's own verdict on each is in test/integration/web-config.test.ts.
 */
import { chmodSync, copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { nodeConfigFiles } from '../../src/edge/config-files.js';
import { loadWebConfig } from '../../src/http/web-config-files.js';
import { parseWebConfig } from '../../src/http/web-config.js';
import { UsageError } from '../../src/usage-error.js';
import { makeTempDir, removeTempDir } from '../helpers/temp-dir.js';

const DIR = join(__dirname, '..', 'fixtures', 'web-configs');
const EXAMPLE = join(__dirname, '..', '..', 'examples', 'web-config.yml');
const fixture = (name: string) => join(DIR, name);
const load = (path: string) => loadWebConfig(path, nodeConfigFiles());

function errorOf(path: string): string {
  try {
    load(path);
  } catch (err) {
    if (err instanceof UsageError) return err.message;
    throw err;
  }
  throw new Error(`expected ${path} to be refused`);
}

const FORWARD_SECRET = 'TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA, TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA, TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA, TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA, TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384, TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384, TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256, TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256';
const NOT_BCRYPT = "basic_auth_users: the password of 'prom' is not a bcrypt hash ($2y$, $2a$ or $2b$, cost 4 to 31, as 'htpasswd -nBC 10 USER' writes)";

/** [fixture, what follows "PATH:"] */
const _ = (name: string, message: string): [string, string] => [name, message];
const INVALID: [string, string][] = [
  _('invalid-unknown-key.yml', "1: unknown key 'tls_server_confg' in the top level (known: tls_server_config, http_server_config, basic_auth_users)"),
  _('invalid-unknown-tls-key.yml', "4: unknown key 'min_versoin' in tls_server_config (known: cert_file, key_file, client_ca_file, client_auth_type, min_version, max_version, cipher_suites, curve_preferences, prefer_server_cipher_suites)"),
  _('invalid-no-cert.yml', '1: tls_server_config needs cert_file (without it, metrics and health would go out in clear)'),
  _('invalid-no-key.yml', '1: tls_server_config needs key_file'),
  _('invalid-old-version.yml', '4: min_version TLS11 is not supported: TLS 1.0 and 1.1 are broken (use TLS12 or TLS13)'),
  _('invalid-version.yml', "4: invalid max_version 'TLSv1.3': expected TLS12 or TLS13"),
  _('invalid-min-above-max.yml', '4: min_version is above max_version'),
  _('invalid-client-auth.yml', "4: invalid client_auth_type 'RequireClientCertPlease': expected one of NoClientCert, RequestClientCert, RequireAnyClientCert, VerifyClientCertIfGiven, RequireAndVerifyClientCert"),
  _('invalid-verify-without-ca.yml', '4: client_auth_type RequireAndVerifyClientCert needs client_ca_file: the CA that signs the client certificates'),
  _('invalid-ca-without-auth.yml', '4: client_ca_file is set but client_auth_type asks for no client certificate (set it to RequireAndVerifyClientCert)'),
  _('invalid-cipher.yml', `4: unknown or refused cipher 'TLS_RSA_WITH_AES_128_GCM_SHA256' in cipher_suites (TLS 1.2 suites with forward secrecy, by Go's names: ${FORWARD_SECRET})`),
  _('invalid-curve.yml', "4: unknown curve 'P-256' in curve_preferences (known: CurveP256, CurveP384, CurveP521, X25519)"),
  _('invalid-hash.yml', `2: ${NOT_BCRYPT}`),
  _('invalid-hash-cost.yml', `2: ${NOT_BCRYPT}`),
  _('invalid-hash-md5.yml', `2: ${NOT_BCRYPT}`),
  _('invalid-user-colon.yml', "2: basic_auth_users: user name 'prom:eu' cannot be sent in basic authentication (empty, or has ':')"),
  _('invalid-duplicate-user.yml', '3: not valid YAML: Map keys must be unique'),
  _('invalid-header.yml', "3: unknown key 'X-Powered-By' in http_server_config.headers (known: Strict-Transport-Security, X-Content-Type-Options, X-Frame-Options, X-XSS-Protection, Content-Security-Policy)"),
  _('invalid-header-value.yml', "3: invalid value 'sniff' for header X-Content-Type-Options: expected nosniff"),
  _('invalid-http2.yml', '2: http_server_config.http2 must be true or false'),
  _('invalid-rate-limit.yml', '1: rate_limit is not supported by check-mysql'),
  _('invalid-inline-key.yml', "3: inline 'key' is not supported by check-mysql: use key_file"),
  _('invalid-yaml.yml', '2: not valid YAML: Flow sequence in block collection must be sufficiently indented and end with a ]'),
  _('invalid-not-mapping.yml', '1: the top level must be a mapping'),
  _('invalid-missing-cert.yml', ` cannot read tls_server_config.cert_file ${fixture('missing.pem')}: ENOENT`),
  _('invalid-not-pem.yml', ` tls_server_config.cert_file ${fixture('not-pem.txt')} holds no PEM certificate`),
];

describe('--web-config-file', () => {
  it.each(INVALID)('refuses %s with one line naming the file and line', (name, message) => {
    const text = errorOf(fixture(name));
    expect(text).toBe(`${fixture(name)}:${message}`);
    expect(text).not.toContain('\n');
  });

  it('refuses a key that does not belong to the certificate, in OpenSSL\'s words', () => {
    expect(errorOf(fixture('invalid-key-mismatch.yml'))).toMatch(
      new RegExp(`^${fixture('invalid-key-mismatch.yml')}: tls_server_config: ${fixture('cert.pem')} and ${fixture('other-key.pem')} cannot serve TLS: .*key values mismatch$`),
    );
  });

  it('never repeats a password hash in an error: it can be cracked offline', () => {
    expect(errorOf(fixture('invalid-hash-cost.yml'))).not.toContain('K1EW9nA35g');
    expect(errorOf(fixture('invalid-hash.yml'))).not.toContain('s3cret');
  });

  it('reads every key it implements, paths relative to the file, Go names mapped to OpenSSL names', () => {
    const { settings } = load(fixture('valid-full.yml'));
    expect([...settings.users.keys()]).toEqual(['prom', 'other']);
    // A blank header is unset, as in the toolkit.
    expect(settings.headers).toEqual({ 'X-Content-Type-Options': 'nosniff', 'X-Frame-Options': 'deny', 'Content-Security-Policy': "default-src 'none'" });
    expect(settings.tls?.clientAuth).toBe('VerifyClientCertIfGiven');
    const { cert, key, ca, ...rest } = settings.tls!.context;
    expect(String(cert)).toContain('BEGIN CERTIFICATE');
    expect(String(key)).toContain('PRIVATE KEY');
    expect(String(ca)).toContain('BEGIN CERTIFICATE');
    // TLS 1.3's suite is accepted and, as in Go, not configured.
    expect(rest).toEqual({ minVersion: 'TLSv1.2', maxVersion: 'TLSv1.3', ciphers: 'ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES256-GCM-SHA384', ecdhCurve: 'X25519:P-256', honorCipherOrder: false });
  });

  it('an empty file means plain HTTP without authentication, as for the toolkit', () => {
    const { settings } = load(fixture('valid-empty.yml'));
    expect(settings.tls).toBeUndefined();
    expect(settings.users.size).toBe(0);
  });

  it('the shipped example parses: TLS 1.2+, two users, the headers', () => {
    const spec = parseWebConfig(readFileSync(EXAMPLE, 'utf8'), '/etc/check-mysql/web-config.yml');
    expect(spec.tls).toMatchObject({ certFile: '/etc/check-mysql/web.crt', keyFile: '/etc/check-mysql/web.key', clientAuth: 'NoClientCert', minVersion: 'TLSv1.2' });
    expect([...spec.users.keys()]).toEqual(['prometheus', 'haproxy']);
    expect(spec.headers['X-Content-Type-Options']).toBe('nosniff');
  });

  describe('as a file', () => {
    let dir = '';
    afterAll(async () => dir && (await removeTempDir(dir)));

    it('refuses a world-writable web config (it says who may read the metrics) and warns of a key others can read', async () => {
      dir = await makeTempDir();
      for (const f of ['cert.pem', 'key.pem']) copyFileSync(fixture(f), join(dir, f));
      const web = join(dir, 'web.yml');
      writeFileSync(web, 'tls_server_config:\n  cert_file: cert.pem\n  key_file: key.pem\n');
      chmodSync(web, 0o666);
      expect(errorOf(web)).toBe(`refusing world-writable --web-config-file ${web} (mode 0666): any local user could rewrite it; chmod o-w it`);
      chmodSync(web, 0o644);
      chmodSync(join(dir, 'key.pem'), 0o644);
      expect(load(web).notices).toEqual([`the TLS key ${join(dir, 'key.pem')} is readable or writable by other users (mode 0644): chmod 600 it, or 640 with the reader's own group`]);
      chmodSync(join(dir, 'key.pem'), 0o600);
      expect(load(web).notices).toEqual([]);
    });

    it('a FIFO or a huge file is refused, not waited on or read whole', async () => {
      const big = join(dir, 'big.yml');
      writeFileSync(big, `# ${'x'.repeat(1024 * 1024 + 10)}\n`);
      expect(errorOf(big)).toMatch(/^cannot read --web-config-file .*big\.yml: \d+ bytes, over the 1 MiB limit for a config file$/);
      expect(errorOf('/dev/zero')).toBe('cannot read --web-config-file /dev/zero: not a regular file (a character device)');
    });
  });
});
