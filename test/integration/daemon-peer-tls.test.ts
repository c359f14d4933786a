/**
 * The peer is reached with the target's TLS options, checked against the peer's own name: two
 * servers that require TLS, a daemon verifying identity (VERIFY_IDENTITY) reads its peer over
 * TLS; the same peer by an address its certificate does not name is a peer that cannot be read
 * (tls-name-mismatch), while the target stays healthy.
 */
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { DaemonProcess } from '../helpers/clients/daemon.js';
import { readStatus, waitForContent } from '../helpers/clients/daemon-outputs.js';
import { freePort } from '../helpers/ports.js';
import { startTlsServer, tlsServerMissing, UNNAMED_ADDRESS, type TlsServer } from '../helpers/servers/tls-server.js';
import { describeNeeding } from '../helpers/suite.js';
import { removeTempDir } from '../helpers/temp-dir.js';
import { makeCertificates, type Certificates } from '../helpers/tls/certificates.js';

describeNeeding(tlsServerMissing(), 'the daemon reads its peer over TLS', () => {
  let certs: Certificates;
  let one: TlsServer;
  let two: TlsServer;
  let daemon: DaemonProcess | undefined;
  let n = 0;

  beforeAll(async () => {
    certs = await makeCertificates();
    [one, two] = await Promise.all([startTlsServer(certs, 1), startTlsServer(certs, 2)]);
    // The target's credentials must be good on the peer too, as on a real pair.
    await two.server.exec(
      'SET SESSION sql_log_bin=0',
      `CREATE OR REPLACE USER '${one.check.user}'@'127.0.0.%' IDENTIFIED BY '${one.check.password}'`,
      `GRANT SLAVE MONITOR ON *.* TO '${one.check.user}'@'127.0.0.%'`,
      'SET SESSION sql_log_bin=1',
    );
  });
  afterEach(async () => {
    await daemon?.kill();
    daemon = undefined;
  });
  afterAll(async () => {
    await Promise.all([one?.server.cleanup(), two?.server.cleanup()]);
    if (certs) await removeTempDir(certs.dir);
  });

  async function start(peer: string): Promise<string> {
    const status = join(certs.dir, `peer-${++n}.json`);
    const config = join(certs.dir, `peer-${n}.cnf`);
    const lines = ['[daemon]', `listen=127.0.0.1:${await freePort()}`, 'interval=0.5', '[target db]', 'host=127.0.0.1', `port=${one.server.port}`, `user=${one.check.user}`, `password=${one.check.password}`, 'ssl-mode=VERIFY_IDENTITY', `ssl-ca=${certs.ca}`, 'timeout=1', `peer=${peer}`, `status-file=${status}`];
    writeFileSync(config, `${lines.join('\n')}\n`, { mode: 0o600 });
    chmodSync(config, 0o600);
    daemon = await DaemonProcess.start({ args: ['--config', config], marker: certs.dir });
    return status;
  }

  it('reads a peer whose certificate names it, over verified TLS', async () => {
    const status = await start(`127.0.0.1:${two.server.port}`);
    await waitForContent(status, (c) => c?.includes('"up":true') === true, 'the peer read', 10_000);
    await waitForContent(status, (c) => c?.includes('"healthy":true') === true, 'the target healthy', 10_000);
    // Two standalone servers, both writable: what the peer's reading is for.
    const s = readStatus(status) as { peer: unknown; warnings: string[] };
    expect(s.peer, daemon!.describe()).toMatchObject({ address: `127.0.0.1:${two.server.port}`, up: true, readOnly: false, serverId: 2 });
    expect(s.warnings.map((w) => w.split(':')[0])).toContain('peer-writable');
    expect(Number((await two.server.sql("SHOW GLOBAL STATUS LIKE 'Ssl_accepts'"))[0]?.Value)).toBeGreaterThan(0);
  });

  it('refuses a peer whose certificate does not name the address given, and keeps the target healthy', async () => {
    const status = await start(`${UNNAMED_ADDRESS}:${two.server.port}`);
    await waitForContent(status, (c) => c?.includes('"up":false') === true, 'the peer refused', 10_000);
    await waitForContent(status, (c) => c?.includes('"healthy":true') === true, 'the target healthy', 10_000);
    const s = readStatus(status) as { peer: { error: string }; warnings: string[] };
    expect(s.peer.error, daemon!.describe()).toMatch(/^tls-name-mismatch: /);
    expect(s.warnings.find((w) => w.startsWith('peer-unreachable: '))).toMatch(/tls-name-mismatch/);
  });
});
