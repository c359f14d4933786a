// bench/floor.ts's child: mysql2 alone, sending per target and second what the daemon sends per
// check (the reads in one round trip; on a writer, then the heartbeat write), and doing nothing
// else: no verdict, no files, no metrics, no deadlines. Prints its CPU per check as JSON.
// argv[2]: JSON { targets: [{ port, user, password, reads, write? }], seconds, warmup }.
const mysql = require('mysql2');
const { targets, seconds, warmup, spread } = JSON.parse(process.argv[2]);
let checks = 0;
for (const t of targets) {
  const conn = mysql.createConnection({ host: '127.0.0.1', port: t.port, user: t.user, password: t.password, multipleStatements: true, maxPreparedStatements: 1 });
  const fail = (err) => {
    console.error(err.message);
    process.exit(1);
  };
  const tick = () =>
    conn.query(t.reads, (err) => {
      if (err) return fail(err);
      if (!t.write) return void checks++;
      conn.query(t.write, (err2) => (err2 ? fail(err2) : void checks++));
    });
  // All at the same instants, as the daemon's targets are (src/daemon/check-grid.ts); spread
  // over the second (FLOOR_SPREAD=1), the same statements cost ~3 times the CPU (docs/performance.md).
  setTimeout(() => setInterval(tick, 1000), spread ? Math.random() * 1000 : 1000 - (performance.now() % 1000));
}
setTimeout(() => {
  const c0 = process.cpuUsage();
  const n0 = checks;
  setTimeout(() => {
    const c = process.cpuUsage(c0);
    const n = checks - n0;
    console.log(JSON.stringify({ checks: n, msPerCheck: (c.user + c.system) / 1000 / n }));
    process.exit(0);
  }, seconds * 1000);
}, warmup * 1000);
