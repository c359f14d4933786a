// A real HAProxy (Debian's) in the foreground with a config the test writes into its temp dir,
// its pid tracked by the reaper; asked for its servers' check state over its stats socket.
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { findExecutable } from '../executables.js';
import { trackPid } from '../reaper.js';
import { ToolProcess } from './tool-process.js';

export const haproxyMissing = (): string | undefined => (findExecutable('haproxy') ? undefined : 'haproxy is not installed (apt-get install haproxy)');

export interface ServerState {
  readonly backend: string;
  readonly server: string;
  /** UP, DOWN, ... */
  readonly status: string;
  /** L7OK, L7STS, L6TOUT, ... */
  readonly checkStatus: string;
  /** The HTTP status of the last check, if it got one. */
  readonly checkCode: string;
}

export class HaproxyProcess extends ToolProcess {
  private constructor(child: ChildProcess, private readonly socket: string) {
    super(child, 'haproxy', 100);
  }

  /** `body` is the config after `global` (which sets the stats socket); `dir` is the reaper's marker. */
  static async start(dir: string, body: string): Promise<HaproxyProcess> {
    const socket = join(dir, 'haproxy.sock');
    const config = join(dir, 'haproxy.cfg');
    writeFileSync(config, `global\n    stats socket ${socket} mode 600 level user\n${body}`, { mode: 0o600 });
    const child = spawn('haproxy', ['-db', '-f', config], { stdio: ['ignore', 'pipe', 'pipe'] });
    if (child.pid === undefined) throw new Error('haproxy did not start');
    trackPid(child.pid, dir);
    const haproxy = new HaproxyProcess(child, socket);
    try {
      await haproxy.waitUntil('its stats socket', async () => (await haproxy.servers().catch(() => undefined)) !== undefined, 10_000);
    } catch (err) {
      await haproxy.stop();
      throw err;
    }
    return haproxy;
  }

  /** `show stat`, one entry per server. */
  async servers(): Promise<ServerState[]> {
    const csv = await new Promise<string>((resolve, reject) => {
      const s = connect(this.socket);
      let text = '';
      s.setEncoding('utf8').on('data', (d: string) => (text += d));
      s.on('error', reject);
      s.on('end', () => resolve(text));
      s.write('show stat\n');
    });
    const [header, ...rows] = csv.replace(/^# /, '').trim().split('\n').map((l) => l.split(','));
    const col = (name: string) => header!.indexOf(name);
    return rows
      .filter((r) => r[col('svname')] !== 'BACKEND' && r[col('svname')] !== 'FRONTEND')
      .map((r) => ({ backend: r[col('pxname')]!, server: r[col('svname')]!, status: r[col('status')]!, checkStatus: r[col('check_status')]!, checkCode: r[col('check_code')]! }));
  }
}
