/**
 * The HTTP front's reload rule: new users, headers and certificates apply at once; a reload
 * that would switch between HTTPS and plain HTTP applies nothing and says a restart is needed.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { nodeConfigFiles } from '../../src/edge/config-files.js';
import { loadWebConfig, type WebSettings } from '../../src/http/web-config-files.js';
import { WebFront } from '../../src/http/web-front.js';

const DIR = join(__dirname, '..', 'fixtures', 'web-configs');
const tlsSettings = (): WebSettings => loadWebConfig(join(DIR, 'valid-full.yml'), nodeConfigFiles()).settings;
const plain: WebSettings = { source: 'plain.yml', users: new Map(), headers: {} };

describe('the HTTP front on reload', () => {
  it('keeps HTTPS, and the whole web config loaded before, when a reload turns TLS off', () => {
    const front = new WebFront(tlsSettings(), 5000);
    expect(front.scheme).toBe('https');
    expect(front.update(plain)).toBe('reload: --web-config-file turns TLS off, which takes effect only after a restart; still serving HTTPS with the web config loaded before');
    expect(front.update(undefined)).toMatch(/turns TLS off/);
    expect(front.scheme).toBe('https');
  });

  it('stays plain HTTP when a reload turns TLS on', () => {
    const front = new WebFront(undefined, 5000);
    expect(front.update(tlsSettings())).toBe('reload: --web-config-file turns TLS on, which takes effect only after a restart; still serving HTTP with the web config loaded before');
    expect(front.scheme).toBe('http');
  });

  it('takes a reload that keeps the transport, without a word', () => {
    expect(new WebFront(tlsSettings(), 5000).update(tlsSettings())).toBeUndefined();
    expect(new WebFront(undefined, 5000).update(plain)).toBeUndefined();
  });
});
