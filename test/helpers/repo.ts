import { resolve } from 'node:path';

export const REPO_ROOT = resolve(__dirname, '..', '..');
/** The real CLI, as keepalived and systemd run it. */
export const BIN = resolve(REPO_ROOT, 'bin', 'check-mysql');
