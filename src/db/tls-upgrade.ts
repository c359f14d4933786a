/**
 * The TLS upgrade of a MySQL connection (after the server's greeting, before any credential),
 * done here rather than by mysql2, whose own upgrade takes no revocation list and leaves a
 * failure without the reason OpenSSL gave. The socket is verified, or the connection fails with
 * a TLS failure class, before mysql2 writes the login packet.
 *
 * node:tls is loaded only here, when a server offers TLS and we use it: a plain check never
 * pays for it (scripts/build.mjs keeps it out of the one-shot start-up).
 */
import type { SecureContext, TLSSocket } from 'node:tls';
import type { TlsConfig } from '../types/config.js';
import { DbFailure, type FailureClass } from '../types/failure.js';
import { isIP } from 'node:net';
import { STREAM_REPLACED } from './bounded-answer.js';

type NodeTls = typeof import('node:tls');
// require, not import: the one-shot bundle runs in a vm.Script, which has no dynamic import.
const nodeTls = (): NodeTls => require('node:tls') as NodeTls;

/** What of mysql2's connection the upgrade touches (its own startTLS has the same shape). */
export interface Upgradable {
  stream: { removeAllListeners(event: string): unknown };
  readonly packetParser: { execute(data: Buffer): void };
  _handleNetworkError(err: Error): void;
  startTLS(onSecure: (err?: Error) => void): void;
  readonly serverCapabilityFlags: number;
  readonly config: { ssl?: unknown };
  emit(event: string): boolean;
}

/** 'TLSv1.3' when the connection went over TLS, else undefined. */
export const tlsVersionOf = (conn: Pick<Upgradable, 'stream'>): string | undefined =>
  (conn.stream as Partial<Pick<TLSSocket, 'getProtocol'>>).getProtocol?.() ?? undefined;

/** CLIENT_SSL in the greeting's capability flags: the server offers TLS. */
const CLIENT_SSL = 0x800;
export const offersTls = (conn: Pick<Upgradable, 'serverCapabilityFlags'>): boolean => (conn.serverCapabilityFlags & CLIENT_SSL) !== 0;

/**
 * One context per TlsConfig: the daemon reconnects with the same one (parsed once), and a reload
 * that read new files makes a new TlsConfig, so new connections use the new certificates.
 */
const contexts = new WeakMap<TlsConfig, SecureContext>();

/**
 * --ssl-cipher narrows TLS 1.2's ciphers and --tls-ciphersuites TLS 1.3's, as in the mysql
 * client. Node takes both in one list (TLS 1.3's by their TLS_ names), and a list without one
 * kind leaves none of it: TLS 1.3 names alone would leave TLS 1.2 with no cipher. So the kind
 * not given keeps Node's defaults (`defaults`: tls.DEFAULT_CIPHERS).
 */
export function nodeCipherList(tls: Pick<TlsConfig, 'ciphers' | 'ciphersuites'>, defaults: string): string | undefined {
  if (tls.ciphers === undefined && tls.ciphersuites === undefined) return undefined;
  const parts = defaults.split(':');
  const tls12 = tls.ciphers ?? parts.filter((p) => !p.startsWith('TLS_')).join(':');
  const tls13 = tls.ciphersuites ?? parts.filter((p) => p.startsWith('TLS_')).join(':');
  return [tls13, tls12].filter(Boolean).join(':');
}

function contextFor(tls: TlsConfig): SecureContext {
  let context = contexts.get(tls);
  if (context) return context;
  const ciphers = nodeCipherList(tls, nodeTls().DEFAULT_CIPHERS);
  try {
    context = nodeTls().createSecureContext({
      // Without a CA (PREFERRED, REQUIRED: nothing is verified) an empty list, not Node's default:
      // the default builds the store of ~140 public roots, 18 ms of a one-shot's CPU, for nothing.
      // (A CA of ours costs those 18 ms once per process all the same: Node 20 builds the root
      // store to compare against before it makes one of only our CAs.)
      ca: tls.ca ?? [],
      ...(tls.cert !== undefined && { cert: tls.cert }),
      ...(tls.key !== undefined && { key: tls.key }),
      ...(tls.crl !== undefined && { crl: tls.crl }),
      ...(ciphers !== undefined && { ciphers }),
      minVersion: tls.minVersion ?? 'TLSv1.2',
      ...(tls.maxVersion !== undefined && { maxVersion: tls.maxVersion }),
    });
  } catch (err) {
    throw new DbFailure('tls-error', `cannot use the TLS settings: ${(err as Error).message}`);
  }
  contexts.set(tls, context);
  return context;
}

const verifies = (tls: TlsConfig): boolean => tls.mode === 'VERIFY_CA' || tls.mode === 'VERIFY_IDENTITY';

/** A failed handshake, in the class an operator acts on: the CA, the name, or anything else. */
function handshakeFailure(err: NodeJS.ErrnoException, socket: TLSSocket, tls: TlsConfig): DbFailure {
  const why = err.message;
  if (err.code === 'ERR_TLS_CERT_ALTNAME_INVALID') {
    return new DbFailure('tls-name-mismatch', `the server's TLS certificate is not for ${tls.host} (--ssl-mode VERIFY_IDENTITY): ${why}`);
  }
  // Node sets authorizationError only when the certificate did not verify against our CAs.
  const failure: FailureClass = socket.authorizationError ? 'tls-verify-failed' : 'tls-error';
  const what = failure === 'tls-verify-failed' ? `the server's TLS certificate does not verify against --ssl-ca (--ssl-mode ${tls.mode})` : 'TLS handshake failed';
  return new DbFailure(failure, `${what}: ${why}`);
}

/**
 * Replaces mysql2's upgrade on `conn` and, under PREFERRED, asks for TLS only when the greeting
 * offers it: mysql2 reads `config.ssl` after parsing the greeting, and would otherwise end the
 * handshake (an aborted connection the server counts) against a server without TLS.
 */
export function armTls(conn: Upgradable, tls: TlsConfig): void {
  const ssl = conn.config.ssl;
  if (tls.mode === 'PREFERRED') Object.defineProperty(conn.config, 'ssl', { get: () => (offersTls(conn) ? ssl : false), configurable: true });
  conn.startTLS = (onSecure) => {
    let context: SecureContext;
    try {
      context = contextFor(tls);
    } catch (err) {
      onSecure(err as Error);
      return;
    }
    const raw = conn.stream;
    raw.removeAllListeners('data');
    const name = nodeTls().checkServerIdentity;
    let established = false;
    const socket = nodeTls().connect(
      {
        socket: raw as never,
        secureContext: context,
        // SNI carries names only; an address is checked against the certificate's IP entries.
        ...(isName(tls.host) && { servername: tls.host }),
        rejectUnauthorized: verifies(tls),
        checkServerIdentity: (_host, cert) => (tls.mode === 'VERIFY_IDENTITY' ? name(tls.host, cert) : undefined),
      },
      () => {
        established = true;
        onSecure();
      },
    );
    socket.on('error', (err: NodeJS.ErrnoException) => {
      if (established) conn._handleNetworkError(err);
      else onSecure(handshakeFailure(err, socket, tls));
    });
    socket.on('data', (data: Buffer) => conn.packetParser.execute(data));
    conn.stream = socket;
    conn.emit(STREAM_REPLACED);
  };
}

const isName = (host: string): boolean => isIP(host) === 0;
