/** The probe table, and what each probe would send, given what the probes before it found. */
import { describe, expect, it } from 'vitest';
import { PROBES } from '../../src/probes/registry.js';
import { replication } from '../../src/probes/replication.js';
import { serverVariables } from '../../src/probes/server-variables.js';
import { gtidState } from '../../src/probes/gtid-state.js';
import { MARIADB_GTID_SQL } from '../../src/gtid/gtid-state.js';
import type { ProbePlan } from '../../src/probes/probe.js';
import type { ServerInfo } from '../../src/types/server.js';

/** A plan as the statements tried in turn while the server answers 1064. */
const chain = (plan: ProbePlan | undefined): string[][] => (plan ? [[...plan.statements], ...chain(plan.onSyntaxError)] : []);

const server = (flavor: ServerInfo['flavor'], version: string): ServerInfo => ({ version, versionComment: '', innodbVersion: '', flavor, serverId: 1, readOnly: true, superReadOnly: null });

describe('probe registry', () => {
  it('runs the server variables first, then replication, the GTID state, then the heartbeat read and, last, its write, each with its own name and its own place in the facts', () => {
    expect(PROBES.map((p) => [p.name, p.fact])).toEqual([
      ['server_variables', 'server'],
      ['replication', 'replication'],
      ['gtid_state', 'gtid'],
      ['heartbeat', 'heartbeat'],
      ['heartbeat_write', 'heartbeatWrite'],
    ]);
  });

  it('only the heartbeat write writes', () => {
    expect(PROBES.filter((p) => p.writes).map((p) => p.name)).toEqual(['heartbeat_write']);
  });

  it('the server variables need nothing found before them', () => {
    expect(serverVariables.plan()?.statements).toHaveLength(1);
  });

  it('the GTID state is read only for a daemon target with a peer, once the flavour is known', () => {
    const policy = { maxLagSeconds: 30, role: 'auto', onSaturated: 'healthy', channels: [] } as const;
    const mariadb = server('mariadb', '10.11.6-MariaDB-log');
    expect(gtidState.plan({ server: mariadb }, policy)).toBeUndefined();
    expect(gtidState.plan({}, { ...policy, peer: '192.0.2.2:3306' })).toBeUndefined();
    expect(gtidState.plan({ server: mariadb }, { ...policy, peer: '192.0.2.2:3306' })?.statements).toEqual([MARIADB_GTID_SQL]);
  });

  it('replication is not applicable until the server variables are known', () => {
    expect(replication.plan({})).toBeUndefined();
  });

  it.each([
    ['MariaDB', server('mariadb', '10.11.6-MariaDB-log'), [['SHOW ALL SLAVES STATUS'], ['SHOW SLAVE STATUS']]],
    ['MySQL 5.7', server('mysql', '5.7.44-log'), [['SHOW SLAVE STATUS'], ['SHOW REPLICA STATUS']]],
    ['MySQL 8.0.21', server('mysql', '8.0.21'), [['SHOW SLAVE STATUS'], ['SHOW REPLICA STATUS']]],
    ['MySQL 8.0.22', server('mysql', '8.0.22'), [['SHOW REPLICA STATUS'], ['SHOW SLAVE STATUS']]],
    ['MySQL 8.4', server('mysql', '8.4.3'), [['SHOW REPLICA STATUS'], ['SHOW SLAVE STATUS']]],
  ])('replication on %s: its statement, then the older dialect\'s on a 1064', (_, info, expected) => {
    expect(chain(replication.plan({ server: info }))).toEqual(expected);
  });
});
