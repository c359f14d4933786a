/**
 * Maintenance in the daemon's pure parts: the state rules (fault at once, back through rise),
 * what /health answers, the status file, the gauge, the config keys, and the directory rule
 * shared by the daemon, the one-shot check and the command.
 */
import { chmodSync, mkdirSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parseArgv } from '../../src/cli/parse-argv.js';
import { buildCheckConfig } from '../../src/config/config.js';
import { buildDaemonConfig, type TargetConfig } from '../../src/daemon/daemon-config.js';
import { applyCheck, applyMaintenance, initialState, sameMaintenance } from '../../src/daemon/hysteresis.js';
import { statusDocument } from '../../src/daemon/state-files.js';
import { createHealthServer, type TargetView } from '../../src/http/health-server.js';
import { refuseOpenMaintenanceDir } from '../../src/maintenance/maintenance-dir.js';
import { createDaemonMetrics } from '../../src/metrics/daemon-metrics.js';
import type { Facts } from '../../src/types/facts.js';
import type { MaintenanceState } from '../../src/types/maintenance-fs.js';
import type { TargetState } from '../../src/types/target-state.js';
import { evaluate } from '../../src/verdict/evaluate.js';
import { realFiles } from '../helpers/option-files.js';
import { makeTempDir, removeTempDir } from '../helpers/temp-dir.js';

const policy = { maxLagSeconds: 30, role: 'auto' as const, onSaturated: 'healthy' as const, channels: [] };
const writer: Facts = {
  target: '192.0.2.1:3306',
  connect: { ok: true, elapsedMs: 1 },
  server: { ok: true, elapsedMs: 1, value: { version: '10.11.6-MariaDB', versionComment: '', innodbVersion: '', flavor: 'mariadb', serverId: 1, readOnly: false, superReadOnly: null } },
  replication: { ok: true, elapsedMs: 1, value: [] },
};
const good = { facts: writer, verdict: evaluate(writer, policy), elapsedMs: 2 };
const T = { rise: 2, fall: 2 };
const ON: MaintenanceState = { on: true, info: { reason: 'kernel patch', since: '2026-12-01T18:00:00.000Z', by: 'dba@db1' } };
const OFF: MaintenanceState = { on: false };

const healthy = (): TargetState => applyCheck(applyCheck(initialState(0), good, 1, T), good, 2, T);

describe('maintenance in the target state', () => {
  it('entering makes a healthy target fault at once, without waiting for fall, and counts one transition', () => {
    const before = healthy();
    expect(before.healthy).toBe(true);
    const after = applyMaintenance(before, ON, 10);
    expect(after).toMatchObject({ healthy: false, lastChangeAt: 10, transitions: before.transitions + 1, maintenance: ON });
  });

  it('good checks during maintenance keep it fault, and still count', () => {
    let s = applyMaintenance(healthy(), ON, 10);
    for (let i = 0; i < 5; i++) s = applyCheck(s, good, 11 + i, T);
    expect(s).toMatchObject({ healthy: false, consecutiveOk: 2 + 5, lastSuccessAt: 15, maintenance: ON });
  });

  it('leaving goes through rise from zero, however many good checks maintenance saw', () => {
    let s = applyMaintenance(healthy(), ON, 10);
    for (let i = 0; i < 5; i++) s = applyCheck(s, good, 11 + i, T);
    s = applyMaintenance(s, OFF, 20);
    expect(s).toMatchObject({ healthy: false, consecutiveOk: 0 });
    expect(s).not.toHaveProperty('maintenance');
    s = applyCheck(s, good, 21, T);
    expect(s.healthy).toBe(false);
    s = applyCheck(s, good, 22, T);
    expect(s).toMatchObject({ healthy: true, lastChangeAt: 22 });
  });

  it('off while off changes nothing', () => {
    const s = healthy();
    expect(applyMaintenance(s, OFF, 5)).toBe(s);
  });

  it.each([
    ['off and absent', OFF, undefined, true],
    ['the same info', ON, { ...ON }, true],
    ['another reason', ON, { on: true, info: { ...(ON as { info: object }).info, reason: 'x' } } as MaintenanceState, false],
    ['info and a problem', ON, { on: true, problem: 'garbage' } as MaintenanceState, false],
    ['on and off', ON, OFF, false],
  ])('sameMaintenance: %s -> %s', (_name, a, b, same) => {
    expect(sameMaintenance(a, b)).toBe(same);
  });
});

