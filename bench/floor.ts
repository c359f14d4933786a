/**
 * npm run bench:floor: what the driver alone costs for the daemon's statements (the floor any
 * Node daemon built on mysql2 pays), beside the daemon itself, in one run, on the realistic
 * target of `npm run bench` (a replicated pair over TCP, 100 targets half on each node, the
 * writer's heartbeat written and the standby's read). FLOOR_SECONDS (30), FLOOR_WARMUP_SECONDS (45),
 * FLOOR_SPREAD=1 (the driver's checks spread over the second instead of at the daemon's instants).
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { mkdtempSync } from 'node:fs';
import { heartbeatRead, heartbeatWriteStatements } from '../src/dialect/heartbeat.js';
import { heartbeatTable } from '../src/config/heartbeat-table.js';
import { asFlag } from '../src/config/values.js';
import { SERVER_VARIABLES_SQL } from '../src/dialect/server-info.js';
import { createHeartbeatTable, HEARTBEAT_TABLE } from '../test/helpers/servers/heartbeat.js';
import { startPair } from '../test/helpers/servers/pair.js';
import { makeTempDir, removeTempDir } from '../test/helpers/temp-dir.js';
import { CLI, runDaemon } from './lib/daemon-row.js';

const SECONDS = Number(process.env.FLOOR_SECONDS ?? 30);
const WARMUP = Number(process.env.FLOOR_WARMUP_SECONDS ?? 45);
const TARGETS = 100;

function floor(targets: unknown[]): Promise<{ checks: number; msPerCheck: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(__dirname, 'floor-child.cjs'), JSON.stringify({ targets, seconds: SECONDS, warmup: WARMUP, spread: process.env.FLOOR_SPREAD === '1' })], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('exit', (code) => (code === 0 ? resolve(JSON.parse(out) as { checks: number; msPerCheck: number }) : reject(new Error(`floor child: ${err.slice(0, 300)}`))));
  });
}

async function main(): Promise<void> {
  const dir = await makeTempDir();
  const pair = await startPair();
  try {
    const table = heartbeatTable('heartbeat-table', HEARTBEAT_TABLE, asFlag);
    await createHeartbeatTable(pair);
    const { check } = pair;
    const writer = { port: pair.a.port, user: check.user, password: check.password, reads: `${SERVER_VARIABLES_SQL}; SHOW ALL SLAVES STATUS`, write: heartbeatWriteStatements('mariadb', table, pair.a.serverId, 600).first.join('; ') };
    // As the daemon's standby check reads it: its source's row and its own.
    const standby = { port: pair.b.port, user: check.user, password: check.password, reads: `${SERVER_VARIABLES_SQL}; SHOW ALL SLAVES STATUS; ${heartbeatRead(table, [pair.a.serverId, pair.b.serverId])}` };
    const endpoint = (port: number) => ({ port, user: check.user, password: check.password });
    const [driver, daemon] = await Promise.all([
      floor(Array.from({ length: TARGETS }, (_, i) => (i % 2 === 0 ? writer : standby))),
      runDaemon({ cli: CLI, targets: TARGETS, servers: [endpoint(pair.a.port), endpoint(pair.b.port)], filesDir: mkdtempSync(join(dir, 'files-')), configDir: dir, heartbeatTable: () => HEARTBEAT_TABLE, warmupMs: WARMUP * 1000, windows: 3, windowMs: (SECONDS * 1000) / 3 }),
    ]);
    const perCheck = daemon.windows.map((w) => w.msPerUnit).sort((a, b) => a - b)[1]!;
    console.log(`${TARGETS} targets, half on each node of a replicated pair over TCP, heartbeat on, both at the same time:`);
    console.log('| what | CPU ms per check |\n|---|---:|');
    console.log(`| mysql2 alone, the same statements (the floor) | ${driver.msPerCheck.toFixed(3)} |`);
    console.log(`| check-mysql daemon | ${perCheck.toFixed(3)} |`);
    console.log(`| daemon ÷ floor | ${(perCheck / driver.msPerCheck).toFixed(2)} |`);
  } finally {
    await pair.cleanup();
    await removeTempDir(dir);
  }
}

main().catch((err) => {
  console.error(`bench:floor: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 1;
});
