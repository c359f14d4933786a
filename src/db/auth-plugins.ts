/**
 * The two MySQL authentication plugins that may ask for the password itself, in place of
 * mysql2's: caching_sha2_password's "full authentication" (after a restart, before the server
 * has cached the account) and sha256_password. mysql2 answers them with the password in clear
 * over any TLS, verified or not, and otherwise encrypts it to whatever RSA key the server sends,
 * so a fake server on the port (anyone who can bind it once mysqld is gone) reads the password.
 *
 * Here the password leaves the process only:
 *  - as it is, over a channel that proves the server (a Unix socket, or VERIFY_CA/VERIFY_IDENTITY);
 *  - encrypted to the pinned key (--server-public-key-path);
 *  - encrypted to the key the server sends, only when asked to (--get-server-public-key).
 * Otherwise the connection fails with `password-withheld`, before a byte of it is written.
 * The scrambles (fast authentication) never reveal the password and are sent as before.
 *
 * Written by the shape of mysql2's `authPlugins` option; only db/mysql.ts imports mysql2.
 */
import { constants, createHash, publicEncrypt } from 'node:crypto';
import type { PasswordPolicy } from '../types/config.js';
import { DbFailure } from '../types/failure.js';

/** What a plugin sees of mysql2's connection. */
interface PluginContext {
  readonly connection: { readonly config: { readonly password?: string } };
}
/** Called with each packet of plugin data; returns what to send, or null for nothing. */
type PluginHandler = (data: Buffer) => Buffer | null;
export type AuthPlugin = (context: PluginContext) => PluginHandler;

const sha256 = (data: Buffer): Buffer => createHash('sha256').update(data).digest();
const SCRAMBLE_BYTES = 20;

/** caching_sha2_password's answer to a scramble: XOR(SHA256(pw), SHA256(SHA256(SHA256(pw)), scramble)). */
function scrambleToken(password: string, scramble: Buffer): Buffer {
  if (password === '') return Buffer.alloc(0);
  const stage1 = sha256(Buffer.from(password, 'utf8'));
  const stage3 = sha256(Buffer.concat([sha256(stage1), scramble]));
  return Buffer.from(stage1.map((b, i) => b ^ stage3[i]!));
}

/** The password, NUL-terminated, XORed with the scramble and encrypted to the server's RSA key (OAEP). */
function encryptPassword(password: string, scramble: Buffer, key: string | Buffer): Buffer {
  const clear = Buffer.from(`${password}\0`, 'utf8');
  const mixed = Buffer.from(clear.map((b, i) => b ^ scramble[i % scramble.length]!));
  return publicEncrypt({ key, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha1' }, mixed);
}

/** The one message for a password we keep: it says what would make it safe to send. */
export const WITHHELD_ADVICE =
  'use --ssl-mode VERIFY_CA (or VERIFY_IDENTITY) with --ssl-ca, pin the key with --server-public-key-path, or accept the risk with --get-server-public-key';

const withheld = (plugin: string): DbFailure =>
  new DbFailure('password-withheld', `the server asks for the password itself (${plugin}) over a connection that does not prove who the server is, so it was not sent: ${WITHHELD_ADVICE}`);

/**
 * What to do once the server wants the password itself: a step that returns the first packet to
 * send, and, when that packet asks for the server's key, what to do with the key it sends.
 */
function fullAuthentication(policy: PasswordPolicy, plugin: string, requestKey: Buffer, password: string, scramble: Buffer) {
  if (policy.verifiedChannel || password === '') return { first: Buffer.from(`${password}\0`, 'utf8') };
  if (policy.serverPublicKey !== undefined) return { first: encryptPassword(password, scramble, policy.serverPublicKey) };
  if (!policy.getServerPublicKey) throw withheld(plugin);
  return { first: requestKey, onKey: (key: Buffer) => encryptPassword(password, scramble, key) };
}

const FAST_AUTH_OK = 3;
const FULL_AUTH = 4;

function cachingSha2(policy: PasswordPolicy): AuthPlugin {
  return ({ connection }) => {
    const password = connection.config.password ?? '';
    let scramble: Buffer | undefined;
    let onKey: ((key: Buffer) => Buffer) | undefined;
    let done = false;
    return (data) => {
      if (done) throw new DbFailure('connect-error', 'caching_sha2_password: unexpected data after authentication');
      if (scramble === undefined) {
        scramble = data.subarray(0, SCRAMBLE_BYTES);
        return scrambleToken(password, scramble);
      }
      if (onKey) {
        done = true;
        return onKey(data);
      }
      if (data.length === 1 && data[0] === FAST_AUTH_OK) {
        done = true;
        return null;
      }
      if (data.length !== 1 || data[0] !== FULL_AUTH) throw new DbFailure('connect-error', 'caching_sha2_password: unexpected authentication data from the server');
      const step = fullAuthentication(policy, 'caching_sha2_password full authentication', Buffer.from([2]), password, scramble);
      if (step.onKey) onKey = step.onKey;
      else done = true;
      return step.first;
    };
  };
}

function sha256Password(policy: PasswordPolicy): AuthPlugin {
  return ({ connection }) => {
    const password = connection.config.password ?? '';
    let onKey: ((key: Buffer) => Buffer) | undefined;
    return (data) => {
      if (onKey) return onKey(data);
      const step = fullAuthentication(policy, 'sha256_password', Buffer.from([1]), password, data.subarray(0, SCRAMBLE_BYTES));
      onKey = step.onKey ?? (() => {
        throw new DbFailure('connect-error', 'sha256_password: unexpected data after authentication');
      });
      return step.first;
    };
  };
}

/** mysql2's `authPlugins`: ours replace its own for the plugins that can take the password. */
export const passwordSafePlugins = (policy: PasswordPolicy): Record<string, AuthPlugin> => ({
  caching_sha2_password: cachingSha2(policy),
  sha256_password: sha256Password(policy),
});
