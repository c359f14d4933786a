/**
 * Basic authentication against bcrypt hashes: the hashes htpasswd writes ($2y$) and the other
 * two spellings verify with the real bcryptjs; outcomes are remembered so a scrape every second
 * costs no bcrypt; one bcrypt runs at a time and a crowd of new attempts is turned away.
 */
import { describe, expect, it } from 'vitest';
import { BasicAuth, basicCredentials, MAX_REMEMBERED, MAX_WAITING, type BcryptCompare } from '../../src/http/basic-auth.js';

/** `htpasswd -nbB -C 4 prom right`. */
const HASH_2Y = '$2y$04$K1EW9nA35gMCGPVT3vP9.eqH8sa8Iklvop9JoBpK.q/05OZha7tcK';
const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

/** A compare that counts its calls and answers `result`. */
function countingCompare(result: boolean): { compare: BcryptCompare; calls: number } {
  const box = { calls: 0, compare: async () => (box.calls++, result) };
  return box;
}

describe('basic authentication', () => {
  it.each([
    ['$2y$ (htpasswd -nBC)', HASH_2Y],
    ['$2a$', HASH_2Y.replace('$2y$', '$2a$')],
    ['$2b$', HASH_2Y.replace('$2y$', '$2b$')],
  ])('a %s hash lets the right password in and no other', async (_name, hash) => {
    const auth = new BasicAuth(new Map([['prom', hash]]));
    expect(await auth.check(basic('prom', 'right'))).toBe('ok');
    expect(await auth.check(basic('prom', 'wrong'))).toBe('denied');
    expect(await auth.check(basic('prom', 'right '))).toBe('denied');
    expect(await auth.check(basic('other', 'right'))).toBe('denied');
  });

  it.each([
    ['no header', undefined],
    ['another scheme', 'Bearer abc'],
    ['no colon', `Basic ${Buffer.from('prom').toString('base64')}`],
    ['not base64', 'Basic !!!'],
  ])('refuses %s', async (_name, header) => {
    const auth = new BasicAuth(new Map([['prom', HASH_2Y]]));
    expect(await auth.check(header)).toBe('denied');
  });

  it('without users everything passes (no basic_auth_users)', async () => {
    expect(await new BasicAuth(new Map()).check(undefined)).toBe('ok');
  });

  it('a password may hold colons: only the first one ends the user name', () => {
    expect(basicCredentials(basic('prom', 'a:b:c'))).toEqual({ user: 'prom', password: 'a:b:c' });
  });

  it('remembers an outcome: a scrape every second costs one bcrypt, a wrong password also only one', async () => {
    const right = countingCompare(true);
    const auth = new BasicAuth(new Map([['prom', HASH_2Y]]), right.compare);
    for (let i = 0; i < 10; i++) expect(await auth.check(basic('prom', 'pw'))).toBe('ok');
    expect(right.calls).toBe(1);
    const wrong = countingCompare(false);
    const denying = new BasicAuth(new Map([['prom', HASH_2Y]]), wrong.compare);
    for (let i = 0; i < 5; i++) expect(await denying.check(basic('prom', 'bad'))).toBe('denied');
    expect(wrong.calls).toBe(1);
  });

  it('an unknown user costs a bcrypt too (against a decoy), so names cannot be told apart by timing, and is never let in', async () => {
    const c = countingCompare(true); // even when the compare says yes
    const auth = new BasicAuth(new Map([['prom', HASH_2Y]]), c.compare);
    expect(await auth.check(basic('nobody', 'pw'))).toBe('denied');
    expect(c.calls).toBe(1);
  });

  it('the same attempt arriving while its bcrypt runs waits for that one: no second bcrypt', async () => {
    let open: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (open = resolve));
    let calls = 0;
    const auth = new BasicAuth(new Map([['prom', HASH_2Y]]), async () => (calls++, await gate, false));
    const same = Array.from({ length: 5 }, () => auth.check(basic('prom', 'wrong')));
    open();
    expect(await Promise.all(same)).toEqual(Array(5).fill('denied'));
    expect(calls).toBe(1);
  });

  it('forgets the oldest outcome beyond its bound', async () => {
    const c = countingCompare(true);
    const auth = new BasicAuth(new Map([['prom', HASH_2Y]]), c.compare);
    for (let i = 0; i <= MAX_REMEMBERED; i++) await auth.check(basic('prom', `pw${i}`));
    expect(c.calls).toBe(MAX_REMEMBERED + 1);
    await auth.check(basic('prom', 'pw0'));
    expect(c.calls).toBe(MAX_REMEMBERED + 2);
  });

  it('runs one bcrypt at a time and turns away attempts beyond the queue at once', async () => {
    let running = 0;
    let most = 0;
    let open: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (open = resolve));
    const compare: BcryptCompare = async () => {
      most = Math.max(most, ++running);
      await gate;
      running--;
      return false;
    };
    const auth = new BasicAuth(new Map([['prom', HASH_2Y]]), compare);
    const waiting = Array.from({ length: MAX_WAITING }, (_, i) => auth.check(basic('prom', `guess${i}`)));
    expect(await auth.check(basic('prom', 'one too many'))).toBe('busy');
    open();
    expect(await Promise.all(waiting)).toEqual(Array(MAX_WAITING).fill('denied'));
    expect(most).toBe(1);
  });
});
