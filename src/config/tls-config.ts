import type { ArgValue } from '../cli/parse-argv.js';
import { SSL_MODES } from '../cli/options.js';
import type { PasswordPolicy, SslMode, TlsConfig, TlsVersion } from '../types/config.js';
import type { OptionFileSystem } from '../types/host.js';
import { UsageError } from '../usage-error.js';
import { DEFAULTS } from './defaults.js';
import { cannotRead, isWorldWritable } from './file-trust.js';
import { choice, invalidValue, type SettingNames } from './values.js';

/**
 * The mysql client's TLS options -> one TLS config and the rule for the password. Pure but for
 * reading the files it names, through the bounded config reader, so a missing certificate is a
 * bad invocation (exit 2) and not a failed check.
 *
 * Precedence, as in MySQL's client (include/sslopt-case.h): an --ssl-mode given anywhere wins;
 * otherwise --ssl-ca or --ssl-capath means VERIFY_CA. MariaDB's spellings map onto the modes:
 * --ssl-verify-server-cert is VERIFY_IDENTITY, --skip-ssl DISABLED, --ssl REQUIRED.
 */
export interface TlsSettings {
  /** One setting: command line first, then option files; a boolean as argv or a file gives it. */
  get(name: string): ArgValue | undefined;
}

export interface TlsOutcome {
  readonly tls?: TlsConfig;
  readonly auth: PasswordPolicy;
  readonly notices: readonly string[];
}

const ORDER: readonly SslMode[] = SSL_MODES;
const verifies = (mode: SslMode): boolean => ORDER.indexOf(mode) >= ORDER.indexOf('VERIFY_CA');
/** Options that only make sense with TLS: given without a mode, they ask for it (MariaDB: "implies --ssl"). */
const WANTS_TLS = ['ssl-cert', 'ssl-key', 'ssl-cipher', 'tls-ciphersuites', 'tls-version', 'ssl-crl', 'ssl-crlpath'];
/** The TLS 1.3 ciphersuites OpenSSL knows, as the mysql client's --tls-ciphersuites takes them. */
const TLS13_SUITES = ['TLS_AES_128_GCM_SHA256', 'TLS_AES_256_GCM_SHA384', 'TLS_CHACHA20_POLY1305_SHA256', 'TLS_AES_128_CCM_SHA256', 'TLS_AES_128_CCM_8_SHA256'];

/** A boolean as the command line (true) or an option file (`ssl`, `ssl=0`, `ssl=OFF`) gives it. */
export function booleanSetting(key: string, value: ArgValue | undefined, names: SettingNames): boolean | undefined {
  if (value === undefined || typeof value === 'boolean') return value;
  const v = String(value).trim().toLowerCase();
  if (v === '' || ['1', 'on', 'true', 'yes'].includes(v)) return true;
  if (['0', 'off', 'false', 'no'].includes(v)) return false;
  throw invalidValue(key, String(value), 'nothing, or one of 1, 0, ON, OFF, TRUE, FALSE', names);
}

/** The mode the settings ask for, or undefined for the default; a contradiction is an error. */
export function requestedMode(s: TlsSettings, names: SettingNames): { mode?: SslMode; explicit: boolean } {
  const str = (name: string) => s.get(name) as string | undefined;
  const written = str('ssl-mode');
  const explicit = written === undefined ? undefined : choice('ssl-mode', written.toUpperCase(), SSL_MODES, names);
  const skip = booleanSetting('skip-ssl', s.get('skip-ssl'), names) === true;
  const ssl = skip ? false : booleanSetting('ssl', s.get('ssl'), names);
  const verifyCert = booleanSetting('ssl-verify-server-cert', s.get('ssl-verify-server-cert'), names) === true;
  const conflict = (other: string) => new UsageError(`${names('ssl-mode')} ${explicit} contradicts ${names(other)}`);
  if (explicit !== undefined) {
    if (verifyCert && explicit !== 'VERIFY_IDENTITY') throw conflict('ssl-verify-server-cert');
    if (ssl === false && explicit !== 'DISABLED') throw conflict(skip ? 'skip-ssl' : 'ssl');
    if (ssl === true && explicit === 'DISABLED') throw conflict('ssl');
    return { mode: explicit, explicit: true };
  }
  if (ssl === false) {
    if (verifyCert) throw new UsageError(`${names(skip ? 'skip-ssl' : 'ssl')} contradicts ${names('ssl-verify-server-cert')}`);
    return { mode: 'DISABLED', explicit: true };
  }
  if (verifyCert) return { mode: 'VERIFY_IDENTITY', explicit: true };
  if (str('ssl-ca') !== undefined || str('ssl-capath') !== undefined) return { mode: 'VERIFY_CA', explicit: false };
  if (ssl === true || WANTS_TLS.some((n) => str(n) !== undefined)) return { mode: 'REQUIRED', explicit: false };
  return { explicit: false };
}

