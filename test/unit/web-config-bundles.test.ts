/**
 * The YAML parser and bcrypt are the daemon's alone: keepalived runs the one-shot bundle every
 * second, and it must not carry them. Reads the built bundles (npm run build), by a message
 * each library has and check-mysql's own code does not.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const DIST = join(__dirname, '..', '..', 'dist');
const bundle = (name: string) => readFileSync(join(DIST, name), 'utf8');
const YAML = 'Map keys must be unique';
const BCRYPTJS = 'Illegal number of rounds';

describe('--web-config-file stays off the one-shot path', () => {
  it('the daemon bundle carries yaml and bcryptjs', () => {
    expect(bundle('daemon.cjs')).toContain(YAML);
    expect(bundle('daemon.cjs')).toContain(BCRYPTJS);
  });

  it.each(['check-mysql.cjs', 'tools.cjs'])('%s carries neither', (name) => {
    expect(bundle(name)).not.toContain(YAML);
    expect(bundle(name)).not.toContain(BCRYPTJS);
  });
});
