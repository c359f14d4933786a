// One of many processes racing for the notify lock (test/integration/notify-lock.test.ts):
// bundled by esbuild and run as `node worker.cjs LOCK LOG ITERATIONS HOLD_MS`. Each time it holds
// the lock it appends "enter" and "exit" lines to LOG (O_APPEND: each line lands whole, in the
// order written), with whether a check would see the promotion meanwhile.
import { appendFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { acquirePromotionLock, promotionInProgress } from '../../../src/notify/lock-file.js';
import { nodeFlock } from '../../../src/notify/node-flock.js';

const [lock, log, iterations, holdMs] = process.argv.slice(2) as [string, string, string, string];

async function main(): Promise<void> {
  for (let i = 0; i < Number(iterations); i++) {
    const release = await acquirePromotionLock(lock, process.pid, 60_000, () => performance.now(), nodeFlock);
    appendFileSync(log, `enter ${process.pid} ${i} ${Date.now()}\n`);
    const seen = promotionInProgress(lock, nodeFlock);
    await sleep(Number(holdMs));
    appendFileSync(log, `exit ${process.pid} ${i} ${Date.now()} ${seen ? 'promoting' : 'unseen'}\n`);
    release();
  }
}

main().catch((err: Error) => {
  process.stderr.write(`${err.message}\n`);
  process.exitCode = 1;
});
