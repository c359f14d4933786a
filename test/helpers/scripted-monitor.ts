// One daemon target monitor over the scripted SQL fake: a check runs only when the test asks,
// and each check's report comes back (the monitor's own timers do nothing).
import { initialState } from '../../src/daemon/hysteresis.js';
import { TargetMonitor } from '../../src/daemon/monitor.js';
import type { TargetConfig } from '../../src/daemon/daemon-config.js';
import type { CheckReport } from '../../src/types/facts.js';
import { scriptedConnector, type Expectation } from './scripted-db.js';

export function scriptedMonitor(target: TargetConfig, script: readonly Expectation[]) {
  const db = scriptedConnector(script);
  let t = 0;
  let checked: () => void = () => undefined;
  const deps = {
    connect: db.connect,
    // The fake clock moves by what the scripted statements take, so deadlines can run out.
    now: () => (t += 1) + db.elapsedMs(),
    wallClock: () => 1_800_000_000_000 + t,
    networkInterfaces: () => ({}),
    timers: { setTimeout: () => undefined, clearTimeout: () => undefined },
  };
  const monitor = new TargetMonitor(target, deps, initialState(0), () => checked());
  async function check(): Promise<CheckReport> {
    const done = new Promise<void>((resolve) => (checked = resolve));
    monitor.checkNow();
    await done;
    await new Promise((resolve) => setImmediate(resolve)); // the monitor marks the check finished
    return monitor.current.lastReport!;
  }
  async function checks(n: number): Promise<CheckReport[]> {
    const reports: CheckReport[] = [];
    for (let i = 0; i < n; i++) reports.push(await check());
    return reports;
  }
  return { db, check, checks };
}
