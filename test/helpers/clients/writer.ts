// The client of the end-to-end topology: a writer that runs in the client namespace
// (`ip netns exec cme-<pid>-client node writer.js`) and INSERTs one row per write, with a
// sequence number, through the VIP, as an application would. It reports every acknowledged
// write and every error as one JSON line, and stops by itself after `maxWrites` attempts or
// `maxMs`, whichever comes first (or when its stdin closes: the test process is gone).
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { jsonLines } from '../json-lines.js';
import { inNetns } from '../netns/namespace.js';
import { trackPid, untrackPid } from '../reaper.js';
import { REPO_ROOT } from '../repo.js';

export interface WriterOptions {
  netns: string;
  /** Where the script is written; its path is the reaper's marker for the process. */
  dir: string;
  host: string;
  port: number;
  user: string;
  password: string;
  /** schema.table with columns (seq INT PRIMARY KEY, server_id INT). */
  table: string;
  /** Bounds: the writer stops after this many attempts or this long, whichever comes first. */
  maxWrites: number;
  maxMs: number;
  /** Pause after each attempt. */
  pauseMs: number;
  /** The first sequence number (default 1): writers sharing a table need disjoint ranges. */
  firstSeq?: number;
  connectTimeoutMs?: number;
  queryTimeoutMs?: number;
}

export interface Ack {
  seq: number;
  /** Epoch ms (sub-ms precision) when the server's OK arrived. */
  at: number;
  /** @@server_id of the server that took the write. */
  serverId: number;
  /** The INSERT's round trip (a semi-sync wait shows here). */
  queryMs: number;
  /** When this write opened a new connection: how long the connect took. */
  connectMs: number | undefined;
}

export interface WriteError {
  seq: number;
  at: number;
  code: string;
  errno: number | undefined;
  message: string;
}

export interface WriterEnd {
  reason: 'count' | 'time' | 'stdin';
  at: number;
}

// Plain CommonJS, run by `node FILE CONFIG_JSON` with the password in E2E_WRITER_PWD. Reconnects
// after any error: each attempt is one sequence number, whether or not it reaches a server.
const WRITER_SOURCE = String.raw`'use strict';
const mysql = require(process.env.E2E_MYSQL2);
const cfg = JSON.parse(process.argv[2]);
const now = () => performance.timeOrigin + performance.now();
const out = (o) => process.stdout.write(JSON.stringify(o) + '\n');
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
let stdinClosed = false;
process.stdin.on('end', () => (stdinClosed = true)).on('error', () => (stdinClosed = true)).resume();
async function main() {
  const started = Date.now();
  let conn;
  let reason = 'count';
  for (let seq = cfg.firstSeq; seq < cfg.firstSeq + cfg.maxWrites; seq++) {
    if (Date.now() - started >= cfg.maxMs) { reason = 'time'; break; }
    if (stdinClosed) { reason = 'stdin'; break; }
    try {
      let connectMs;
      if (!conn) {
        const c0 = now();
        conn = await mysql.createConnection({ host: cfg.host, port: cfg.port, user: cfg.user, password: process.env.E2E_WRITER_PWD, connectTimeout: cfg.connectTimeoutMs });
        conn.on('error', () => {});
        connectMs = now() - c0;
      }
      const q0 = now();
      // RETURNING (MariaDB 10.5+): the ack and the server that took it in one round trip.
      const [rows] = await conn.query({ sql: 'INSERT INTO ' + cfg.table + ' (seq, server_id) VALUES (?, @@server_id) RETURNING server_id', timeout: cfg.queryTimeoutMs }, [seq]);
      const at = now();
      out({ ack: seq, at, serverId: Number(rows[0].server_id), queryMs: at - q0, connectMs });
    } catch (err) {
      out({ error: seq, at: now(), code: String(err.code || 'UNKNOWN'), errno: err.errno, message: String(err.message).slice(0, 200) });
      if (conn) { conn.destroy(); conn = undefined; }
    }
    await sleep(cfg.pauseMs);
  }
  if (conn) await conn.end().catch(() => conn.destroy());
  out({ end: reason, at: now() });
  process.exit(0);
}
main();
`;

export class Writer {
  readonly acks: Ack[] = [];
  readonly errors: WriteError[] = [];
  private ended: WriterEnd | undefined;
  private stderr = '';
  readonly done: Promise<WriterEnd>;

