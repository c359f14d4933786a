// SQL as root over a test server's Unix socket: what both the loopback server (server.ts) and
// the network-namespace one (ns-server.ts) give their tests.
import { createConnection, type Connection } from 'mysql2/promise';

export type Row = Record<string, unknown>;

export abstract class RootSql {
  abstract readonly socket: string;
  private rootConn: Connection | undefined;

  protected async rootConnection(): Promise<Connection> {
    if (!this.rootConn) {
      const conn = await createConnection({ socketPath: this.socket, user: 'root', password: '' });
      // Without a listener, a server dying between queries would crash the test process.
      conn.on('error', () => {
        if (this.rootConn === conn) this.rootConn = undefined;
      });
      this.rootConn = conn;
    }
    return this.rootConn;
  }

  /** Runs one statement as root over the socket; returns rows ([] if none). */
  async sql(query: string, params: unknown[] = []): Promise<Row[]> {
    const conn = await this.rootConnection();
    try {
      const [result] = await conn.query(query, params);
      return Array.isArray(result) ? (result as Row[]) : [];
    } catch (err) {
      // A fatal error poisons the connection; the next call opens a new one.
      if ((err as { fatal?: boolean }).fatal) this.dropRootConnection();
      throw err;
    }
  }

  /** Runs statements in order, each as in sql(). */
  async exec(...queries: string[]): Promise<void> {
    for (const q of queries) await this.sql(q);
  }

  /** Value of one global variable, e.g. variable('read_only') -> '0'. */
  async variable(name: string): Promise<string> {
    const rows = await this.sql(`SELECT @@GLOBAL.${name} AS v`);
    return String(rows[0]?.v);
  }

  /** SHOW ALL SLAVES STATUS rows (one per connection name). */
  async slaveStatus(): Promise<Row[]> {
    return this.sql('SHOW ALL SLAVES STATUS');
  }

  protected dropRootConnection(): void {
    this.rootConn?.destroy();
    this.rootConn = undefined;
  }
}
