import { createSecureContext, type SecureContextOptions } from 'node:tls';
import { CERTIFICATE, exposedKey, fileReader, PRIVATE_KEY } from '../config/tls-config.js';
import { cannotRead, isWorldWritable, worldWritableRefused } from '../config/file-trust.js';
import type { OptionFileSystem } from '../types/host.js';
import { readAt } from '../config/values.js';
import { UsageError } from '../usage-error.js';
import { parseWebConfig, type ClientAuthType, type WebConfigSpec } from './web-config.js';

/** A web config with its files read and proven to work: what the HTTP front serves with. */
export interface WebSettings {
  readonly source: string;
  readonly users: WebConfigSpec['users'];
  readonly headers: WebConfigSpec['headers'];
  readonly tls?: {
    readonly context: SecureContextOptions;
    readonly clientAuth: ClientAuthType;
  };
}

/**
 * Reads --web-config-file and the certificate files it names, each through the bounded config
 * reader and judged as other config files are (a world-writable one is refused: it says who may
 * read the metrics). The certificate and key are tried together here, so a key that does not
 * match is one line at start (exit 2) or a refused reload, never a failed handshake later.
 */
export function loadWebConfig(path: string, fs: OptionFileSystem): { settings: WebSettings; notices: string[] } {
  let text: string;
  try {
    const info = fs.stat(path);
    if (isWorldWritable(info)) throw worldWritableRefused('--web-config-file', path, info);
    text = fs.readFile(path);
  } catch (err) {
    if (err instanceof UsageError) throw err;
    throw cannotRead('--web-config-file', path, err);
  }
  const spec = parseWebConfig(text, path);
  const notices: string[] = [];
  const settings: WebSettings = { source: path, users: spec.users, headers: spec.headers };
  if (!spec.tls) return { settings: Object.freeze(settings), notices };
  const t = spec.tls;
  const fileRead = fileReader(fs, (key) => `tls_server_config.${key}`);
  const read: typeof fileRead = (key, file, pem) => readAt(path, () => fileRead(key, file, pem));
  const exposed = exposedKey(fs, t.keyFile);
  if (exposed) notices.push(exposed);
  const context: SecureContextOptions = {
    cert: read('cert_file', t.certFile, CERTIFICATE),
    key: read('key_file', t.keyFile, PRIVATE_KEY),
    ...(t.clientCaFile !== undefined && { ca: read('client_ca_file', t.clientCaFile, CERTIFICATE) }),
    minVersion: t.minVersion,
    maxVersion: t.maxVersion,
    ...(t.ciphers !== undefined && { ciphers: t.ciphers }),
    ...(t.curves !== undefined && { ecdhCurve: t.curves }),
    honorCipherOrder: t.honorCipherOrder,
  };
  try {
    createSecureContext(context);
  } catch (err) {
    throw new UsageError(`${path}: tls_server_config: ${t.certFile} and ${t.keyFile} cannot serve TLS: ${(err as Error).message}`);
  }
  return { settings: Object.freeze({ ...settings, tls: Object.freeze({ context, clientAuth: t.clientAuth }) }), notices };
}