  private constructor(private readonly child: ChildProcess, readonly pid: number) {
    child.stdout?.setEncoding('utf8').on('data', jsonLines((o) => this.take(o), (line) => (this.stderr += `${line}\n`)));
    child.stderr?.setEncoding('utf8').on('data', (d: string) => (this.stderr += d));
    this.done = new Promise((resolve, reject) => {
      child.once('exit', (code, signal) => {
        untrackPid(pid);
        if (this.ended) resolve(this.ended);
        else reject(new Error(`the writer exited (${code ?? signal}) without finishing\n${this.stderr.trim()}`));
      });
    });
    // Unobserved until someone awaits it.
    this.done.catch(() => undefined);
  }

  /** Starts the writer in the client namespace. */
  static start(o: WriterOptions): Writer {
    const script = join(o.dir, 'writer.cjs');
    writeFileSync(script, WRITER_SOURCE, { mode: 0o600 });
    const mysql2 = createRequire(join(REPO_ROOT, 'package.json')).resolve('mysql2/promise');
    const cfg = {
      host: o.host, port: o.port, user: o.user, table: o.table, maxWrites: o.maxWrites, maxMs: o.maxMs, pauseMs: o.pauseMs, firstSeq: o.firstSeq ?? 1,
      connectTimeoutMs: o.connectTimeoutMs ?? 1_000, queryTimeoutMs: o.queryTimeoutMs ?? 2_000,
    };
    const [command, args] = inNetns(o.netns, process.execPath, [script, JSON.stringify(cfg)]);
    const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', LANG: 'C', E2E_MYSQL2: mysql2, E2E_WRITER_PWD: o.password };
    const child = spawn(command, args, { env, stdio: ['pipe', 'pipe', 'pipe'] });
    if (child.pid === undefined) throw new Error('the writer did not start');
    trackPid(child.pid, script);
    return new Writer(child, child.pid);
  }

  private take(o: Record<string, unknown>): void {
    if (typeof o.ack === 'number') {
      this.acks.push({ seq: o.ack, at: Number(o.at), serverId: Number(o.serverId), queryMs: Number(o.queryMs), connectMs: typeof o.connectMs === 'number' ? o.connectMs : undefined });
    } else if (typeof o.error === 'number') {
      this.errors.push({ seq: o.error, at: Number(o.at), code: String(o.code), errno: typeof o.errno === 'number' ? o.errno : undefined, message: String(o.message) });
    } else if (typeof o.end === 'string') this.ended = { reason: o.end as WriterEnd['reason'], at: Number(o.at) };
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Asks the writer to stop (closes its stdin) and waits for its last line. */
  async stop(): Promise<WriterEnd> {
    this.child.stdin?.end();
    return this.done;
  }

  /** SIGKILL, for cleanup; idempotent. */
  kill(): void {
    if (this.running) {
      try {
        process.kill(this.pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
  }

  /** The first acknowledged write at or after epoch ms `t0` (taken by server `serverId`, if given). */
  firstAckAfter(t0: number, serverId?: number): Ack | undefined {
    return this.acks.find((a) => a.at >= t0 && (serverId === undefined || a.serverId === serverId));
  }

  /** Errors by code, e.g. { ECONNREFUSED: 40, ER_OPTION_PREVENTS_STATEMENT: 12 }. */
  errorCounts(since = 0, until = Number.POSITIVE_INFINITY): Record<string, number> {
    const counts: Record<string, number> = {};
    for (const e of this.errors) if (e.at >= since && e.at < until) counts[e.code] = (counts[e.code] ?? 0) + 1;
    return counts;
  }

  describe(): string {
    const last = this.errors.slice(-3).map((e) => `#${e.seq} ${e.code}: ${e.message}`).join('\n  ');
    return `writer pid ${this.pid}: ${this.acks.length} acked, ${this.errors.length} errors ${JSON.stringify(this.errorCounts())}${this.ended ? `, ended (${this.ended.reason})` : ''}\n  ${last}${this.stderr ? `\nstderr: ${this.stderr.trim()}` : ''}`;
  }
}

/**
 * Resolves with the first acknowledged write at or after epoch ms `t0`, taken by server
 * `serverId` if given: after a crash, the old writer's last acks can still arrive after it.
 */
export async function waitForAckAfter(writer: Writer, t0: number, timeoutMs: number, serverId?: number): Promise<Ack> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ack = writer.firstAckAfter(t0, serverId);
    if (ack) return ack;
    if (!writer.running) throw new Error(`the writer stopped before a write after ${t0} was acknowledged\n${writer.describe()}`);
    if (Date.now() > deadline) throw new Error(`no write acknowledged within ${timeoutMs} ms of ${t0}\n${writer.describe()}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Acknowledged sequence numbers that `present` (the survivor's rows) lacks: lost writes. */
export function missingAcks(acks: readonly Ack[], present: Iterable<number>): number[] {
  const have = new Set(present);
  return acks.map((a) => a.seq).filter((s) => !have.has(s));
}
