/**
 * The real daemon's HTTP side under hostile local clients, on 127.0.0.1 only and with bounded
 * counts and times: hundreds of slow connections must neither live past the client timeout nor
 * take the file descriptors the track and status writes need, and SIGUSR1 must not open Node's
 * inspector. No MariaDB is needed: the target is a loopback port nothing listens on, so the
 * daemon rewrites its files (FAULT) every interval, which is what we watch.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { CLIENT_TIMEOUT_MS, MAX_CONNECTIONS } from '../../src/http/health-server.js';
import { msSince, now, type DaemonProcess } from '../helpers/clients/daemon.js';
import { deadTargetSandbox } from '../helpers/clients/dead-target.js';
import { httpGet, readStatus, summarize, waitForContent } from '../helpers/clients/daemon-outputs.js';
import { freePort } from '../helpers/ports.js';
import { describeNeeding } from '../helpers/suite.js';

/** Slow clients opened at once: several times the cap, and twice the fd limit we give the daemon. */
const SLOW_CLIENTS = 500;
const FD_LIMIT = 256;
const INTERVAL_MS = 200;
/**
 * A client sending a byte at a time is closed by Node's sweep for expired requests, measured at
 * 5.5-6 s with its 500 ms sweep; plus slack for timers firing late on a shared 2-core machine.
 */
const LIFETIME_BOUND_MS = CLIENT_TIMEOUT_MS + 1_000 + 1_000;
/** Give up on the flood after this long whatever happens, so the test stays bounded. */
const FLOOD_LIMIT_MS = 15_000;

const figures: string[] = [];
function report(line: string): void {
  figures.push(line);
  console.log(`[daemon-http] ${line}`);
}

type Kind = 'silent' | 'partial' | 'trickle';

interface Slow {
  kind: Kind;
  socket: Socket;
  opened: number;
  closed?: number;
}

/** A client that connects and then says nothing, half a request, or a request one byte per half second. */
function slowClient(port: number, kind: Kind): Promise<Slow> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    const slow: Slow = { kind, socket, opened: now() };
    let trickle: NodeJS.Timeout | undefined;
    socket.on('error', () => undefined);
    socket.once('close', () => {
      slow.closed = now();
      clearInterval(trickle);
      resolve(slow);
    });
    socket.once('connect', () => {
      slow.opened = now();
      resolve(slow);
      if (kind === 'partial') socket.write('GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\n');
      if (kind === 'trickle') {
        socket.write('GET /metrics HTTP/1.1\r\nX-Slow: ');
        trickle = setInterval(() => socket.write('a'), 500);
      }
    });
  });
}

/** TCP ports `pid` itself listens on: its socket inodes (/proc/PID/fd) in its netns's LISTEN table. */
function listeningPorts(pid: number): number[] {
  const inodes = new Set<string>();
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (m) inodes.add(m[1]!);
    } catch {
      // closed meanwhile
    }
  }
  const ports: number[] = [];
  for (const table of ['tcp', 'tcp6']) {
    for (const line of readFileSync(`/proc/${pid}/net/${table}`, 'utf8').split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      // local_address is f[1] (HEXADDR:HEXPORT), st is f[3] (0A = LISTEN), inode is f[9].
      if (f[3] === '0A' && inodes.has(f[9]!)) ports.push(parseInt(f[1]!.split(':')[1]!, 16));
    }
  }
  return ports.sort((a, b) => a - b);
}

