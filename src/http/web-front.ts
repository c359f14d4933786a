import { createServer as createHttpServer, type IncomingMessage, type RequestListener, type Server, type ServerOptions, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import type { TLSSocket } from 'node:tls';
import { BasicAuth } from './basic-auth.js';
import type { ClientAuthType } from './web-config.js';
import type { WebSettings } from './web-config-files.js';

/** How the health server is made: plain node:http, or the front below. */
export type ServerFactory = (options: ServerOptions, listener: RequestListener) => Server;

/** Node's two switches for each of Go's client auth policies; the rest is checked once the handshake is done. */
function clientCertOptions(auth: ClientAuthType): { requestCert: boolean; rejectUnauthorized: boolean } {
  if (auth === 'NoClientCert') return { requestCert: false, rejectUnauthorized: false };
  return { requestCert: true, rejectUnauthorized: auth === 'RequireAndVerifyClientCert' };
}

const hasCertificate = (socket: TLSSocket): boolean => Object.keys(socket.getPeerCertificate() ?? {}).length > 0;

/**
 * What --web-config-file puts in front of the endpoints, as the exporter-toolkit does: TLS, the
 * configured headers on every answer, and basic authentication on every path (/metrics, /health,
 * /health/NAME and /live alike). Without a web config it is plain HTTP, as before.
 */
export class WebFront {
  private auth: BasicAuth;
  private server: Server | undefined;

  constructor(private settings: WebSettings | undefined, private readonly handshakeTimeoutMs: number) {
    this.auth = new BasicAuth(settings?.users ?? new Map());
  }

  get scheme(): 'http' | 'https' {
    return this.settings?.tls ? 'https' : 'http';
  }

  readonly createServer: ServerFactory = (options, listener) => {
    const guarded: RequestListener = (req, res) => this.guard(req, res, listener);
    const tls = this.settings?.tls;
    if (!tls) return (this.server = createHttpServer(options, guarded));
    // A TLS client that never finishes its handshake is closed as a slow HTTP client is (Node's default: 120 s).
    const server = createHttpsServer({ ...options, ...tls.context, ...clientCertOptions(tls.clientAuth), handshakeTimeout: this.handshakeTimeoutMs }, guarded);
    server.on('secureConnection', (socket: TLSSocket) => this.enforceClientCert(socket));
    return (this.server = server as unknown as Server);
  };

  /**
   * SIGHUP: new users, headers and certificates for the requests and connections that follow.
   * Between HTTPS and plain HTTP only a restart moves: the new file is not applied at all then.
   * Returns the warning to log, if any.
   */
  update(next: WebSettings | undefined): string | undefined {
    if ((next?.tls !== undefined) !== (this.settings?.tls !== undefined)) {
      return `reload: --web-config-file ${next?.tls ? 'turns TLS on' : 'turns TLS off'}, which takes effect only after a restart; still serving ${this.scheme.toUpperCase()} with the web config loaded before`;
    }
    if (next?.tls && this.server) {
      const server = this.server as unknown as HttpsServer;
      server.setSecureContext(next.tls.context);
      Object.assign(server, clientCertOptions(next.tls.clientAuth));
    }
    this.settings = next;
    this.auth = new BasicAuth(next?.users ?? new Map());
    return undefined;
  }

  /** Go refuses these in the handshake; Node lets them through, so they are closed right after it. */
  private enforceClientCert(socket: TLSSocket): void {
    const auth = this.settings?.tls?.clientAuth;
    const given = hasCertificate(socket);
    if (auth === 'RequireAnyClientCert' && !given) socket.destroy();
    if (auth === 'VerifyClientCertIfGiven' && given && !socket.authorized) socket.destroy();
  }

  private guard(req: IncomingMessage, res: ServerResponse, next: RequestListener): void {
    for (const [name, value] of Object.entries(this.settings?.headers ?? {})) res.setHeader(name, value);
    const auth = this.auth;
    if (!auth.required) return void next(req, res);
    auth.check(req.headers.authorization).then(
      (outcome) => {
        if (outcome === 'ok') return void next(req, res);
        const busy = outcome === 'busy';
        const body = busy ? 'too many authentications in progress\n' : 'Unauthorized\n';
        res.writeHead(busy ? 429 : 401, {
          ...(busy ? { 'retry-after': '1' } : { 'www-authenticate': 'Basic realm="check-mysql", charset="UTF-8"' }),
          'content-type': 'text/plain; charset=utf-8',
          'cache-control': 'no-store',
          'content-length': Buffer.byteLength(body),
        });
        res.end(body);
      },
      () => res.destroy(),
    );
  }
}
