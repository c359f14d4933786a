/**
 * Issue 11's impostor: a fake MySQL 8 on the port asks caching_sha2_password for full
 * authentication and hands over its own RSA key. Through the real CLI (check and notify), the
 * password never reaches it unless --get-server-public-key is given (and warned about); with
 * VERIFY_CA the TLS handshake fails before any credential is written.
 */
import { createConnection } from 'mysql2';
import { generateKeyPairSync } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeAll, expect, it } from 'vitest';
import { codeOf, describeRun, runCheck, type CheckRun } from '../helpers/clients/cli.js';
import { startImpostor, type Impostor } from '../helpers/servers/impostor.js';
import { describeNeeding } from '../helpers/suite.js';
import { makeCertificates, opensslMissing, type Certificates } from '../helpers/tls/certificates.js';

const PASSWORD = 'harvest-me-7f3a9c';
let certs: Certificates;
let pinnedKey: string;
let impostor: Impostor | undefined;

const tcp = (port: number) => ['--no-defaults', '--no-syslog', '-h', '127.0.0.1', '-P', String(port), '-u', 'check', '--json', '--timeout', '2'];

/** The password in any form a listener could read it: as typed, or NUL-terminated. */
const leaked = (i: Impostor): boolean => i.received().includes(Buffer.from(PASSWORD)) || i.recovered.includes(PASSWORD);

async function check(args: string[], tls?: { cert: string; key: string }): Promise<{ run: CheckRun; fake: Impostor }> {
  impostor = await startImpostor(tls ? { tls } : {});
  const run = await runCheck([...tcp(impostor.port), ...args], { password: PASSWORD });
  return { run, fake: impostor };
}

describeNeeding(opensslMissing(), 'an impostor on the port never gets the password', () => {
  beforeAll(async () => {
    certs = await makeCertificates();
    pinnedKey = join(certs.dir, 'pinned-public.pem');
    // Some other server's key: what an operator pinned, which the impostor does not hold.
    writeFileSync(pinnedKey, generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey.export({ type: 'spki', format: 'pem' }));
  });
  afterEach(async () => {
    await impostor?.close();
    impostor = undefined;
  });

  it('the fake really harvests: mysql2 with its defaults hands it the password', async () => {
    const fake = (impostor = await startImpostor());
    await new Promise<void>((resolve) => {
      const conn = createConnection({ host: '127.0.0.1', port: fake.port, user: 'check', password: PASSWORD });
      conn.on('error', () => undefined);
      conn.connect(() => {
        conn.destroy();
        resolve();
      });
    });
    expect(fake.recovered).toEqual([PASSWORD]);
  });

  it('by default the check withholds the password from a server asking for full authentication over plain TCP', async () => {
    const { run, fake } = await check([]);
    expect(run.code, describeRun(run)).toBe(1);
    expect(run.json?.reasons.map(codeOf), describeRun(run)).toEqual(['password-withheld']);
    expect(run.json?.reasons[0]).toMatch(/--ssl-mode VERIFY_CA .*--server-public-key-path.*--get-server-public-key/);
    expect(fake.steps).toEqual(['greeting', 'response', 'switch', 'full-auth']);
    expect(leaked(fake)).toBe(false);
  });

  it('with a pinned key the password goes encrypted to that key, which the impostor cannot read', async () => {
    const { run, fake } = await check(['--server-public-key-path', pinnedKey]);
    expect(run.code, describeRun(run)).toBe(1);
    // No request for the server's key: the blob went straight to the pinned one.
    expect(fake.steps).toEqual(['greeting', 'response', 'switch', 'full-auth', 'other:256']);
    expect(leaked(fake)).toBe(false);
  });

  it('--get-server-public-key sends it to whatever key the server gives, and says so', async () => {
    const { run, fake } = await check(['--get-server-public-key']);
    expect(run.stderr, describeRun(run)).toMatch(/warning: --get-server-public-key: .*an impostor on the port can read it/);
    expect(fake.recovered).toEqual([PASSWORD]);
  });

  it('over TLS that is not verified (REQUIRED) the password is withheld as well', async () => {
    const { run, fake } = await check(['--ssl-mode', 'REQUIRED'], { cert: certs.text(certs.impostor.cert), key: certs.text(certs.impostor.key) });
    expect(run.json?.reasons.map(codeOf), describeRun(run)).toEqual(['password-withheld']);
    expect(fake.steps).toEqual(['greeting', 'tls', 'response', 'switch', 'full-auth']);
    expect(leaked(fake)).toBe(false);
  });

  it('with VERIFY_CA the TLS handshake fails before any credential is sent', async () => {
    const { run, fake } = await check(['--ssl-mode', 'VERIFY_CA', '--ssl-ca', certs.ca], { cert: certs.text(certs.impostor.cert), key: certs.text(certs.impostor.key) });
    expect(run.json?.reasons.map(codeOf), describeRun(run)).toEqual(['tls-verify-failed']);
    expect(fake.steps).toEqual(['greeting', 'tls']);
    expect(leaked(fake)).toBe(false);
  });

  it('REQUIRED against a server that offers no TLS fails at its greeting, before a credential is sent', async () => {
    const { run, fake } = await check(['--ssl-mode', 'REQUIRED']);
    expect(run.json?.reasons.map(codeOf), describeRun(run)).toEqual(['tls-unavailable']);
    expect(run.json?.reasons[0]).toMatch(/the server does not offer TLS, and --ssl-mode REQUIRED requires it/);
    expect(fake.steps).toEqual(['greeting']);
    expect(fake.received().length).toBe(0);
  });

  it('a handshake that never ends after TLS is cut at the handshake cap, as over plain TCP', async () => {
    impostor = await startImpostor({ tls: { cert: certs.text(certs.impostor.cert), key: certs.text(certs.impostor.key) }, flood: true });
    const run = await runCheck([...tcp(impostor.port), '--ssl-mode', 'REQUIRED'], { password: PASSWORD });
    expect(run.json?.reasons.map(codeOf), describeRun(run)).toEqual(['oversized']);
    expect(run.wallMs, describeRun(run)).toBeLessThan(2_000);
  });

  it.each([
    ['sha256_password', 'sha256_password'],
    ['a clear-text plugin (mysql_clear_password)', 'mysql_clear_password'],
  ] as const)('a server switching to %s gets nothing either', async (_name, plugin) => {
    impostor = await startImpostor({ switchTo: plugin });
    const run = await runCheck(tcp(impostor.port), { password: PASSWORD });
    expect(run.json?.reasons.map(codeOf), describeRun(run)).toEqual(['password-withheld']);
    expect(impostor.steps).toEqual(['greeting', 'response', 'switch']);
    expect(leaked(impostor)).toBe(false);
  });

  it('the notify handler withholds it too', async () => {
    const fake = (impostor = await startImpostor());
    const run = await runCheck(['notify', '--no-defaults', '--no-syslog', '-h', '127.0.0.1', '-P', String(fake.port), '-u', 'check', '--timeout', '2', 'INSTANCE', 'VI_1', 'BACKUP', '100'], { password: PASSWORD });
    expect(run.code, describeRun(run)).toBe(1);
    expect(run.stdout, describeRun(run)).toMatch(/BACKUP: cannot connect: password-withheld: /);
    expect(leaked(fake)).toBe(false);
  });
});
