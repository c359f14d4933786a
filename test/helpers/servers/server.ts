// Throwaway mariadbd instances for integration tests. Each server lives in
// its own os.tmpdir()/check-mysql-test-XXXX dir, listens on 127.0.0.1 on a
// free port (never 3306) and on a socket in that dir, and never reads
// /etc/mysql (--no-defaults comes first on every command line; mariadbd.ts).
import { createConnection, type Connection } from 'mysql2/promise';
import { freePort } from '../ports.js';
import { MariadbdProcess } from './mariadbd.js';

export interface ServerOptions {
  serverId: number;
  /** Extra mariadbd options, appended after ours (so they win). */
  extraArgs?: string[];
}

export class Server extends MariadbdProcess {
  private readonly extraConns = new Set<Connection>();

  static async start(opts: ServerOptions): Promise<Server> {
    const port = await freePort();
    return MariadbdProcess.boot((dir) => new Server(dir, { ...opts, port, bindAddress: '127.0.0.1', host: '127.0.0.1' }));
  }

  protected get where(): string {
    return `on port ${this.port}`;
  }

  /**
   * An extra connection (closed by cleanup), e.g. to hold locks or use up
   * max_connections. Over TCP when a user/password is given, else as root.
   */
  async connect(auth?: { user: string; password: string }): Promise<Connection> {
    const conn = auth
      ? await createConnection({ host: this.host, port: this.port, ...auth })
      : await createConnection({ socketPath: this.socket, user: 'root', password: '' });
    this.extraConns.add(conn);
    conn.on('error', () => this.extraConns.delete(conn));
    conn.once('end', () => this.extraConns.delete(conn));
    return conn;
  }

  async closeExtraConnections(): Promise<void> {
    const conns = [...this.extraConns];
    this.extraConns.clear();
    await Promise.all(conns.map((c) => c.end().catch(() => c.destroy())));
  }

  protected override async beforeStop(): Promise<void> {
    await this.closeExtraConnections();
  }

  protected override forgetConnections(): void {
    super.forgetConnections();
    for (const c of this.extraConns) c.destroy();
    this.extraConns.clear();
  }
}

export function startServer(opts: ServerOptions): Promise<Server> {
  return Server.start(opts);
}