const target = (extra: Partial<TargetConfig> = {}): TargetConfig => ({
  name: 'db1', connection: { label: '192.0.2.1:3306', host: '192.0.2.1', port: 3306, user: 'check' }, timeoutMs: 800, policy,
  intervalMs: 1000, rise: 2, fall: 2, labels: {}, maintenanceFile: '/var/lib/check-mysql/maintenance', ...extra,
});

describe('what the daemon publishes in maintenance', () => {
  it('the status file says maintenance, with the reason, since and by; or the problem; or off', () => {
    const on = JSON.parse(statusDocument(target(), applyMaintenance(healthy(), ON, 10), 1));
    expect(on).toMatchObject({ healthy: false, state: 'maintenance', lastCheckHealthy: true, maintenance: { on: true, reason: 'kernel patch', since: '2026-12-01T18:00:00.000Z', by: 'dba@db1' } });
    const broken = JSON.parse(statusDocument(target(), applyMaintenance(healthy(), { on: true, problem: 'it is a directory, not a regular file' }, 10), 1));
    expect(broken.maintenance).toEqual({ on: true, problem: 'it is a directory, not a regular file' });
    expect(JSON.parse(statusDocument(target(), healthy(), 1)).maintenance).toEqual({ on: false });
    // No maintenance-file configured: no key at all.
    expect(JSON.parse(statusDocument(target({ maintenanceFile: undefined }), healthy(), 1))).not.toHaveProperty('maintenance');
  });

  it('check_mysql_maintenance is 1 in maintenance and 0 otherwise', async () => {
    const registry = new Registry();
    const metrics = createDaemonMetrics(registry, []);
    metrics.record({ name: 'db1', labels: {} }, applyMaintenance(healthy(), ON, 10));
    metrics.record({ name: 'db2', labels: {} }, healthy());
    const text = await registry.metrics();
    expect(text).toMatch(/^check_mysql_maintenance\{target="db1"\} 1$/m);
    expect(text).toMatch(/^check_mysql_maintenance\{target="db2"\} 0$/m);
    expect(text).toMatch(/^check_mysql_healthy\{target="db1"\} 0$/m);
  });

  let server: Server | undefined;
  afterEach(() => new Promise<void>((r) => (server ? server.close(() => r()) : r())));

  async function get(views: TargetView[], path: string): Promise<{ status: number; body: string }> {
    server = createHealthServer({ targets: () => views, metrics: async () => '', metricsContentType: 'text/plain', now: () => 10 });
    await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
    const res = await fetch(`http://127.0.0.1:${(server!.address() as AddressInfo).port}${path}`);
    return { status: res.status, body: await res.text() };
  }
  const view = (state: TargetState, maintenanceHttpStatus?: 503 | 404): TargetView => ({ name: 'db1', state, intervalMs: 1000, timeoutMs: 800, since: 0, fileProblems: [], ...(maintenanceHttpStatus && { maintenanceHttpStatus }) });
  const LINE = 'unhealthy: db1 writer - maintenance: kernel patch (since 2026-12-01T18:00:00.000Z, by dba@db1)\n';

  it.each([
    ['/health/NAME by default', undefined, '/health/db1', 503, LINE],
    ['/health/NAME with maintenance-http-status 404', 404 as const, '/health/db1', 404, LINE],
    ['/health with maintenance-http-status 404 (the aggregate stays 503)', 404 as const, '/health', 503, LINE],
  ])('%s', async (_name, code, path, status, body) => {
    expect(await get([view(applyMaintenance(healthy(), ON, 10), code)], path)).toEqual({ status, body });
  });

  it('a file that cannot be read is named as such, and 404 applies only to maintenance', async () => {
    const broken = applyMaintenance(healthy(), { on: true, problem: 'it is not JSON ({"reason","since","by"})' }, 10);
    expect(await get([view(broken, 404)], '/health/db1')).toEqual({ status: 404, body: 'unhealthy: db1 writer - maintenance: its file cannot be read (it is not JSON ({"reason","since","by"})); the file is there, so the target stays in maintenance\n' });
    const recovering = applyCheck(initialState(0), good, 1, T);
    expect((await get([view(recovering, 404)], '/health/db1')).status).toBe(503);
  });
});

