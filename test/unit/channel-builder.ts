import type { ReplicationChannel } from '../../src/types/replication.js';

/** A healthy default channel; tests override only what their case is about. */
export function healthyChannel(over: Partial<ReplicationChannel> = {}): ReplicationChannel {
  return {
    channel: '',
    sourceHost: '192.0.2.1',
    sourcePort: 3306,
    sourceServerId: 1,
    sourceUuid: null,
    ioRunning: 'yes',
    sqlRunning: true,
    lastIoErrno: 0,
    lastIoError: '',
    lastSqlErrno: 0,
    lastSqlError: '',
    secondsBehind: 0,
    sqlDelay: 0,
    sqlRemainingDelay: null,
    sourceLogFile: 'bin.000003',
    readSourceLogPos: 1234,
    relaySourceLogFile: 'bin.000003',
    execSourceLogPos: 1234,
    retrievedGtid: '0-1-42',
    executedGtid: null,
    sqlState: 'Slave has read all relay log; waiting for more updates',
    ...over,
  };
}
