/**
 * The verdict table in docs/verdict.md IS this test's case table: every row is parsed from it and
 * evaluated, so the documented policy and the code cannot drift apart.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseArgv } from '../../src/cli/parse-argv.js';
import { buildCheckConfig } from '../../src/config/config.js';
import { classifyDriverError } from '../../src/db/failure.js';
import { DbFailure } from '../../src/types/failure.js';
import { parseReplicaStatus } from '../../src/dialect/replica-status.js';
import type { ReplicationChannel } from '../../src/types/replication.js';
import type { Row } from '../../src/types/row.js';
import type { ServerInfo } from '../../src/types/server.js';
import { evaluate } from '../../src/verdict/evaluate.js';
import type { Facts } from '../../src/types/facts.js';
import { healthyChannel } from './channel-builder.js';
import { noFiles } from '../helpers/option-files.js';

const VERDICT_DOC = readFileSync(join(__dirname, '..', '..', 'docs', 'verdict.md'), 'utf8');

function tableRows(): string[][] {
  const block = /<!-- verdict-table:start -->([\s\S]*?)<!-- verdict-table:end -->/.exec(VERDICT_DOC);
  if (!block) throw new Error('docs/verdict.md has no verdict table');
  return block[1]!
    .trim()
    .split('\n')
    .slice(2)
    .map((line) => line.split('|').slice(1, -1).map((c) => c.trim()));
}

const REPLICATION: Record<string, Facts['replication']> = {
  'none configured': ok([]),
  'running, lag 0': ok([healthyChannel()]),
  'running, lag 30': ok([healthyChannel({ secondsBehind: 30 })]),
  'running, lag 45': ok([healthyChannel({ secondsBehind: 45 })]),
  'running, lag NULL': ok([healthyChannel({ secondsBehind: null })]),
  'SQL thread stopped': ok([healthyChannel({ sqlRunning: false, secondsBehind: null })]),
  'SQL thread stopped by error 1062': ok([
    healthyChannel({ sqlRunning: false, secondsBehind: null, lastSqlErrno: 1062, lastSqlError: "Could not execute Write_rows_v1 event on table t.t1; Duplicate entry '1' for key 'PRIMARY'" }),
  ]),
  'IO thread error 2003 (source down)': ok([
    healthyChannel({ ioRunning: 'connecting', secondsBehind: null, lastIoErrno: 2003, lastIoError: "error reconnecting to master 'repl@192.0.2.1:3306' - retry-time: 1  maximum-retries: 100000  message: Can't connect to server on '192.0.2.1' (111 \"Connection refused\")" }),
  ]),
  'IO thread connecting': ok([healthyChannel({ ioRunning: 'connecting', secondsBehind: null })]),
  'IO thread stopped': ok([healthyChannel({ ioRunning: 'no', secondsBehind: null })]),
  'IO thread error 1236 (binlog purged)': ok([
    healthyChannel({ ioRunning: 'no', secondsBehind: null, lastIoErrno: 1236, lastIoError: 'Got fatal error 1236 from master when reading data from binary log' }),
  ]),
  'IO thread error 1045 (replication user denied)': ok([
    healthyChannel({ ioRunning: 'connecting', secondsBehind: null, lastIoErrno: 1045, lastIoError: "Access denied for user 'repl'@'192.0.2.2'" }),
  ]),
  'SQL_Delay 3600, lag 3610': ok([healthyChannel({ sqlDelay: 3600, secondsBehind: 3610 })]),
  'SQL_Delay 3600, lag 3700': ok([healthyChannel({ sqlDelay: 3600, secondsBehind: 3700 })]),
  // Both as a hostile server would send them: through the parser, as the probe reads them.
  'more than 64 channels': probeReads(() => parseReplicaStatus(Array.from({ length: 65 }, (_, i) => statusRow({ Connection_name: `c${i}` })))),
  'running, lag 0, Master_Host of 8 MB': probeReads(() => parseReplicaStatus([statusRow({ Master_Host: 'h'.repeat(8_000_000) })])),
  'status unreadable (error 1227)': {
    ok: false,
    error: classifyDriverError({ errno: 1227, message: 'Access denied; you need (at least one of) the SLAVE MONITOR privilege(s) for this operation' }, 'query'),
    elapsedMs: 1,
  },
};

const CONNECT_FAILURES: Record<string, DbFailure> = {
  refused: classifyDriverError({ code: 'ECONNREFUSED', message: 'connect ECONNREFUSED 192.0.2.1:3306' }),
  'no answer before --timeout': new DbFailure('timeout', 'no answer to the connection handshake within the 800 ms deadline'),
  'error 1045': classifyDriverError({ errno: 1045, message: "Access denied for user 'check'@'localhost' (using password: YES)" }),
  'error 1040': classifyDriverError({ errno: 1040, message: 'Too many connections' }),
  'error 1203': classifyDriverError({ errno: 1203, message: "User check already has more than 'max_user_connections' active connections" }),
  'error 1226': classifyDriverError({ errno: 1226, message: "User 'check' has exceeded the 'max_user_connections' resource (current value: 2)" }),
  'error 1129': classifyDriverError({ errno: 1129, message: "Host '192.0.2.2' is blocked because of many connection errors" }),
  'unknown host': classifyDriverError({ code: 'ENOTFOUND', message: 'getaddrinfo ENOTFOUND db.invalid' }),
  'TLS certificate does not verify': new DbFailure('tls-verify-failed', "the server's TLS certificate does not verify against --ssl-ca (--ssl-mode VERIFY_CA): self-signed certificate in certificate chain"),
  'TLS certificate for another name': new DbFailure('tls-name-mismatch', "the server's TLS certificate is not for 192.0.2.1 (--ssl-mode VERIFY_IDENTITY)"),
  'no TLS offered under REQUIRED': classifyDriverError({ code: 'HANDSHAKE_NO_SSL_SUPPORT', message: 'Server does not support secure connection' }),
  'password withheld': new DbFailure('password-withheld', 'the server asks for the password itself (caching_sha2_password full authentication) ...'),
};

function ok(channels: ReplicationChannel[]): Facts['replication'] {
  return { ok: true, value: channels, elapsedMs: 1 };
}

function statusRow(over: Row): Row {
  return { Connection_name: '', Master_Host: '192.0.2.1', Slave_IO_Running: 'Yes', Slave_SQL_Running: 'Yes', Seconds_Behind_Master: 0, SQL_Delay: 0, ...over };
}

/** What the replication probe reports for an answer: the channels, or why reading it failed (as runProbes classifies it). */
function probeReads(read: () => ReplicationChannel[]): Facts['replication'] {
  try {
    return ok(read());
  } catch (err) {
    return { ok: false, error: classifyDriverError(err, 'query'), elapsedMs: 1 };
  }
}

