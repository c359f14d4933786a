// The one-shot CLI against real servers: each scenario puts a writer/standby
// pair into a failure state, runs bin/check-mysql as keepalived would, and
// checks the exit code and the reason code. Scenarios share one pair; each
// nested describe sets its state up in beforeAll and undoes it in afterAll.
import { randomBytes } from 'node:crypto';
import { networkInterfaces } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertCliRuns, codeOf, describeRun, runCheck, type CheckJson, type CheckRun } from '../helpers/clients/cli.js';
import { makeTempDir, removeTempDir } from '../helpers/temp-dir.js';
import type { Server } from '../helpers/servers/server.js';
import { startPair, waitForReplication, type Pair } from '../helpers/servers/pair.js';
import { waitForThreads } from '../helpers/servers/replication.js';
import { freePort } from '../helpers/ports.js';
import { describeWithMariadb } from '../helpers/suite.js';
import { waitFor } from '../helpers/wait.js';

// 127.0.0.1 is always local, so --vip 127.0.0.1 simulates holding the VIP.
const HOLDS_VIP = ['--vip', '127.0.0.1'];
// TEST-NET-1, never assigned on this host's interfaces (asserted below).
const FOREIGN_VIP = '192.0.2.250';
const LACKS_VIP = ['--vip', FOREIGN_VIP];

const FINDING = /^[a-z][a-z0-9-]*: \S/;

function expectWellFormed(json: CheckJson | undefined, info: string): asserts json is CheckJson {
  expect(json, `stdout is not one JSON object\n${info}`).toBeTypeOf('object');
  const j = json as CheckJson;
  expect(typeof j.elapsedMs, info).toBe('number');
  for (const finding of [...j.reasons, ...j.warnings]) expect(finding, info).toMatch(FINDING);
}

interface Expected {
  exit: 0 | 1;
  reason?: string;
  warning?: string;
}

function expectVerdict(run: CheckRun, { exit, reason, warning }: Expected): CheckJson {
  const info = describeRun(run);
  expectWellFormed(run.json, info);
  expect(run.code, info).toBe(exit);
  expect(run.json.healthy, info).toBe(exit === 0);
  if (exit === 0) expect(run.json.reasons, info).toEqual([]);
  if (reason) expect(run.json.reasons.map(codeOf), info).toContain(reason);
  if (warning) expect(run.json.warnings.map(codeOf), info).toContain(warning);
  return run.json;
}

function firstFinding(list: string[], code: string): string {
  return list.find((f) => codeOf(f) === code) ?? '';
}

async function slaveRow(server: Server): Promise<Record<string, unknown>> {
  const [row] = await server.slaveStatus();
  if (!row) throw new Error(`server ${server.serverId} has no replication channel`);
  return row;
}

