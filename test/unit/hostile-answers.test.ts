/**
 * What a hostile or broken server's answers can make check-mysql hold and print: channels
 * refused past MAX_CHANNELS, every string cut to its limit (src/limits.ts) and marked, the cut
 * named, control characters replaced, and a cut GTID set never waited for.
 */
import { describe, expect, it } from 'vitest';
import { classifyDriverError } from '../../src/db/failure.js';
import { parseReplicaStatus } from '../../src/dialect/replica-status.js';
import { parseServerVariables } from '../../src/dialect/server-info.js';
import { keepText } from '../../src/dialect/server-text.js';
import { MAX_ANSWER_GTID_BYTES, MAX_CHANNELS, TEXT_LIMITS } from '../../src/limits.js';
import { catchUpWaits } from '../../src/notify/catch-up.js';
import { DbFailure } from '../../src/types/failure.js';
import type { ReplicationChannel } from '../../src/types/replication.js';
import type { Row } from '../../src/types/row.js';

const MB8 = 8_000_000;

/** A MariaDB SHOW ALL SLAVES STATUS row, healthy, with `over` on top. */
const statusRow = (over: Row = {}): Row => ({
  Connection_name: '',
  Master_Host: '192.0.2.1',
  Master_Port: 3306,
  Slave_IO_Running: 'Yes',
  Slave_SQL_Running: 'Yes',
  Seconds_Behind_Master: 0,
  SQL_Delay: 0,
  Gtid_IO_Pos: '0-1-42',
  ...over,
});

const rows = (n: number): Row[] => Array.from({ length: n }, (_, i) => statusRow({ Connection_name: `c${i}` }));

function refusal(read: () => unknown): DbFailure {
  try {
    read();
  } catch (err) {
    return classifyDriverError(err, 'query');
  }
  throw new Error('expected the answer to be refused');
}

describe('replication channels: at most MAX_CHANNELS', () => {
  it(`${MAX_CHANNELS} channels are read`, () => {
    expect(parseReplicaStatus(rows(MAX_CHANNELS))).toHaveLength(MAX_CHANNELS);
  });

  it('one more is refused as too-many-rows, none judged', () => {
    expect(refusal(() => parseReplicaStatus(rows(MAX_CHANNELS + 1)))).toMatchObject({
      failure: 'too-many-rows',
      message: `${MAX_CHANNELS + 1} replication channels, more than the ${MAX_CHANNELS} check-mysql reads`,
    });
  });
});

