import { dirname, resolve } from 'node:path';
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Node, type Pair, type YAMLMap } from 'yaml';
import { UsageError } from '../usage-error.js';

/**
 * The exporter-toolkit's web config (prometheus/exporter-toolkit docs/web-configuration.md),
 * which mysqld_exporter and every Prometheus exporter read with --web.config.file: the same
 * file, checked by `promtool check web-config`, works here. Pure: YAML text -> what to serve,
 * with file paths resolved against the file's directory as the toolkit does; no file is read.
 *
 * Stricter than the toolkit where it would fail open: a tls_server_config without a certificate
 * is an error (the toolkit falls back to plain HTTP), TLS 1.0/1.1 and ciphers without forward
 * secrecy are refused, and the keys we do not implement are refused by name, never ignored.
 */
export const CLIENT_AUTH_TYPES = ['NoClientCert', 'RequestClientCert', 'RequireAnyClientCert', 'VerifyClientCertIfGiven', 'RequireAndVerifyClientCert'] as const;
export type ClientAuthType = (typeof CLIENT_AUTH_TYPES)[number];
export type WebTlsVersion = 'TLSv1.2' | 'TLSv1.3';

export interface WebTlsSpec {
  readonly certFile: string;
  readonly keyFile: string;
  readonly clientCaFile?: string;
  readonly clientAuth: ClientAuthType;
  readonly minVersion: WebTlsVersion;
  readonly maxVersion: WebTlsVersion;
  /** OpenSSL's names of the TLS 1.2 suites; undefined keeps Node's defaults. */
  readonly ciphers?: string;
  /** OpenSSL's names of the curves, in order. */
  readonly curves?: string;
  readonly honorCipherOrder: boolean;
}

export interface WebConfigSpec {
  readonly tls?: WebTlsSpec;
  /** User name -> bcrypt hash; empty means no basic authentication. */
  readonly users: ReadonlyMap<string, string>;
  readonly headers: Readonly<Record<string, string>>;
}

/** The toolkit's spellings of TLS versions; 1.0 and 1.1 exist there but are refused here. */
const VERSIONS: Record<string, WebTlsVersion> = { TLS12: 'TLSv1.2', TLS13: 'TLSv1.3' };
const OLD_VERSIONS = new Set(['TLS10', 'TLS11']);

/**
 * Go's names (crypto/tls CipherSuites(), the only ones the toolkit takes) of the TLS 1.2 suites
 * with forward secrecy, and OpenSSL's names for them, which Node takes.
 */
const CIPHERS: Record<string, string> = {
  TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA: 'ECDHE-ECDSA-AES128-SHA',
  TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA: 'ECDHE-ECDSA-AES256-SHA',
  TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA: 'ECDHE-RSA-AES128-SHA',
  TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA: 'ECDHE-RSA-AES256-SHA',
  TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256: 'ECDHE-ECDSA-AES128-GCM-SHA256',
  TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384: 'ECDHE-ECDSA-AES256-GCM-SHA384',
  TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256: 'ECDHE-RSA-AES128-GCM-SHA256',
  TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384: 'ECDHE-RSA-AES256-GCM-SHA384',
  TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256: 'ECDHE-RSA-CHACHA20-POLY1305',
  TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256: 'ECDHE-ECDSA-CHACHA20-POLY1305',
};
/** Go lists these too, but TLS 1.3's suites are not configurable there: accepted, and as in Go they change nothing. */
const TLS13_SUITES = new Set(['TLS_AES_128_GCM_SHA256', 'TLS_AES_256_GCM_SHA384', 'TLS_CHACHA20_POLY1305_SHA256']);
const CURVES: Record<string, string> = { CurveP256: 'P-256', CurveP384: 'P-384', CurveP521: 'P-521', X25519: 'X25519' };

/** The toolkit's only configurable headers, and the values it allows where it restricts them. */
const HEADERS: Record<string, readonly string[] | undefined> = {
  'Strict-Transport-Security': undefined,
  'X-Content-Type-Options': ['nosniff'],
  'X-Frame-Options': ['deny', 'sameorigin'],
  'X-XSS-Protection': undefined,
  'Content-Security-Policy': undefined,
};

/** As htpasswd -nBC 10 writes ($2y$), and Go's and OpenBSD's ($2a$, $2b$): cost 4 to 31, 53 characters of salt and hash. */
const BCRYPT = /^\$2[aby]\$(0[4-9]|[12]\d|3[01])\$[./A-Za-z0-9]{53}$/;

const TOP_KEYS = ['tls_server_config', 'http_server_config', 'basic_auth_users'];
const TLS_KEYS = ['cert_file', 'key_file', 'client_ca_file', 'client_auth_type', 'min_version', 'max_version', 'cipher_suites', 'curve_preferences', 'prefer_server_cipher_suites'];
const HTTP_KEYS = ['headers', 'http2'];
/** The toolkit's keys that check-mysql does not implement: refused by name, so nobody believes they act. */
const NOT_IMPLEMENTED: Record<string, string> = {
  rate_limit: 'rate_limit is not supported by check-mysql',
  cert: "inline 'cert' is not supported by check-mysql: use cert_file",
  key: "inline 'key' is not supported by check-mysql: use key_file",
  client_ca: "inline 'client_ca' is not supported by check-mysql: use client_ca_file",
  client_allowed_sans: 'client_allowed_sans is not supported by check-mysql',
};