function server(readOnly: boolean): ServerInfo {
  return { version: '10.11.6-MariaDB-log', versionComment: 'test', innodbVersion: '10.11.6', flavor: 'mariadb', serverId: 2, readOnly, superReadOnly: null };
}

function lookup<T>(table: Record<string, T>, key: string, column: string): T {
  if (!(key in table)) throw new Error(`docs/verdict.md verdict table: unknown ${column} cell '${key}'`);
  return table[key]!;
}

/** The heartbeat column: what the writer's write or the standby's read of its source row gave. */
const WRITE_REFUSALS: Record<string, string> = {
  '1142': "INSERT command denied to user 'check'@'192.0.2.2' for table `hb`.`heartbeat`",
  '1054': "Unknown column 'ts' in 'INSERT INTO'",
  '1290': 'The MariaDB server is running with the --read-only option so it cannot execute this statement',
};
const READ_REFUSALS: Record<string, string> = {
  '1142': "SELECT command denied to user 'check'@'192.0.2.2' for table `hb`.`heartbeat`",
  '1146': "Table 'hb.heartbeat' doesn't exist",
};

function heartbeatFacts(cell: string): Pick<Facts, 'heartbeat' | 'heartbeatWrite'> {
  const failed = (error: DbFailure) => ({ ok: false as const, error, elapsedMs: 1 });
  let m: RegExpExecArray | null;
  if (cell === '' || cell === 'not written (read-only)') return {};
  if (cell === 'write commits') return { heartbeatWrite: { ok: true, value: { serverId: 2 }, elapsedMs: 1 } };
  if ((m = /^write stalls: (.+)$/.exec(cell))) return { heartbeatWrite: failed(new DbFailure('timeout', `did not commit within 588 ms; the server says: ${m[1]}; killed (KILL QUERY)`)) };
  if ((m = /^write refused: (\d+)$/.exec(cell))) return { heartbeatWrite: failed(classifyDriverError({ errno: Number(m[1]), message: lookup(WRITE_REFUSALS, m[1]!, 'heartbeat') }, 'query')) };
  if ((m = /^read refused: (\d+)$/.exec(cell))) return { heartbeat: failed(classifyDriverError({ errno: Number(m[1]), message: lookup(READ_REFUSALS, m[1]!, 'heartbeat') }, 'query')) };
  if (cell === 'read times out') return { heartbeat: failed(new DbFailure('timeout', 'no answer to SELECT server_id, TIMESTAMPDIFF(MICROSECOND, within the 800 ms deadline')) };
  if (cell === 'row missing') return { heartbeat: { ok: true, value: [], elapsedMs: 1 } };
  if ((m = /^row ([\d.]+) s old$/.exec(cell))) {
    const age = Number(m[1]);
    return { heartbeat: { ok: true, value: [{ serverId: 1, ageSeconds: age, storedSeconds: 1_800_000_000 - age, nowSeconds: 1_800_000_000 }], elapsedMs: 1 } };
  }
  throw new Error(`docs/verdict.md verdict table: unknown heartbeat cell '${cell}'`);
}

