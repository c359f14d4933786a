// Bundles the CLI into one CommonJS file and records a V8 code cache for it.
// Why a bundle: resolving and compiling mysql2's ~100 files from node_modules costs more than
// Node's whole start-up, and keepalived may run the check every second.
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { iconvShim, lazyModules, mysql2ConnectionOnly, skipCardinal, stubAwsProfiles } from './bundle-plugins.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const outfile = join(root, 'dist', 'check-mysql.cjs');

const common = {
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  minify: process.env.BUILD_NO_MINIFY !== "1",
  legalComments: 'none',
  logLevel: 'warning',
  plugins: [stubAwsProfiles, lazyModules, iconvShim, skipCardinal, mysql2ConnectionOnly],
};

rmSync(join(root, 'dist'), { recursive: true, force: true });
await build({
  ...common,
  entryPoints: [join(root, 'src', 'entries', 'check-mysql.ts')],
  outfile,
  // Only the hot path is bundled: yargs renders --help, pino formats a failure's log line;
  // both load from node_modules when (rarely) needed.
  external: ['yargs', 'pino'],
  // yargs-parser's ESM build passes import.meta.url to createRequire, only to load JSON config
  // files, which we never ask it to; any absolute file URL will do, and a constant costs nothing.
  define: { 'import.meta.url': '"file:///check-mysql/dist/check-mysql.cjs"' },
  // Written already wrapped as a CommonJS module function, so the loader compiles the file as
  // it is instead of copying 400 kB into Module.wrap()'s string on every start.
  banner: { js: '(function (exports, require, module, __filename, __dirname) {' },
  footer: { js: '})' },
});

// The daemon starts once, so it needs no code cache; it gets its own bundle to keep prom-client,
// HTTP and the daemon code off the one-shot path. prom-client and pino are bundled and minified
// with it: loaded from node_modules they cost 11.5 and 8.4 MB of resident memory, bundled 5.6
// and 2.8 MB, and a daemon watching 100 targets should stay under 80 MB.
await build({
  ...common,
  entryPoints: [join(root, 'src', 'entries', 'daemon.ts')],
  outfile: join(root, 'dist', 'daemon.cjs'),
  external: ['yargs'],
  define: { 'import.meta.url': '"file:///check-mysql/dist/daemon.cjs"' },
});

// lint-keepalived (and other commands run by hand): off the one-shot path, without the daemon's weight.
await build({
  ...common,
  entryPoints: [join(root, 'src', 'entries', 'tools.ts')],
  outfile: join(root, 'dist', 'tools.cjs'),
  external: ['yargs', 'pino'],
  define: { 'import.meta.url': '"file:///check-mysql/dist/tools.cjs"' },
});

// A port nobody listens on: the warm-up run compiles config, connect and verdict code paths.
const closedPort = await new Promise((resolve) => {
  const srv = createServer().listen(0, '127.0.0.1', () => {
    const { port } = srv.address();
    srv.close(() => resolve(port));
  });
});
execFileSync(process.execPath, [join(root, 'scripts', 'warm-code-cache.cjs'), String(closedPort)], { stdio: 'inherit' });