describeWithMariadb('one-shot check against a real writer/standby pair', () => {
  let pair: Pair;

  beforeAll(async () => {
    await assertCliRuns();
    const local = Object.values(networkInterfaces()).flat().map((i) => i?.address);
    expect(local, `${FOREIGN_VIP} must not be on a local interface`).not.toContain(FOREIGN_VIP);
    pair = await startPair();
  });

  afterAll(async () => {
    await pair?.cleanup();
  });

  /** The command line keepalived would run; --no-syslog keeps the host journal clean. */
  function argsFor(server: Server, flags: string[]): string[] {
    return ['--no-defaults', '-h', '127.0.0.1', '-P', String(server.port), '-u', pair.check.user, '--no-syslog', ...flags];
  }

  function check(server: Server, flags: string[]): Promise<CheckRun> {
    return runCheck(argsFor(server, ['--json', ...flags]), { password: pair.check.password });
  }

  const writer = (): Server => pair.a;
  const standby = (): Server => pair.b;

  it.each([
    { role: 'writer', server: writer, flags: HOLDS_VIP },
    { role: 'standby', server: standby, flags: LACKS_VIP },
  ])('a healthy $role passes with no reasons or warnings', async ({ role, server, flags }) => {
    const json = expectVerdict(await check(server(), flags), { exit: 0 });
    expect(json.role).toBe(role);
    expect(json.warnings).toEqual([]);
  });

  it('checks quit cleanly: no aborted connects or clients on the server, over TCP and the socket', async () => {
    const aborted = async () => Object.fromEntries((await standby().sql("SHOW GLOBAL STATUS LIKE 'Aborted_c%'")).map((r) => [r.Variable_name, Number(r.Value)]));
    const before = await aborted();
    for (let i = 0; i < 5; i++) expectVerdict(await check(standby(), LACKS_VIP), { exit: 0 });
    const socket = ['--no-defaults', '-S', standby().socket, '-u', pair.check.user, '--no-syslog', '--json', ...LACKS_VIP];
    for (let i = 0; i < 5; i++) expectVerdict(await runCheck(socket, { password: pair.check.password }), { exit: 0 });
    // Aborted handshakes count toward max_connect_errors and end in 1129 (host blocked).
    expect(await aborted()).toEqual(before);
  });

  it.each([
    { output: 'json', flags: ['--json'], exit: 1 },
    { output: 'human', flags: [], exit: 1 },
    // Nagios maps an unhealthy result to its own non-zero status.
    { output: 'nagios', flags: ['--format', 'nagios'], exit: undefined },
  ])('a wrong password fails and never appears in the $output output', async ({ flags, exit }) => {
    const wrong = `wrong-${randomBytes(9).toString('hex')}`;
    const run = await runCheck(argsFor(writer(), [...HOLDS_VIP, ...flags]), { password: wrong });
    const info = describeRun(run);

    expect(run.stdout + run.stderr, info).not.toContain(wrong);
    if (exit !== undefined) expect(run.code, info).toBe(exit);
    else expect(run.code, info).not.toBe(0);
    if (run.json) expectVerdict(run, { exit: 1, reason: 'access-denied' });
    else expect(run.stdout + run.stderr, info).toContain('access-denied');
  });

  describe('while max_connections is used up by another user', () => {
    const filler = { user: 'filler', password: 'filler-pw' };

    beforeAll(async () => {
      const a = writer();
      await a.exec(
        'SET SESSION sql_log_bin=0',
        `CREATE USER '${filler.user}'@'127.0.0.1' IDENTIFIED BY '${filler.password}'`,
        'SET SESSION sql_log_bin=1',
        'SET GLOBAL max_connections=4',
      );
      // Fill until the server answers 1040; root keeps its extra admin slot.
      for (let held = 0; ; held++) {
        if (held > 50) throw new Error('max_connections never ran out');
        try {
          await a.connect(filler);
        } catch (err) {
          if ((err as { errno?: number }).errno === 1040) break;
          throw err;
        }
      }
    });

    afterAll(async () => {
      const a = writer();
      await a.closeExtraConnections();
      await a.exec('SET GLOBAL max_connections=151', 'SET SESSION sql_log_bin=0', `DROP USER '${filler.user}'@'127.0.0.1'`, 'SET SESSION sql_log_bin=1');
    });

    it('an alive but saturated server stays healthy with a saturated warning by default', async () => {
      expectVerdict(await check(writer(), HOLDS_VIP), { exit: 0, warning: 'saturated' });
    });

    it('an alive but saturated server fails as saturated with --on-saturated unhealthy', async () => {
      expectVerdict(await check(writer(), [...HOLDS_VIP, '--on-saturated', 'unhealthy']), { exit: 1, reason: 'saturated' });
    });
  });

  describe('while the VIP holder is read_only', () => {
    beforeAll(() => writer().exec('SET GLOBAL read_only=ON'));
    afterAll(() => writer().exec('SET GLOBAL read_only=OFF'));

    it('a writer holding the VIP with read_only=ON fails as writer-read-only', async () => {
      expectVerdict(await check(writer(), HOLDS_VIP), { exit: 1, reason: 'writer-read-only' });
    });
  });

  describe("while the standby's SQL thread is stopped", () => {
    beforeAll(() => standby().exec('STOP SLAVE SQL_THREAD'));
    afterAll(async () => {
      await standby().exec('START SLAVE SQL_THREAD');
      await waitForThreads(standby());
    });

    it('a standby whose SQL thread was stopped fails as sql-thread-stopped', async () => {
      expectVerdict(await check(standby(), LACKS_VIP), { exit: 1, reason: 'sql-thread-stopped' });
    });
  });

  describe("while the standby's SQL thread has stopped on a duplicate key", () => {
    const t = (): string => `${pair.schema}.t`;

    beforeAll(async () => {
      await standby().exec('SET SESSION sql_log_bin=0', `INSERT INTO ${t()} (id, v) VALUES (500, 1)`, 'SET SESSION sql_log_bin=1');
      await writer().sql(`INSERT INTO ${t()} (id, v) VALUES (500, 2)`);
      await waitFor('the standby SQL thread to stop with error 1062', async () => {
        const row = await slaveRow(standby());
        return row.Slave_SQL_Running === 'No' && Number(row.Last_SQL_Errno) === 1062;
      });
    });

    afterAll(async () => {
      await standby().exec('SET SESSION sql_log_bin=0', `DELETE FROM ${t()} WHERE id = 500`, 'SET SESSION sql_log_bin=1', 'START SLAVE SQL_THREAD');
      await waitForReplication(pair);
    });

    it('a standby with a replication SQL error fails as sql-thread-error, quoting the error', async () => {
      const json = expectVerdict(await check(standby(), LACKS_VIP), { exit: 1, reason: 'sql-thread-error' });
      const reason = firstFinding(json.reasons, 'sql-thread-error');
      expect(reason).toContain('1062');
      expect(reason).toContain('Duplicate entry');
    });
  });

  describe('while the standby applies an event it is blocked on (real lag)', () => {
    let releaseLock: (() => Promise<void>) | undefined;

    beforeAll(async () => {
      // A row lock on the standby makes its SQL thread wait inside the
      // writer's UPDATE: both threads stay Yes while Seconds_Behind_Master grows.
      const locker = await standby().connect();
      await locker.query('BEGIN');
      await locker.query(`SELECT * FROM ${pair.schema}.t WHERE id = 1 FOR UPDATE`);
      releaseLock = async () => {
        await locker.query('ROLLBACK');
      };
      await writer().sql(`UPDATE ${pair.schema}.t SET v = v + 1 WHERE id = 1`);
      await waitFor('the standby to be 2 s behind with both threads running', async () => {
        const row = await slaveRow(standby());
        return row.Slave_IO_Running === 'Yes' && row.Slave_SQL_Running === 'Yes' && Number(row.Seconds_Behind_Master) >= 2;
      });
    });

    afterAll(async () => {
      await releaseLock?.();
      await standby().closeExtraConnections();
      await waitForReplication(pair);
    });

    it('a standby lagging beyond --max-lag fails as lag', async () => {
      expectVerdict(await check(standby(), [...LACKS_VIP, '--max-lag', '1']), { exit: 1, reason: 'lag' });
    });
  });

  describe('while the standby is deliberately delayed (MASTER_DELAY)', () => {
    beforeAll(async () => {
      await standby().exec('STOP SLAVE', 'CHANGE MASTER TO MASTER_DELAY=300', 'START SLAVE');
      await waitForThreads(standby());
      await writer().sql(`UPDATE ${pair.schema}.t SET v = v + 1 WHERE id = 1`);
      await waitFor('the delayed standby to show Seconds_Behind_Master >= 2', async () => {
        const row = await slaveRow(standby());
        return row.SQL_Remaining_Delay !== null && Number(row.Seconds_Behind_Master) >= 2;
      });
    });

    afterAll(async () => {
      await standby().exec('STOP SLAVE', 'CHANGE MASTER TO MASTER_DELAY=0', 'START SLAVE');
      await waitForReplication(pair);
    });

    it('a deliberately delayed standby within policy passes: configured delay is not lag', async () => {
      expectVerdict(await check(standby(), [...LACKS_VIP, '--max-lag', '1']), { exit: 0 });
    });
  });

  it.each([
    { thread: 'SQL_THREAD', warning: 'sql-thread-stopped' },
    // The IO thread alone stopped is how the notify handler's promotion leaves a writer's channel.
    { thread: 'IO_THREAD', warning: 'peer-fenced' },
    { thread: 'IO_THREAD, SQL_THREAD', warning: 'sql-thread-stopped' },
  ])('a writer whose replication from the standby is stopped ($thread) passes with a $warning warning', async ({ thread, warning }) => {
    const a = writer();
    await a.exec(`STOP SLAVE ${thread}`);
    try {
      expectVerdict(await check(a, HOLDS_VIP), { exit: 0, warning });
    } finally {
      await a.exec(`START SLAVE ${thread}`);
      await waitForThreads(a);
    }
  });

  describe("while the writer's mysqld is dead (SIGKILL)", () => {
    beforeAll(async () => {
      writer().kill('SIGKILL');
      await writer().exit();
      await waitFor("the standby's IO thread to fail against the dead writer", async () => {
        const row = await slaveRow(standby());
        return row.Slave_IO_Running !== 'Yes' && Number(row.Last_IO_Errno) !== 0;
      });
    });

    afterAll(async () => {
      await writer().restart();
      await Promise.all([waitForThreads(writer()), waitForThreads(standby())]);
    });

    it('a dead writer fails as refused in under 200 ms (best of 3 runs)', async () => {
      const runs: CheckRun[] = [];
      for (let i = 0; i < 3; i++) runs.push(await check(writer(), HOLDS_VIP));
      for (const run of runs) expectVerdict(run, { exit: 1, reason: 'refused' });
      const fastest = Math.min(...runs.map((r) => r.wallMs));
      expect(fastest, `wall times: ${runs.map((r) => r.wallMs.toFixed(0)).join(', ')} ms`).toBeLessThan(200);
    });

    it('the standby stays eligible with a source-unreachable warning when its writer dies', async () => {
      expectVerdict(await check(standby(), LACKS_VIP), { exit: 0, warning: 'source-unreachable' });
    });
  });

  describe("while the writer's mysqld is hung (SIGSTOP)", () => {
    beforeAll(() => writer().kill('SIGSTOP'));
    afterAll(async () => {
      writer().kill('SIGCONT');
      await Promise.all([waitForThreads(writer()), waitForThreads(standby())]);
    });

    it('a hung writer fails as timeout within --timeout plus 200 ms', async () => {
      // The CLI must also exit on its own: a socket left open to the frozen
      // server would keep it alive until keepalived kills it.
      const run = await runCheck(argsFor(writer(), ['--json', ...HOLDS_VIP, '--timeout', '1']), { password: pair.check.password, killAfterMs: 5_000 });
      expectVerdict(run, { exit: 1, reason: 'timeout' });
      expect(run.wallMs, describeRun(run)).toBeLessThan(1_200);
    });
  });
});

