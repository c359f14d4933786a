import { createHash } from 'node:crypto';
import bcrypt from 'bcryptjs';

export type AuthOutcome = 'ok' | 'denied' | 'busy';

/** Outcomes remembered per (user, hash, password): a Prometheus scraping every second costs one bcrypt per reload, not one per scrape. */
export const MAX_REMEMBERED = 100;
/** Unremembered attempts waiting for their bcrypt (one runs at a time); more are turned away at once. */
export const MAX_WAITING = 16;
/**
 * Compared against when the user is unknown, so an unknown name costs a bcrypt as a known one
 * does and cannot be told apart by timing (the exporter-toolkit does the same). A hash of a
 * random password nobody kept.
 */
const DECOY = '$2y$10$uyg70bIlLRdnelRBYVb/GurpHGaV2EeZ7rL162QtvbOx3WpfRQHfG';

export type BcryptCompare = (password: string, hash: string) => Promise<boolean>;

/** user:password from `Authorization: Basic ...`, or undefined for anything else. */
export function basicCredentials(header: string | undefined): { user: string; password: string } | undefined {
  const m = /^Basic +([A-Za-z0-9+/]+={0,2}) *$/i.exec(header ?? '');
  if (!m) return undefined;
  const text = Buffer.from(m[1]!, 'base64').toString('utf8');
  const colon = text.indexOf(':');
  return colon < 0 ? undefined : { user: text.slice(0, colon), password: text.slice(colon + 1) };
}

/**
 * HTTP basic authentication against bcrypt hashes. bcryptjs's compare is asynchronous (it yields
 * to the event loop in slices, so the checks' timers still fire) and compares the result in
 * constant time; one runs at a time, since each takes tens of ms of CPU at cost 10. Outcomes,
 * failures included as in the exporter-toolkit, are remembered under a SHA-256 of the user, the
 * hash and the password, never the password itself; a new config starts a new memory.
 */
export class BasicAuth {
  private readonly remembered = new Map<string, boolean>();
  private readonly inflight = new Map<string, Promise<boolean>>();
  private queue: Promise<unknown> = Promise.resolve();
  private waiting = 0;

  constructor(
    private readonly users: ReadonlyMap<string, string>,
    private readonly compare: BcryptCompare = (password, hash) => bcrypt.compare(password, hash),
  ) {}

  get required(): boolean {
    return this.users.size > 0;
  }

  async check(authorization: string | undefined): Promise<AuthOutcome> {
    if (!this.required) return 'ok';
    const creds = basicCredentials(authorization);
    if (!creds) return 'denied';
    const hash = this.users.get(creds.user);
    const key = createHash('sha256').update(`${creds.user}\0${hash ?? DECOY}\0${creds.password}`).digest('hex');
    const known = this.remembered.get(key);
    if (known !== undefined) return known && hash !== undefined ? 'ok' : 'denied';
    // The same attempt again while its bcrypt runs (HAProxy checks every second; a cost-10
    // bcrypt on a loaded machine can take longer) waits for that one instead of queueing another.
    let pending = this.inflight.get(key);
    if (pending === undefined) {
      if (this.waiting >= MAX_WAITING) return 'busy';
      this.waiting++;
      pending = this.oneAtATime(() => this.compare(creds.password, hash ?? DECOY))
        .then((match) => {
          const ok = match && hash !== undefined;
          this.remember(key, ok);
          return ok;
        })
        .finally(() => {
          this.waiting--;
          this.inflight.delete(key);
        });
      this.inflight.set(key, pending);
    }
    return (await pending) ? 'ok' : 'denied';
  }

  private oneAtATime<T>(run: () => Promise<T>): Promise<T> {
    const next = this.queue.then(run);
    this.queue = next.catch(() => undefined);
    return next;
  }

  private remember(key: string, ok: boolean): void {
    // A Map keeps insertion order: the oldest outcome goes first.
    if (this.remembered.size >= MAX_REMEMBERED) this.remembered.delete(this.remembered.keys().next().value!);
    this.remembered.set(key, ok);
  }
}
