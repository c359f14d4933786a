// A fake MySQL 8 server that harvests passwords, as issue 11 describes: it greets as
// caching_sha2_password, asks for full authentication, hands over its own RSA key when asked,
// and decrypts what comes back. It records every byte the client sends it (after TLS, if it
// offered TLS), so a test can assert the password never arrived. Raw node:net, because it must
// do what no real server does.
import { constants, generateKeyPairSync, privateDecrypt, randomBytes } from 'node:crypto';
import { createServer, type Server, type Socket } from 'node:net';
import { Duplex } from 'node:stream';
import { TLSSocket } from 'node:tls';

const CAPS = {
  LONG_PASSWORD: 0x1,
  PROTOCOL_41: 0x200,
  SSL: 0x800,
  TRANSACTIONS: 0x2000,
  SECURE_CONNECTION: 0x8000,
  MULTI_RESULTS: 0x20000,
  PLUGIN_AUTH: 0x80000,
  PLUGIN_AUTH_LENENC: 0x200000,
};

export interface ImpostorOptions {
  /** Offer TLS with this certificate and key (PEM); the fake then reads the client through TLS. */
  readonly tls?: { cert: string; key: string };
  /** The plugin it switches the client to (default caching_sha2_password, then full authentication). */
  readonly switchTo?: 'caching_sha2_password' | 'sha256_password' | 'mysql_clear_password';
  /** Answer the login with an endless stream of 16 MB packets instead (a handshake that never ends). */
  readonly flood?: boolean;
}

export interface Impostor {
  readonly port: number;
  /** Everything clients sent, in the clear (decrypted from TLS where it was used). */
  received(): Buffer;
  /** What it asked for and got, one word per step: greeting, tls, response, switch, full-auth, key-sent, password-recovered. */
  readonly steps: string[];
  /** Passwords it decrypted with its own key. */
  readonly recovered: string[];
  close(): Promise<void>;
}

const packet = (seq: number, payload: Buffer): Buffer =>
  Buffer.concat([Buffer.from([payload.length & 0xff, (payload.length >> 8) & 0xff, payload.length >> 16, seq & 0xff]), payload]);

function greeting(scramble: Buffer, tls: boolean): Buffer {
  const caps = Object.values(CAPS).reduce((a, b) => a | b, 0) & (tls ? ~0 : ~CAPS.SSL);
  const u16 = (n: number) => Buffer.from([n & 0xff, (n >> 8) & 0xff]);
  return Buffer.concat([
    Buffer.from([10]),
    Buffer.from('8.0.36-impostor\0'),
    Buffer.from([1, 0, 0, 0]),
    scramble.subarray(0, 8),
    Buffer.from([0]),
    u16(caps & 0xffff),
    Buffer.from([0xff]), // utf8mb4
    u16(2),
    u16(caps >>> 16),
    Buffer.from([21]),
    Buffer.alloc(10),
    scramble.subarray(8, 20),
    Buffer.from([0]),
    Buffer.from('caching_sha2_password\0'),
  ]);
}

/** Splits bytes into packets; `take` gets each and may stop the split (what follows is returned). */
function splitPackets(take: (seq: number, payload: Buffer) => 'stop' | void) {
  let buffered = Buffer.alloc(0);
  return (data: Buffer): Buffer | undefined => {
    buffered = Buffer.concat([buffered, data]);
    while (buffered.length >= 4) {
      const length = buffered[0]! | (buffered[1]! << 8) | (buffered[2]! << 16);
      if (buffered.length < 4 + length) return undefined;
      const seq = buffered[3]!;
      const payload = buffered.subarray(4, 4 + length);
      buffered = buffered.subarray(4 + length);
      if (take(seq, payload) === 'stop') return buffered;
    }
    return undefined;
  };
}

/** The socket as a plain stream that first yields `leftover`: the client's TLS hello may share a read with its SSLRequest. */
function rest(socket: Socket, leftover: Buffer): Duplex {
  const duplex = new Duplex({
    read() {},
    write(chunk, _encoding, done) {
      socket.write(chunk, done);
    },
  });
  if (leftover.length > 0) duplex.push(leftover);
  socket.on('data', (d: Buffer) => duplex.push(d));
  socket.on('close', () => duplex.destroy());
  return duplex;
}

