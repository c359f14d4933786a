'use strict';
// Loads dist/check-mysql.cjs through a V8 code cache made at build time (dist/check-mysql.cjs.cache).
// keepalived may start us every second, and compiling mysql2 from source costs about as much as
// Node's own start-up. A missing or stale cache is only slower: V8 rejects it and compiles afresh.
const fs = require('node:fs');
const path = require('node:path');
const vm = require('node:vm');
const Module = require('node:module');

const BUNDLE = path.join(__dirname, '..', 'dist', 'check-mysql.cjs');
const CACHE = `${BUNDLE}.cache`;

function loadBundle() {
  const source = fs.readFileSync(BUNDLE, 'utf8');
  let cachedData;
  try {
    cachedData = fs.readFileSync(CACHE);
  } catch {
    cachedData = undefined;
  }
  // The bundle is written pre-wrapped as (function (exports, require, module, __filename, __dirname) {...}).
  const script = new vm.Script(source, { filename: BUNDLE, cachedData });
  const mod = { exports: {} };
  script.runInThisContext().call(mod.exports, mod.exports, Module.createRequire(BUNDLE), mod, BUNDLE, path.dirname(BUNDLE));
  return { exports: mod.exports, script };
}

module.exports = { loadBundle, BUNDLE, CACHE };