class Reader {
  private readonly lines = new LineCounter();
  constructor(readonly path: string) {}

  parse(text: string): YAMLMap | undefined {
    const doc = parseDocument(text, { lineCounter: this.lines, uniqueKeys: true, prettyErrors: false });
    const err = doc.errors[0];
    if (err) throw new UsageError(`${this.path}:${this.lines.linePos(err.pos[0]).line}: not valid YAML: ${err.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '')}`);
    if (doc.contents === null || (isScalar(doc.contents) && doc.contents.value === null)) return undefined;
    if (!isMap(doc.contents)) throw this.error(doc.contents, 'the top level must be a mapping');
    return doc.contents;
  }

  error(node: Node | Pair | null | undefined, message: string): UsageError {
    const offset = node && 'range' in node ? node.range?.[0] : node && 'key' in node ? (node.key as Node | null)?.range?.[0] : undefined;
    const at = offset === undefined ? this.path : `${this.path}:${this.lines.linePos(offset).line}`;
    return new UsageError(`${at}: ${message}`);
  }

  /** A mapping's entries by key, refusing keys outside `known`; null (an empty section) is no entries. */
  entries(node: unknown, where: string, known?: readonly string[]): Map<string, Pair> {
    const out = new Map<string, Pair>();
    if (node === null || node === undefined || (isScalar(node) && node.value === null)) return out;
    if (!isMap(node)) throw this.error(node as Node, `${where} must be a mapping`);
    for (const pair of node.items) {
      const key = isScalar(pair.key) ? String(pair.key.value) : undefined;
      if (key === undefined) throw this.error(pair, `${where}: keys must be plain strings`);
      const refused = NOT_IMPLEMENTED[key];
      if (known && refused && !known.includes(key)) throw this.error(pair, refused);
      if (known && !known.includes(key)) throw this.error(pair, `unknown key '${key}' in ${where} (known: ${known.join(', ')})`);
      out.set(key, pair);
    }
    return out;
  }

  string(pair: Pair | undefined, name: string): string | undefined {
    if (pair === undefined || (isScalar(pair.value) && pair.value.value === null)) return undefined;
    if (!isScalar(pair.value) || typeof pair.value.value !== 'string' || pair.value.value === '') throw this.error(pair, `${name} must be a non-empty string`);
    return pair.value.value;
  }

  strings(pair: Pair | undefined, name: string): string[] | undefined {
    if (pair === undefined || (isScalar(pair.value) && pair.value.value === null)) return undefined;
    if (!isSeq(pair.value)) throw this.error(pair, `${name} must be a list`);
    return pair.value.items.map((item) => {
      if (!isScalar(item) || typeof item.value !== 'string') throw this.error(pair, `${name} must be a list of strings`);
      return item.value;
    });
  }

  boolean(pair: Pair | undefined, name: string, fallback: boolean): boolean {
    if (pair === undefined) return fallback;
    if (!isScalar(pair.value) || typeof pair.value.value !== 'boolean') throw this.error(pair, `${name} must be true or false`);
    return pair.value.value;
  }
}

/** The YAML text of the file at `path` -> what to serve, or a UsageError naming the file and line. */
export function parseWebConfig(text: string, path: string): WebConfigSpec {
  const r = new Reader(path);
  const top = r.entries(r.parse(text), 'the top level', TOP_KEYS);
  const tlsSection = top.get('tls_server_config');
  const http = r.entries(top.get('http_server_config')?.value, 'http_server_config', HTTP_KEYS);
  r.boolean(http.get('http2'), 'http_server_config.http2', true); // HTTP/1.1 only here: either value is served as that
  return Object.freeze({
    ...(tlsSection && tlsSpec(r, tlsSection, dirname(resolve(path)))),
    users: users(r, top.get('basic_auth_users')),
    headers: headers(r, http.get('headers')),
  });
}

