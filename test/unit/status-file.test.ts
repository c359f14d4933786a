import { describe, expect, it } from 'vitest';
import { statusDocument } from '../../src/daemon/state-files.js';
import type { TargetConfig } from '../../src/daemon/daemon-config.js';
import { toJsonReport } from '../../src/output/json.js';
import type { CheckReport, Facts } from '../../src/types/facts.js';
import type { TargetState } from '../../src/types/target-state.js';
import { evaluate } from '../../src/verdict/evaluate.js';
import { healthyChannel } from './channel-builder.js';

const TARGET = { name: 'db1', rise: 2, fall: 2, intervalMs: 1000 } as TargetConfig;
const FACTS: Facts = {
  target: '192.0.2.3:3306',
  connect: { ok: true, elapsedMs: 2 },
  server: {
    ok: true,
    value: { version: '8.4.3', versionComment: 'MySQL Community Server - GPL', innodbVersion: '8.4.3', flavor: 'mysql', serverId: 3, readOnly: true, superReadOnly: true },
    elapsedMs: 1,
  },
  replication: { ok: true, value: [healthyChannel({ secondsBehind: 40 })], elapsedMs: 1 },
};
const REPORT: CheckReport = { facts: FACTS, verdict: evaluate(FACTS, { maxLagSeconds: 30, role: 'auto', onSaturated: 'healthy', channels: [] }), elapsedMs: 4 };
const STATE: TargetState = { healthy: false, consecutiveOk: 0, consecutiveFail: 1, lastChangeAt: 0, transitions: 0, lastReport: REPORT, lastCheckAt: 1000 };

describe('status file', () => {
  it('starts with the pid, for the sh freshness guard', () => {
    expect(statusDocument(TARGET, STATE, 4242)).toMatch(/^\{"pid":4242,"target":"db1","healthy":false,/);
  });

  it('shows the verdict, server and replication as --json does', () => {
    const status = JSON.parse(statusDocument(TARGET, STATE, 4242));
    const json = toJsonReport(REPORT);
    for (const key of ['role', 'reasons', 'warnings', 'checks', 'server', 'replication']) expect(status[key], key).toEqual(json[key]);
    expect(status.server).toMatchObject({ version: '8.4.3', flavor: 'mysql', serverId: 3 });
  });

  it('says "not checked yet" before the first check', () => {
    const status = JSON.parse(statusDocument(TARGET, { healthy: false, consecutiveOk: 0, consecutiveFail: 0, lastChangeAt: 0, transitions: 0 }, 4242, 'starting'));
    expect(status).toMatchObject({ state: 'starting', role: 'unknown', reasons: ['not checked yet'], server: null, replication: null });
  });
});