describe('the maintenance file\'s directory, and the config keys', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await makeTempDir();
  });
  afterAll(() => removeTempDir(dir));
  const sub = (name: string, mode: number): string => {
    const d = join(dir, name);
    mkdirSync(d);
    chmodSync(d, mode);
    return d;
  };
  const statDir = (d: string) => realFiles.stat(d);

  it.each([
    ['0755', 0o755, undefined],
    ['0700', 0o700, undefined],
    ['1777 (sticky)', 0o1777, undefined],
    ['1775 (group-writable, sticky)', 0o1775, undefined],
    ['0777', 0o777, /is writable by every local user/],
    ['0775', 0o775, /\(mode 0775\) is writable by its group/],
    ['0757', 0o757, /is writable by every local user/],
  ])('the directory rule for mode %s', (name, mode, refused) => {
    const d = sub(`d${name.replace(/\W/g, '')}`, mode);
    const check = () => refuseOpenMaintenanceDir(join(d, 'maintenance'), statDir);
    if (refused) expect(check).toThrow(refused);
    else expect(check).not.toThrow();
  });

  it('refuses a missing directory, a file where the directory should be, and an empty path', () => {
    expect(() => refuseOpenMaintenanceDir(join(dir, 'none', 'm'), statDir)).toThrow(`--maintenance-file ${dir}/none/m: cannot use its directory ${dir}/none: ENOENT`);
    expect(() => refuseOpenMaintenanceDir(join('/etc/hostname', 'm'), statDir)).toThrow(/: \/etc\/hostname is not a directory$|ENOTDIR/);
    expect(() => refuseOpenMaintenanceDir('', statDir)).toThrow('--maintenance-file needs a path');
  });

  it('the one-shot config takes --maintenance-file, refusing an open directory', () => {
    const ok = sub('check-ok', 0o755);
    const c = buildCheckConfig({ argv: parseArgv(['--no-defaults', '--maintenance-file', join(ok, 'm')]), env: {}, fs: realFiles });
    expect(c.maintenanceFile).toBe(join(ok, 'm'));
    const open = sub('check-open', 0o777);
    expect(() => buildCheckConfig({ argv: parseArgv(['--no-defaults', '--maintenance-file', join(open, 'm')]), env: {}, fs: realFiles })).toThrow(/^refusing --maintenance-file/);
  });

  const daemon = (args: string[]) => buildDaemonConfig({ argv: parseArgv(args), env: {}, fs: realFiles, loginName: () => 'check' });

  it('the daemon takes maintenance-file per target and maintenance-http-status from [daemon], a target or the flag', async () => {
    const d = sub('daemon-ok', 0o755);
    const { writeFileSync } = await import('node:fs');
    const cnf = join(d, 'daemon.cnf');
    writeFileSync(cnf, `[daemon]\nmaintenance-http-status = 404\n\n[target a]\nmaintenance-file = ${d}/a\n\n[target b]\nmaintenance-http-status = 503\n`, { mode: 0o600 });
    const [a, b] = daemon(['--config', cnf]).targets;
    expect(a).toMatchObject({ name: 'a', maintenanceFile: `${d}/a`, maintenanceHttpStatus: 404 });
    expect(b).toMatchObject({ name: 'b', maintenanceHttpStatus: 503 });
    expect(b).not.toHaveProperty('maintenanceFile');
    expect(daemon(['--no-defaults', '--maintenance-http-status', '404', '--maintenance-file', `${d}/m`]).targets[0]).toMatchObject({ maintenanceFile: `${d}/m`, maintenanceHttpStatus: 404 });
    expect(daemon(['--no-defaults']).targets[0]).not.toHaveProperty('maintenanceHttpStatus');
    writeFileSync(cnf, `[target a]\nmaintenance-http-status = 200\n`, { mode: 0o600 });
    expect(() => daemon(['--config', cnf])).toThrow(`${cnf} [target a]: invalid maintenance-http-status '200': expected one of 503, 404`);
    expect(() => daemon(['--no-defaults', '--maintenance-http-status', '410'])).toThrow("invalid --maintenance-http-status '410': expected one of 503, 404");
    const open = sub('daemon-open', 0o777);
    writeFileSync(cnf, `[target a]\nmaintenance-file = ${open}/m\n`, { mode: 0o600 });
    expect(() => daemon(['--config', cnf])).toThrow(`maintenance-file ${open}/m: its directory ${open} (mode 0777) is writable by every local user`);
  });
});