describe('every string from a server is cut to its limit, marked, and the cut named', () => {
  it.each([
    ['Connection_name', 'channel', TEXT_LIMITS.name],
    ['Master_Host', 'sourceHost', TEXT_LIMITS.host],
    ['Master_UUID', 'sourceUuid', TEXT_LIMITS.uuid],
    ['Last_IO_Error', 'lastIoError', TEXT_LIMITS.error],
    ['Last_SQL_Error', 'lastSqlError', TEXT_LIMITS.error],
    ['Master_Log_File', 'sourceLogFile', TEXT_LIMITS.file],
    ['Relay_Master_Log_File', 'relaySourceLogFile', TEXT_LIMITS.file],
    ['Slave_SQL_Running_State', 'sqlState', TEXT_LIMITS.label],
    ['Gtid_IO_Pos', 'retrievedGtid', TEXT_LIMITS.gtid],
    ['Executed_Gtid_Set', 'executedGtid', TEXT_LIMITS.gtid],
  ] as const)('%s: 8 MB kept as %s of %i bytes', (column, field, limit) => {
    const [channel] = parseReplicaStatus([statusRow({ [column]: 'x'.repeat(MB8) })]);
    expect(channel![field as keyof ReplicationChannel]).toBe(`${'x'.repeat(limit)}…[cut ${MB8 - limit} bytes]`);
    expect(channel!.cut).toEqual([column]);
  });

  it('text within its limit is kept whole, and nothing is said to be cut', () => {
    const [channel] = parseReplicaStatus([statusRow({ Master_Host: 'h'.repeat(TEXT_LIMITS.host) })]);
    expect(channel!.sourceHost).toBe('h'.repeat(TEXT_LIMITS.host));
    expect(channel).not.toHaveProperty('cut');
  });

  it('a cut never splits a character: the limit counts UTF-8 bytes', () => {
    const kept = keepText('é'.repeat(200), 255);
    expect(kept.text).toBe(`${'é'.repeat(127)}…[cut 146 bytes]`);
    expect(kept.bytes).toBe(254);
  });

  it(`all channels' GTID sets together keep at most ${MAX_ANSWER_GTID_BYTES / 1024} KiB: later ones get what is left`, () => {
    const gtid = 'g'.repeat(TEXT_LIMITS.gtid);
    const channels = parseReplicaStatus(rows(MAX_CHANNELS).map((r) => ({ ...r, Gtid_IO_Pos: gtid, Executed_Gtid_Set: gtid })));
    const kept = channels.flatMap((c) => [c.retrievedGtid, c.executedGtid]).map((g) => g?.replace(/…\[cut \d+ bytes\]$/, '') ?? '');
    expect(kept.join('').length).toBeLessThanOrEqual(MAX_ANSWER_GTID_BYTES);
    expect(channels[0]).toMatchObject({ retrievedGtid: gtid, executedGtid: gtid });
    expect(channels[MAX_CHANNELS - 1]!.cut).toEqual(['Gtid_IO_Pos', 'Executed_Gtid_Set']);
  });

  it('control characters that could rewrite a terminal are replaced; tab and line feed are kept', () => {
    const [channel] = parseReplicaStatus([statusRow({ Last_IO_Error: 'fine\u001b[2J\rforged\u0007\u009b', Master_Host: 'a\u0000b', Executed_Gtid_Set: 'u1:1-5,\nu2:1-3\t' })]);
    expect(channel).toMatchObject({ lastIoError: 'fine\ufffd[2J\ufffdforged\ufffd\ufffd', sourceHost: 'a\ufffdb', executedGtid: 'u1:1-5,\nu2:1-3\t' });
  });

  it('a run of more than 20 digits is not a number a server keeps', () => {
    const [channel] = parseReplicaStatus([statusRow({ Seconds_Behind_Master: '9'.repeat(400) })]);
    expect(channel!.secondsBehind).toBeNull();
  });

  it('version, version_comment and innodb_version are cut to 255 bytes and named', () => {
    const info = parseServerVariables([
      { Variable_name: 'read_only', Value: 'ON' },
      { Variable_name: 'version', Value: `10.11.6-MariaDB-${'v'.repeat(MB8)}` },
      { Variable_name: 'version_comment', Value: 'c'.repeat(300) },
    ]);
    expect(Buffer.byteLength(info.version.replace(/…\[cut \d+ bytes\]$/, ''))).toBe(TEXT_LIMITS.label);
    expect(info).toMatchObject({ flavor: 'mariadb', versionComment: `${'c'.repeat(255)}…[cut 45 bytes]`, cut: ['version', 'version_comment'] });
  });

  it("a server's error message is cut to 1024 bytes", () => {
    const failure = classifyDriverError({ errno: 1045, message: `Access denied ${'!'.repeat(MB8)}` });
    expect(failure.message).toMatch(/^Access denied !+…\[cut \d+ bytes\] \(errno 1045\)$/);
    expect(failure.message.length).toBeLessThan(TEXT_LIMITS.error + 40);
  });

  it('a cut GTID set is never waited for: the notify catch-up refuses it instead', () => {
    const [channel] = parseReplicaStatus([statusRow({ Gtid_IO_Pos: `0-1-${'9'.repeat(TEXT_LIMITS.gtid)}` })]);
    expect(() => catchUpWaits('mariadb', '10.11.6-MariaDB', [channel!])).toThrow(/refusing to put .* into SQL/);
  });
});