export async function startImpostor(options: ImpostorOptions = {}): Promise<Impostor> {
  const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048, publicKeyEncoding: { type: 'spki', format: 'pem' }, privateKeyEncoding: { type: 'pkcs8', format: 'pem' } });
  const chunks: Buffer[] = [];
  const steps: string[] = [];
  const recovered: string[] = [];
  const sockets = new Set<Socket>();
  const refuse = Buffer.concat([Buffer.from([0xff, 0x15, 0x04]), Buffer.from('#28000Access denied')]);

  const converse = (socket: Socket) => {
    sockets.add(socket);
    socket.on('error', () => undefined);
    const scramble = Buffer.from(randomBytes(20).map((b) => (b % 94) + 33));
    let out: { write(b: Buffer): unknown } = socket;
    const send = (seq: number, payload: Buffer) => out.write(packet(seq, payload));
    const answer = (seq: number, payload: Buffer): 'stop' | void => {
      const last = steps.at(-1);
      if (last === 'greeting' && options.tls && payload.length === 32 && (payload.readUInt32LE(0) & CAPS.SSL) !== 0) {
        steps.push('tls');
        return 'stop';
      }
      if ((last === 'greeting' || last === 'tls') && options.flood) {
        steps.push('flood');
        const junk = Buffer.alloc(1 << 20, 0x41);
        const header = Buffer.from([0xff, 0xff, 0xff, (seq + 1) & 0xff]);
        const pump = () => {
          while (!socket.destroyed && out.write(Buffer.concat([header, junk])) !== false);
          if (!socket.destroyed) (out as Socket).once('drain', pump);
        };
        pump();
        return;
      }
      if (last === 'greeting' || last === 'tls') {
        steps.push('response');
        // Whatever plugin the client answered with, switch it to caching_sha2_password.
        send(seq + 1, Buffer.concat([Buffer.from([0xfe]), Buffer.from(`${options.switchTo ?? 'caching_sha2_password'}\0`), scramble, Buffer.from([0])]));
        steps.push('switch');
      } else if (last === 'switch' && options.switchTo !== undefined && options.switchTo !== 'caching_sha2_password') {
        steps.push(`other:${payload.length}`);
        send(seq + 1, refuse);
      } else if (last === 'switch') {
        send(seq + 1, Buffer.from([0x01, 0x04]));
        steps.push('full-auth');
      } else if (last === 'full-auth' && payload.length === 1 && payload[0] === 0x02) {
        send(seq + 1, Buffer.concat([Buffer.from([0x01]), Buffer.from(publicKey)]));
        steps.push('key-sent');
      } else if (last === 'key-sent') {
        const mixed = privateDecrypt({ key: privateKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha1' }, payload);
        const clear = Buffer.from(mixed.map((b, i) => b ^ scramble[i % 20]!));
        recovered.push(clear.subarray(0, clear.indexOf(0)).toString('utf8'));
        steps.push('password-recovered');
        send(seq + 1, refuse);
      } else {
        steps.push(`other:${payload.length}`);
        send(seq + 1, refuse);
      }
    };
    const split = splitPackets(answer);
    const onPlain = (d: Buffer) => {
      chunks.push(Buffer.from(d));
      const leftover = split(d);
      if (leftover === undefined) return;
      // The rest goes through TLS: record it decrypted.
      socket.removeListener('data', onPlain);
      chunks.push(Buffer.from('<tls>'));
      const secure = new TLSSocket(rest(socket, leftover), { isServer: true, cert: options.tls!.cert, key: options.tls!.key });
      secure.on('error', () => undefined);
      out = secure;
      const splitSecure = splitPackets(answer);
      secure.on('data', (s: Buffer) => {
        chunks.push(Buffer.from(s));
        splitSecure(s);
      });
    };
    socket.on('data', onPlain);
    socket.write(packet(0, greeting(scramble, options.tls !== undefined)));
    steps.push('greeting');
  };

  const server: Server = createServer(converse);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as { port: number }).port,
    received: () => Buffer.concat(chunks),
    steps,
    recovered,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