describe('one-shot check: invocations that cannot run a check', () => {
  let dir: string;
  let port: number;

  beforeAll(async () => {
    await assertCliRuns();
    dir = await makeTempDir();
    // A port nothing listens on: if the CLI wrongly went ahead, it gets refused.
    port = await freePort();
  });

  afterAll(async () => {
    if (dir) await removeTempDir(dir);
  });

  const target = (): string[] => ['-h', '127.0.0.1', '-P', String(port)];

  it.each([
    { what: 'an unknown flag', args: () => ['--no-defaults', ...target(), '--no-such-flag'], names: () => 'no-such-flag' },
    { what: 'a non-numeric port', args: () => ['--no-defaults', '-h', '127.0.0.1', '-P', 'abc'], names: () => 'port' },
    { what: 'a missing defaults file', args: () => [`--defaults-file=${join(dir, 'missing.cnf')}`, ...target()], names: () => join(dir, 'missing.cnf') },
    { what: 'a defaults file that is a directory', args: () => [`--defaults-file=${dir}`, ...target()], names: () => dir },
  ])('$what exits 2 with one line on stderr naming it, and no stack trace', async ({ args, names }) => {
    const run = await runCheck(args());
    const info = describeRun(run);

    expect(run.code, info).toBe(2);
    expect(run.stderr.trimEnd().split('\n'), info).toHaveLength(1);
    expect(run.stderr.toLowerCase(), info).toContain(names().toLowerCase());
    expect(run.stderr, info).not.toMatch(/^\s+at\s/m);
  });

  it('an unresolvable host fails as unknown-host', async () => {
    const run = await runCheck(['--no-defaults', '-h', 'no-such-host.invalid', '-P', String(port), '-u', 'check', '--no-syslog', '--json'], {
      password: 'irrelevant',
    });
    expectVerdict(run, { exit: 1, reason: 'unknown-host' });
  });
});
