// A held global read lock, as a stuck backup holds it: FLUSH TABLES WITH READ LOCK on a root
// connection of its own, kept until release() (or until the server dies).
import { createConnection, type Connection } from 'mysql2/promise';

export interface HeldReadLock {
  /** UNLOCK TABLES and closes the connection. Idempotent. */
  release(): Promise<void>;
}

export async function holdGlobalReadLock(server: { socket: string }): Promise<HeldReadLock> {
  const conn: Connection = await createConnection({ socketPath: server.socket, user: 'root', password: '' });
  conn.on('error', () => undefined);
  try {
    await conn.query('FLUSH TABLES WITH READ LOCK');
  } catch (err) {
    conn.destroy();
    throw err;
  }
  let released = false;
  return {
    release: async () => {
      if (released) return;
      released = true;
      await conn.query('UNLOCK TABLES').catch(() => undefined);
      await conn.end().catch(() => conn.destroy());
    },
  };
}
