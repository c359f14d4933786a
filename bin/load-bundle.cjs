'use strict';
// Loads dist/check-mysql.cjs through a V8 code cache made at build time (dist/check-mysql.cjs.cache).
// keepalived may start us every second, and compiling mysql2 from source costs about as much as
// Node's own start-up. A missing or stale cache is only slower: V8 rejects it and compiles afresh.
const fs = require('node:fs');
const path = require('node:path');
const vm = require('node:vm');
const Module = require('node:module');

const DIST = path.join(__dirname, '..', 'dist');
const BUNDLE = path.join(DIST, 'check-mysql.cjs');
const CACHE = `${BUNDLE}.cache`;

function unbuilt(err) {
  process.stderr.write(`check-mysql: cannot load the build (run npm ci): ${err.message}\n`);
  process.exit(2);
}

function loadBundle() {
  let source;
  try {
    source = fs.readFileSync(BUNDLE, 'utf8');
  } catch (err) {
    unbuilt(err);
  }
  let cachedData;
  try {
    cachedData = fs.readFileSync(CACHE);
  } catch {
    cachedData = undefined;
  }
  // The bundle is written pre-wrapped as (function (exports, require, module, __filename, __dirname) {...}).
  const script = new vm.Script(source, { filename: BUNDLE, cachedData });
  const mod = { exports: {} };
  script.runInThisContext().call(mod.exports, mod.exports, Module.createRequire(BUNDLE), mod, BUNDLE, DIST);
  return { exports: mod.exports, script };
}

/** The other bundles (daemon, tools): started rarely, loaded the ordinary way. */
function loadOther(name) {
  if (!/^[a-z-]+$/.test(name)) throw new Error(`no bundle '${name}'`);
  try {
    return require(path.join(DIST, `${name}.cjs`));
  } catch (err) {
    return unbuilt(err);
  }
}

module.exports = { loadBundle, loadOther, BUNDLE, CACHE };