const PROMOTING = '(notify handler promoting)';
const PAST_DEADLINE = '(judged past --timeout)';

/** How long ago the VIP was last seen away from this node (--promotion-grace), then any flags. */
const ARRIVED = /^\(VIP not held here ([\d.]+) s ago\)\s*(.*)$/;

function caseFrom([, answers, readOnly, vip, replication, heartbeat, cell]: string[]) {
  const promoting = cell === PROMOTING;
  const late = cell === PAST_DEADLINE;
  const arrived = ARRIVED.exec(cell!);
  const options = promoting || late ? '' : arrived ? arrived[2]! : cell;
  const policy = buildCheckConfig({
    argv: parseArgv(['--no-defaults', ...(options ? options!.split(' ') : []), ...(heartbeat ? ['--heartbeat-table', 'hb.heartbeat'] : [])]),
    env: {},
    fs: noFiles,
  }).policy;
  const notHeld = arrived ? { notHeldMsAgo: Number(arrived[1]) * 1000 } : {};
  const vipFact = vip === 'held' ? { address: '192.0.2.10', held: true, ...notHeld } : vip === 'not held' ? { address: '192.0.2.10', held: false } : undefined;
  const base = { target: '192.0.2.1:3306', ...(vipFact && { vip: vipFact }) };
  if (answers !== 'yes') {
    const error = lookup(CONNECT_FAILURES, answers!, 'server answers');
    return { facts: { ...base, connect: { ok: false, error, elapsedMs: 1 } } as Facts, policy };
  }
  const facts: Facts = {
    ...base,
    connect: { ok: true, elapsedMs: 1 },
    server: { ok: true, value: server(readOnly === 'ON'), elapsedMs: 1 },
    replication: lookup(REPLICATION, replication!, 'replication'),
    ...heartbeatFacts(heartbeat!),
    ...(promoting && { promoting: true }),
    ...(late && { pastDeadline: { deadlineMs: 800, elapsedMs: 2200 } }),
  };
  return { facts, policy };
}

describe('verdict table (docs/verdict.md)', () => {
  const rows = tableRows();
  it('has rows', () => expect(rows.length).toBeGreaterThan(20));

  it.each(rows.map((r) => [`#${r[0]}: ${r.slice(1, 7).filter(Boolean).join(' / ')} -> ${r[8]} ${r[9]}`, r] as const))('%s', (_name, row) => {
    const { facts, policy } = caseFrom(row);
    const [, , , , , , , role, verdict, code] = row;
    const v = evaluate(facts, policy);
    expect(v.role).toBe(role);
    expect(v.healthy).toBe(verdict !== 'unhealthy');
    const reasonCodes = v.reasons.map((f) => f.code);
    const warningCodes = v.warnings.map((f) => f.code);
    if (verdict === 'healthy') expect({ reasonCodes, warningCodes }).toEqual({ reasonCodes: [], warningCodes: [] });
    // Several warnings are listed in the order the verdict gives them, comma-separated.
    if (verdict === 'healthy, warns') expect({ reasonCodes, warningCodes }).toEqual({ reasonCodes: [], warningCodes: code?.split(', ') });
    if (verdict === 'unhealthy') expect(reasonCodes).toContain(code);
  });
});