function tlsSpec(r: Reader, section: Pair, dir: string): { tls: WebTlsSpec } {
  const t = r.entries(section.value, 'tls_server_config', TLS_KEYS);
  const file = (key: string) => {
    const value = r.string(t.get(key), `tls_server_config.${key}`);
    return value === undefined ? undefined : resolve(dir, value);
  };
  const certFile = file('cert_file');
  const keyFile = file('key_file');
  // The toolkit serves plain HTTP when no certificate is named: here that is a mistake, not a choice.
  if (certFile === undefined) throw r.error(section, 'tls_server_config needs cert_file (without it, metrics and health would go out in clear)');
  if (keyFile === undefined) throw r.error(section, 'tls_server_config needs key_file');
  const clientCaFile = file('client_ca_file');
  const authPair = t.get('client_auth_type');
  const clientAuth = (r.string(authPair, 'tls_server_config.client_auth_type') ?? 'NoClientCert') as ClientAuthType;
  if (!CLIENT_AUTH_TYPES.includes(clientAuth)) throw r.error(authPair, `invalid client_auth_type '${clientAuth}': expected one of ${CLIENT_AUTH_TYPES.join(', ')}`);
  const verifying = clientAuth === 'VerifyClientCertIfGiven' || clientAuth === 'RequireAndVerifyClientCert';
  if (verifying && clientCaFile === undefined) throw r.error(authPair, `client_auth_type ${clientAuth} needs client_ca_file: the CA that signs the client certificates`);
  if (clientCaFile !== undefined && clientAuth === 'NoClientCert') throw r.error(t.get('client_ca_file'), 'client_ca_file is set but client_auth_type asks for no client certificate (set it to RequireAndVerifyClientCert)');
  const minVersion = version(r, t.get('min_version'), 'min_version', 'TLSv1.2');
  const maxVersion = version(r, t.get('max_version'), 'max_version', 'TLSv1.3');
  if (minVersion > maxVersion) throw r.error(t.get('min_version'), `min_version is above max_version`);
  const ciphers = cipherList(r, t.get('cipher_suites'));
  const curves = r.strings(t.get('curve_preferences'), 'tls_server_config.curve_preferences')?.map((c) => {
    const name = CURVES[c];
    if (name === undefined) throw r.error(t.get('curve_preferences'), `unknown curve '${c}' in curve_preferences (known: ${Object.keys(CURVES).join(', ')})`);
    return name;
  });
  return {
    tls: Object.freeze({
      certFile,
      keyFile,
      ...(clientCaFile !== undefined && { clientCaFile }),
      clientAuth,
      minVersion,
      maxVersion,
      ...(ciphers && { ciphers }),
      ...(curves && curves.length > 0 && { curves: curves.join(':') }),
      honorCipherOrder: r.boolean(t.get('prefer_server_cipher_suites'), 'tls_server_config.prefer_server_cipher_suites', true),
    }),
  };
}

function version(r: Reader, pair: Pair | undefined, key: string, fallback: WebTlsVersion): WebTlsVersion {
  const written = r.string(pair, `tls_server_config.${key}`);
  if (written === undefined) return fallback;
  const v = VERSIONS[written];
  if (v) return v;
  if (OLD_VERSIONS.has(written)) throw r.error(pair, `${key} ${written} is not supported: TLS 1.0 and 1.1 are broken (use TLS12 or TLS13)`);
  throw r.error(pair, `invalid ${key} '${written}': expected TLS12 or TLS13`);
}

function cipherList(r: Reader, pair: Pair | undefined): string | undefined {
  const names = r.strings(pair, 'tls_server_config.cipher_suites');
  if (names === undefined) return undefined;
  const openssl = names.flatMap((n) => {
    if (TLS13_SUITES.has(n)) return [];
    const name = CIPHERS[n];
    if (name === undefined) throw r.error(pair, `unknown or refused cipher '${n}' in cipher_suites (TLS 1.2 suites with forward secrecy, by Go's names: ${Object.keys(CIPHERS).join(', ')})`);
    return [name];
  });
  return openssl.length > 0 ? openssl.join(':') : undefined;
}

function users(r: Reader, section: Pair | undefined): ReadonlyMap<string, string> {
  const out = new Map<string, string>();
  for (const [user, pair] of r.entries(section?.value, 'basic_auth_users')) {
    // The hash is never repeated in a message: it can be cracked offline.
    if (user.includes(':') || user === '') throw r.error(pair, `basic_auth_users: user name '${user}' cannot be sent in basic authentication (empty, or has ':')`);
    const hash = isScalar(pair.value) ? pair.value.value : undefined;
    if (typeof hash !== 'string' || !BCRYPT.test(hash)) throw r.error(pair, `basic_auth_users: the password of '${user}' is not a bcrypt hash ($2y$, $2a$ or $2b$, cost 4 to 31, as 'htpasswd -nBC 10 USER' writes)`);
    out.set(user, hash);
  }
  return out;
}

function headers(r: Reader, section: Pair | undefined): Readonly<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const [name, pair] of r.entries(section?.value, 'http_server_config.headers', Object.keys(HEADERS))) {
    if (isScalar(pair.value) && pair.value.value === '') continue; // the toolkit: unset if blank
    const value = r.string(pair, `header ${name}`);
    if (value === undefined) continue;
    const allowed = HEADERS[name];
    if (allowed && !allowed.includes(value)) throw r.error(pair, `invalid value '${value}' for header ${name}: expected ${allowed.join(' or ')}`);
    if (/[\r\n]/.test(value)) throw r.error(pair, `header ${name}: a value cannot span lines`);
    out[name] = value;
  }
  return Object.freeze(out);
}
