import { randomBytes } from 'node:crypto';

/** A MariaDB account a test creates, with a password of its own. */
export interface Credentials {
  user: string;
  password: string;
}

export function newCredentials(user: string): Credentials {
  return { user, password: randomBytes(12).toString('hex') };
}