/**
 * Over a Unix socket there is no TLS (the server treats the socket as secure, and so does the
 * client): the files are not even read. `host` is the TCP host, undefined for a socket.
 */
export function tlsConfig(s: TlsSettings, host: string | undefined, fs: OptionFileSystem, names: SettingNames): TlsOutcome {
  const requested = requestedMode(s, names);
  if (host === undefined) return { auth: Object.freeze({ verifiedChannel: true, getServerPublicKey: false }), notices: [] };
  const mode = requested.mode ?? (DEFAULTS.sslMode as SslMode);
  const str = (name: string) => s.get(name) as string | undefined;
  const read = fileReader(fs, names);
  const notices: string[] = [];
  const hasCa = str('ssl-ca') !== undefined || str('ssl-capath') !== undefined;
  if (hasCa && !verifies(mode)) {
    // The mysql client's own warning, in its words.
    notices.push(`no verification of server certificate will be done: ${names('ssl-ca')} is used only with ${names('ssl-mode')} VERIFY_CA or VERIFY_IDENTITY`);
  }
  if (verifies(mode) && !hasCa) {
    throw new UsageError(`${names('ssl-mode')} ${mode} needs ${names('ssl-ca')} or ${names('ssl-capath')} (as with the mysql client, the system's CAs are not trusted for a database)`);
  }
  if ((str('ssl-cert') === undefined) !== (str('ssl-key') === undefined)) {
    throw new UsageError(`${names('ssl-cert')} and ${names('ssl-key')} go together: a client certificate needs its key`);
  }
  const auth = passwordPolicy(s, verifies(mode), read, names, notices);
  if (mode === 'DISABLED') return { auth, notices };
  const versions = tlsVersions(str('tls-version'), names);
  const ca = verifies(mode) ? [str('ssl-ca') && read('ssl-ca', str('ssl-ca')!, CERTIFICATE), str('ssl-capath') && readPemDir(fs, 'ssl-capath', str('ssl-capath')!, CA_FILE, CERTIFICATE, read, names)].filter(Boolean).join('\n') : undefined;
  const crl = verifies(mode) ? [str('ssl-crl') && read('ssl-crl', str('ssl-crl')!, CRL), str('ssl-crlpath') && readPemDir(fs, 'ssl-crlpath', str('ssl-crlpath')!, CRL_FILE, CRL, read, names)].filter(Boolean).join('\n') : undefined;
  const suites = ciphersuites(str('tls-ciphersuites'), names);
  const keyPath = str('ssl-key');
  if (keyPath !== undefined) {
    const exposed = exposedKey(fs, keyPath);
    if (exposed) notices.push(exposed);
  }
  const tls: TlsConfig = {
    mode,
    host,
    ...(ca && { ca }),
    ...(str('ssl-cert') !== undefined && { cert: read('ssl-cert', str('ssl-cert')!, CERTIFICATE) }),
    ...(keyPath !== undefined && { key: read('ssl-key', keyPath, PRIVATE_KEY) }),
    ...(crl && { crl }),
    ...(str('ssl-cipher') !== undefined && { ciphers: str('ssl-cipher') }),
    ...(suites !== undefined && { ciphersuites: suites }),
    ...versions,
  };
  return { tls: Object.freeze(tls), auth, notices };
}

function passwordPolicy(s: TlsSettings, verifiedChannel: boolean, read: PemReader, names: SettingNames, notices: string[]): PasswordPolicy {
  const keyPath = s.get('server-public-key-path') as string | undefined;
  const getKey = booleanSetting('get-server-public-key', s.get('get-server-public-key'), names) === true;
  if (getKey && keyPath === undefined && !verifiedChannel) {
    notices.push(`${names('get-server-public-key')}: the password is encrypted to whatever key the server sends, so an impostor on the port can read it; pin the key with ${names('server-public-key-path')} or verify the server (${names('ssl-mode')} VERIFY_CA)`);
  }
  return Object.freeze({
    verifiedChannel,
    getServerPublicKey: getKey,
    ...(keyPath !== undefined && { serverPublicKey: read('server-public-key-path', keyPath, PUBLIC_KEY) }),
  });
}

