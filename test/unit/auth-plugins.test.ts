/**
 * The password-safe caching_sha2_password and sha256_password plugins, step by step as mysql2
 * drives them: what each answers to the server, for each rule of when the password may go.
 */
import { constants, generateKeyPairSync, privateDecrypt } from 'node:crypto';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { passwordSafePlugins } from '../../src/db/auth-plugins.js';
import type { PasswordPolicy } from '../../src/types/config.js';
import { DbFailure } from '../../src/types/failure.js';

// mysql2's own token, to prove ours is the same answer to a scramble (a file its exports do not list).
const { calculateToken } = require(join(__dirname, '..', '..', 'node_modules', 'mysql2', 'lib', 'auth_plugins', 'caching_sha2_password.js')) as {
  calculateToken(password: string, scramble: Buffer): Buffer;
};
const PASSWORD = 's3cret-pw';
const SCRAMBLE = Buffer.from('0123456789abcdefghij');
const AUTH_SWITCH_DATA = Buffer.concat([SCRAMBLE, Buffer.from([0])]);
const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048, publicKeyEncoding: { type: 'spki', format: 'pem' }, privateKeyEncoding: { type: 'pkcs8', format: 'pem' } });

const policy = (p: Partial<PasswordPolicy> = {}): PasswordPolicy => ({ verifiedChannel: false, getServerPublicKey: false, ...p });
const handler = (name: 'caching_sha2_password' | 'sha256_password', p: PasswordPolicy) =>
  passwordSafePlugins(p)[name]!({ connection: { config: { password: PASSWORD } } });

/** What the server reads from an encrypted answer: the password XOR the scramble, NUL-terminated. */
function decrypt(blob: Buffer): string {
  const mixed = privateDecrypt({ key: privateKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha1' }, blob);
  const clear = Buffer.from(mixed.map((b, i) => b ^ SCRAMBLE[i % SCRAMBLE.length]!));
  return clear.subarray(0, clear.indexOf(0)).toString('utf8');
}

function withheld(step: () => unknown): DbFailure {
  try {
    step();
  } catch (err) {
    if (err instanceof DbFailure) return err;
    throw err;
  }
  throw new Error('expected the password to be withheld');
}

describe('caching_sha2_password', () => {
  const fullAuth = Buffer.from([4]);

  it('answers the scramble as mysql2 does, and a fast authentication ends it', () => {
    const next = handler('caching_sha2_password', policy());
    expect(next(AUTH_SWITCH_DATA)).toEqual(calculateToken(PASSWORD, SCRAMBLE));
    expect(next(Buffer.from([3]))).toBeNull();
  });

  it('full authentication over a channel that proves the server: the password as it is', () => {
    const next = handler('caching_sha2_password', policy({ verifiedChannel: true }));
    next(AUTH_SWITCH_DATA);
    expect(next(fullAuth)?.toString()).toBe(`${PASSWORD}\0`);
  });

  it('full authentication with a pinned key: encrypted to it, without asking the server for one', () => {
    const next = handler('caching_sha2_password', policy({ serverPublicKey: publicKey }));
    next(AUTH_SWITCH_DATA);
    expect(decrypt(next(fullAuth)!)).toBe(PASSWORD);
  });

  it('full authentication with --get-server-public-key: asks for the key, then encrypts to it', () => {
    const next = handler('caching_sha2_password', policy({ getServerPublicKey: true }));
    next(AUTH_SWITCH_DATA);
    expect(next(fullAuth)).toEqual(Buffer.from([2]));
    expect(decrypt(next(Buffer.from(publicKey))!)).toBe(PASSWORD);
  });

  it('full authentication otherwise: withheld, naming what would make it safe', () => {
    const next = handler('caching_sha2_password', policy());
    next(AUTH_SWITCH_DATA);
    const err = withheld(() => next(fullAuth));
    expect(err.failure).toBe('password-withheld');
    expect(err.message).toMatch(/VERIFY_CA.*--server-public-key-path.*--get-server-public-key/);
    expect(err.message).not.toContain(PASSWORD);
  });
});

describe('sha256_password', () => {
  it.each([
    ['over a channel that proves the server: as it is', policy({ verifiedChannel: true }), (b: Buffer) => b.toString() === `${PASSWORD}\0`],
    ['with a pinned key: encrypted to it', policy({ serverPublicKey: publicKey }), (b: Buffer) => decrypt(b) === PASSWORD],
  ])('%s', (_name, p, sent) => {
    expect(sent(handler('sha256_password', p)(AUTH_SWITCH_DATA)!)).toBe(true);
  });

  it('with --get-server-public-key: asks for the key first', () => {
    const next = handler('sha256_password', policy({ getServerPublicKey: true }));
    expect(next(AUTH_SWITCH_DATA)).toEqual(Buffer.from([1]));
    expect(decrypt(next(Buffer.from(publicKey))!)).toBe(PASSWORD);
  });

  it('otherwise: withheld at once', () => {
    expect(withheld(() => handler('sha256_password', policy())(AUTH_SWITCH_DATA)).failure).toBe('password-withheld');
  });
});
