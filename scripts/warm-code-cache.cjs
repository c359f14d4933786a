'use strict';
// Runs the bundled CLI against a tiny in-process fake server (mysql2's server side, answering
// with canned rows) and against a closed port, then saves V8's code cache: it then holds every
// function those runs compiled, handshake and row parsing included. Output is discarded.
const fs = require('node:fs');
const { createServer } = require('mysql2');
const { loadBundle, CACHE } = require('../bin/load-bundle.cjs');

const VAR_STRING = 253;
const LONGLONG = 8;
const UTF8MB3 = 33; // what the server uses for SHOW output; mysql2 decodes it as cesu8
const column = (name, columnType = VAR_STRING) => ({
  catalog: 'def', schema: '', table: '', orgTable: '', name, orgName: name,
  characterSet: UTF8MB3, columnLength: 256, columnType, flags: 0, decimals: 0,
});

const VARIABLES = [['read_only', 'ON'], ['server_id', '2'], ['version', '10.11.6-MariaDB-log'], ['version_comment', 'warm-up']];
const REPLICA = {
  Connection_name: '', Master_Host: '127.0.0.1', Master_Port: 3306, Slave_IO_Running: 'Yes', Slave_SQL_Running: 'Yes',
  Last_IO_Errno: 0, Last_IO_Error: '', Last_SQL_Errno: 0, Last_SQL_Error: '', Seconds_Behind_Master: 0, SQL_Delay: 0,
  Master_Server_Id: 1, Gtid_IO_Pos: '0-1-5', Master_Log_File: 'bin.000001', Read_Master_Log_Pos: 4, Relay_Master_Log_File: 'bin.000001', Exec_Master_Log_Pos: 4,
};

function answer(conn, sql) {
  if (/VARIABLES/i.test(sql)) {
    conn.writeColumns([column('Variable_name'), column('Value')]);
    for (const row of VARIABLES) conn.writeTextRow(row);
  } else {
    const names = Object.keys(REPLICA);
    conn.writeColumns(names.map((n) => column(n, typeof REPLICA[n] === 'number' ? LONGLONG : VAR_STRING)));
    conn.writeTextRow(names.map((n) => REPLICA[n]));
  }
  conn.writeEof();
  conn.sequenceId = 0; // mysql2's server side does not reset it between commands
}

function fakeServer() {
  const server = createServer((conn) => {
    conn.serverHandshake({
      protocolVersion: 10, serverVersion: '10.11.6-MariaDB-log', connectionId: 1, statusFlags: 2,
      characterSet: UTF8MB3, capabilityFlags: 0xffffff & ~0x800 & ~0x20,
      authCallback: (_params, accept) => {
        accept(null);
        conn.sequenceId = 0;
      },
    });
    conn.on('query', (sql) => answer(conn, sql));
    conn.on('error', () => {});
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

async function warm() {
  try {
    fs.unlinkSync(CACHE);
  } catch {}
  const { exports: cli, script } = loadBundle();
  const edge = { stdout: () => {}, stderr: () => {}, hideArgv: () => {}, pid: process.pid, logDestination: { write: () => true }, onSignal: () => {}, load: () => { throw new Error('warm-up runs the check only'); } };
  const server = await fakeServer();
  const base = ['--no-defaults', '--no-syslog', '--protocol', 'tcp', '-h', '127.0.0.1', '-u', 'warmup', '--timeout', '2'];
  for (const format of ['human', 'json']) {
    await cli.dispatch([...base, '-P', String(server._server.address().port), '--format', format], {}, edge);
  }
  await cli.dispatch([...base, '-P', process.argv[2]], {}, edge);
  server._server.close();
  fs.writeFileSync(CACHE, script.createCachedData());
}

warm().then(
  () => process.exit(0),
  (err) => {
    process.stderr.write(`warm-code-cache: ${err.stack}\n`);
    process.exit(1);
  },
);
