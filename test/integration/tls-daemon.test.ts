/**
 * The daemon holds a TLS connection to a server that requires TLS, and SIGHUP re-reads the
 * certificates: a changed CA file makes a new connection that uses it (a held connection would
 * have gone on passing), and the right one again brings the target back.
 */
import { copyFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { DaemonProcess } from '../helpers/clients/daemon.js';
import { freePort } from '../helpers/ports.js';
import { startTlsServer, tlsServerMissing, type TlsServer } from '../helpers/servers/tls-server.js';
import { describeNeeding } from '../helpers/suite.js';
import { makeCertificates, type Certificates } from '../helpers/tls/certificates.js';

describeNeeding(tlsServerMissing(), 'the daemon over TLS', () => {
  let certs: Certificates;
  let tls: TlsServer;
  let daemon: DaemonProcess | undefined;

  beforeAll(async () => {
    certs = await makeCertificates();
    tls = await startTlsServer(certs, 2);
  });
  afterAll(async () => {
    await daemon?.kill();
    await tls?.server.cleanup();
  });

  it('holds a verified TLS connection, and a reload with another CA file reconnects with it', async () => {
    const caInUse = join(certs.dir, 'ca-in-use.pem');
    copyFileSync(certs.ca, caInUse);
    const config = join(certs.dir, 'daemon.cnf');
    writeFileSync(
      config,
      [
        '[daemon]',
        `listen=127.0.0.1:${await freePort()}`,
        'interval=0.2',
        '[target db]',
        'host=127.0.0.1',
        `port=${tls.server.port}`,
        `user=${tls.check.user}`,
        `password=${tls.check.password}`,
        'ssl-mode=VERIFY_IDENTITY',
        `ssl-ca=${caInUse}`,
        'timeout=1',
        '',
      ].join('\n'),
      { mode: 0o600 },
    );
    daemon = await DaemonProcess.start({ args: ['--config', config], marker: certs.dir });
    await daemon.waitForLog('db healthy over TLS', (l) => l.target === 'db' && l.healthy === true);
    const connections = async () => Number((await tls.server.sql("SHOW GLOBAL STATUS LIKE 'Ssl_accepts'"))[0]?.Value);
    const before = await connections();
    // Five checks later, still the one connection: the daemon holds it.
    await sleep(1_000);
    expect(await connections(), 'TLS handshakes while the daemon checked five times').toBe(before);

    // Another CA in the same file: only a new connection would see it.
    const from = daemon.lines.length;
    copyFileSync(certs.wrongCa, caInUse);
    daemon.signal('SIGHUP');
    await daemon.waitForLog('the reload', (l) => l.msg.startsWith('config reloaded'), 5_000, from);
    const fault = await daemon.waitForLog('db in fault', (l) => l.target === 'db' && l.healthy === false, 5_000, from);
    expect(fault.msg, daemon.describe()).toMatch(/tls-verify-failed: /);

    const back = daemon.lines.length;
    copyFileSync(certs.ca, caInUse);
    daemon.signal('SIGHUP');
    await daemon.waitForLog('db healthy again', (l) => l.target === 'db' && l.healthy === true, 5_000, back);
    expect(await connections(), 'TLS handshakes the server accepted after the reloads').toBeGreaterThan(before);
  });
});