function ciphersuites(written: string | undefined, names: SettingNames): string | undefined {
  if (written === undefined) return undefined;
  const asked = written.split(':').map((v) => v.trim()).filter(Boolean);
  if (asked.length === 0 || asked.some((s) => !TLS13_SUITES.includes(s))) throw invalidValue('tls-ciphersuites', written, `TLS 1.3 ciphersuites, colon-separated: ${TLS13_SUITES.join(', ')}`, names);
  return asked.join(':');
}

function tlsVersions(written: string | undefined, names: SettingNames): { minVersion?: TlsVersion; maxVersion?: TlsVersion } {
  if (written === undefined) return {};
  const known: readonly TlsVersion[] = ['TLSv1.2', 'TLSv1.3'];
  const asked = written.split(',').map((v) => v.trim()).filter(Boolean);
  const versions = asked.map((v) => known.find((k) => k.toLowerCase() === v.toLowerCase()));
  if (asked.length === 0 || versions.includes(undefined)) throw invalidValue('tls-version', written, 'TLSv1.2, TLSv1.3 or both, comma-separated (TLS 1.0 and 1.1 are not supported)', names);
  const sorted = [...new Set(versions as TlsVersion[])].sort();
  return { minVersion: sorted[0]!, maxVersion: sorted[sorted.length - 1]! };
}

/** What a file must hold, by PEM label; the file's text is never repeated in an error (it may be a key). */
export interface Pem {
  readonly what: string;
  readonly label: RegExp;
}
export const CERTIFICATE: Pem = { what: 'certificate', label: /-----BEGIN (TRUSTED )?CERTIFICATE-----/ };
export const PRIVATE_KEY: Pem = { what: 'private key', label: /-----BEGIN ([A-Z]+ )?PRIVATE KEY-----/ };
const CRL: Pem = { what: 'revocation list', label: /-----BEGIN X509 CRL-----/ };
const PUBLIC_KEY: Pem = { what: 'public key', label: /-----BEGIN (RSA )?PUBLIC KEY-----/ };

export type PemReader = (key: string, path: string, pem: Pem) => string;

export function fileReader(fs: OptionFileSystem, names: SettingNames): PemReader {
  return (key, path, pem) => {
    let text: string;
    try {
      text = fs.readFile(path);
    } catch (err) {
      throw cannotRead(names(key), path, err);
    }
    if (!pem.label.test(text)) throw new UsageError(`${names(key)} ${path} holds no PEM ${pem.what}`);
    return text;
  };
}

/** OpenSSL's hashed names (`5ed36f99.0` for a CA, `5ed36f99.r0` for a CRL) and the usual extensions. */
const CA_FILE = { what: 'CA certificate', pattern: /^([0-9a-f]{8}\.\d+|.+\.(pem|crt))$/, names: "*.pem, *.crt or OpenSSL's hashed names" };
const CRL_FILE = { what: 'revocation list', pattern: /^([0-9a-f]{8}\.r\d+|.+\.(pem|crl))$/, names: "*.pem, *.crl or OpenSSL's hashed names" };
/** More files than this is not a directory of CAs or CRLs for one server. */
const MAX_DIR_FILES = 100;

/** --ssl-capath and --ssl-crlpath: every matching file of the directory, each a PEM of its kind. */
function readPemDir(fs: OptionFileSystem, key: string, dir: string, files: { what: string; pattern: RegExp; names: string }, pem: Pem, read: PemReader, names: SettingNames): string {
  let entries: string[];
  try {
    entries = fs.readDir(dir);
  } catch (err) {
    throw cannotRead(names(key), dir, err);
  }
  const matching = entries.filter((n) => files.pattern.test(n)).sort();
  if (matching.length > MAX_DIR_FILES) throw new UsageError(`${names(key)} ${dir}: more than ${MAX_DIR_FILES} ${files.what} files`);
  const pems = matching.map((n) => read(key, `${dir.replace(/\/$/, '')}/${n}`, pem));
  if (pems.length === 0) throw new UsageError(`${names(key)} ${dir} holds no ${files.what} (${files.names})`);
  return pems.join('\n');
}

/** A private key others can read is a key others can use; warned about as a password is. */
export function exposedKey(fs: OptionFileSystem, path: string): string | undefined {
  let info;
  try {
    info = fs.stat(path);
  } catch {
    return undefined; // reading it will say why
  }
  const others = (info.mode & 0o004) !== 0 || ((info.mode & 0o040) !== 0 && info.gid !== fs.readerGid);
  if (!others && !isWorldWritable(info)) return undefined;
  return `the TLS key ${path} is readable or writable by other users (mode ${(info.mode & 0o7777).toString(8).padStart(4, '0')}): chmod 600 it, or 640 with the reader's own group`;
}