describe('check-mysql daemon HTTP under hostile local clients', () => {
  const box = deadTargetSandbox();
  afterAll(() => {
    if (figures.length > 0) console.log(`[daemon-http] figures:\n  ${figures.join('\n  ')}`);
  });

  async function startDaemon(name: string): Promise<{ daemon: DaemonProcess; port: number; track: string; status: string }> {
    const { dir, deadPort } = box;
    const track = join(dir, `${name}.track`);
    const status = join(dir, `${name}.json`);
    const config = join(dir, `${name}.cnf`);
    const port = await freePort();
    writeFileSync(config, `[daemon]\nlisten = 127.0.0.1:${port}\ninterval = ${INTERVAL_MS / 1000}\n[target ${name}]\nhost = 127.0.0.1\nport = ${deadPort}\ntrack-file = ${track}\nstatus-file = ${status}\n`);
    const daemon = await box.start(['--config', config]);
    await waitForContent(status, (c) => c?.includes('"state":"fault"') === true, 'a first check');
    return { daemon, port, track, status };
  }

  const canLimit = spawnSync('sh', ['-c', 'command -v prlimit'], { stdio: 'ignore' }).status === 0;
  describeNeeding(canLimit ? undefined : 'prlimit not found (util-linux)', 'slow connections', () => {
    it(`${SLOW_CLIENTS} slow connections are closed within the client timeout, and the track and status files keep being rewritten`, async () => {
      const { daemon, port, status } = await startDaemon('flood');
      // As with a 1,024 fd limit and a few thousand clients, at a scale this test can afford.
      const limit = spawnSync('prlimit', ['--pid', String(daemon.pid), `--nofile=${FD_LIMIT}:${FD_LIMIT}`], { encoding: 'utf8' });
      expect(limit.status, limit.stderr).toBe(0);

      const kinds: Kind[] = ['silent', 'partial', 'trickle'];
      const t0 = now();
      const slow = await Promise.all(Array.from({ length: SLOW_CLIENTS }, (_, i) => slowClient(port, kinds[i % kinds.length]!)));
      const rewrites: number[] = [];
      let last = readStatus(status)?.lastCheck;
      try {
        while (slow.some((s) => s.closed === undefined) && msSince(t0) < FLOOD_LIMIT_MS) {
          const seen = readStatus(status)?.lastCheck;
          if (seen !== last) {
            rewrites.push(now());
            last = seen;
          }
          await sleep(20);
        }
      } finally {
        for (const s of slow) s.socket.destroy();
      }

      const gaps = rewrites.slice(1).map((t, i) => t - rewrites[i]!);
      const lifetimes = (kind: Kind, held: boolean) => slow.filter((s) => s.kind === kind && s.closed !== undefined && (s.closed - s.opened > 1_000) === held).map((s) => Math.round(s.closed! - s.opened));
      const open = slow.filter((s) => s.closed === undefined).length;
      const turnedAway = slow.filter((s) => s.closed !== undefined && s.closed - s.opened <= 1_000).length;
      for (const kind of kinds) {
        const l = summarize(lifetimes(kind, true));
        report(`${kind} clients held by the server: n=${l.n}, lifetime p50 ${l.p50} ms, max ${l.max} ms`);
      }
      report(`${SLOW_CLIENTS} slow clients, daemon fd limit ${FD_LIMIT}: ${turnedAway} turned away at once (cap ${MAX_CONNECTIONS}), ${open} still open after ${Math.round(msSince(t0))} ms`);
      report(`status file rewrites during the flood: ${rewrites.length}, largest gap ${Math.round(Math.max(...gaps))} ms (interval ${INTERVAL_MS} ms)`);

      expect(open, daemon.describe()).toBe(0);
      const all = kinds.flatMap((k) => lifetimes(k, true));
      expect(all.length).toBeLessThanOrEqual(MAX_CONNECTIONS);
      expect(Math.max(...all)).toBeLessThan(LIFETIME_BOUND_MS);
      expect(Math.max(...gaps), daemon.describe()).toBeLessThan(5 * INTERVAL_MS);
      expect(rewrites.length).toBeGreaterThan(CLIENT_TIMEOUT_MS / INTERVAL_MS / 2);
      expect(daemon.lines.filter((l) => l.msg.includes('cannot write')), daemon.describe()).toEqual([]);
      // And it still answers once they are gone, 404 and 405 as before.
      expect((await httpGet(port, '/live')).status).toBe(200);
      expect((await httpGet(port, '/nope')).status).toBe(404);
      expect((await httpGet(port, '/health/%ZZ')).status).toBe(400);
    });
  });

  it('SIGUSR1 opens no inspector: the daemon listens on its --listen port only, and logs one line', async () => {
    const { daemon, port } = await startDaemon('usr1');
    expect(listeningPorts(daemon.pid)).toEqual([port]);
    const mark = daemon.lines.length;

    daemon.signal('SIGUSR1');
    // Node opens the inspector within milliseconds of the signal when nothing holds it.
    await sleep(500);

    expect(listeningPorts(daemon.pid), daemon.describe()).toEqual([port]);
    expect(daemon.running).toBe(true);
    expect(daemon.lines.slice(mark).filter((l) => l.msg.includes('SIGUSR1')).map((l) => l.msg)).toEqual(['SIGUSR1 received and ignored: the Node inspector is disabled in the daemon']);
    expect((await httpGet(port, '/live')).status).toBe(200);
  });
});
