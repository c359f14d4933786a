// Percona's own pt-heartbeat (Debian: percona-toolkit), run as root over a test server's socket:
// --update in the background as a writer would run it, and --check for its figure of the lag.
// HOME points at an empty directory so no ~/.my.cnf is read.
import { spawn, type ChildProcess } from 'node:child_process';
import { findExecutable } from '../executables.js';
import { trackPid, untrackPid } from '../reaper.js';
import type { Server } from '../servers/server.js';

/** Why pt-heartbeat cannot run here, or undefined when it can. */
export function ptHeartbeatMissing(): string | undefined {
  return findExecutable('pt-heartbeat') ? undefined : 'pt-heartbeat not found on PATH (Debian: apt-get install percona-toolkit)';
}

const env = (home: string): NodeJS.ProcessEnv => ({ PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: home, LANG: 'C' });
const login = (server: Server): string[] => ['-S', server.socket, '-u', 'root'];

/** `pt-heartbeat --update -D DB --utc --interval S` on `server`, until stop(). */
export function startPtUpdate(server: Server, database: string, intervalS: number, home: string): { stop(): Promise<void>; output(): string } {
  const args = ['--update', '-D', database, '--utc', '--interval', String(intervalS), '--insert-heartbeat-row', ...login(server)];
  const child: ChildProcess = spawn(findExecutable('pt-heartbeat')!, args, { env: env(home), stdio: ['ignore', 'pipe', 'pipe'] });
  // Its command line holds the server's socket path, inside the server's own directory.
  if (child.pid !== undefined) trackPid(child.pid, server.socket);
  let output = '';
  child.stdout?.setEncoding('utf8').on('data', (d: string) => (output += d));
  child.stderr?.setEncoding('utf8').on('data', (d: string) => (output += d));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    output: () => output,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
      if (child.pid !== undefined) untrackPid(child.pid);
    },
  };
}

/** `pt-heartbeat --check -D DB --utc --master-server-id N` on `server`: its lag figure in seconds. */
export function ptCheck(server: Server, database: string, masterServerId: number, home: string, extra: string[] = []): Promise<number> {
  const args = ['--check', '-D', database, '--utc', '--master-server-id', String(masterServerId), ...extra, ...login(server)];
  return new Promise((resolve, reject) => {
    const child = spawn(findExecutable('pt-heartbeat')!, args, { env: env(home), stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.once('error', reject);
    child.once('close', (code) => {
      const figure = Number(out.trim());
      if (code === 0 && out.trim() !== '' && Number.isFinite(figure)) resolve(figure);
      else reject(new Error(`pt-heartbeat ${args.join(' ')} exited ${code}: ${out.trim()}`));
    });
  });
}
