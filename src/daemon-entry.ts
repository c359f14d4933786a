/** What bin/check-mysql loads for `check-mysql daemon ...` (a bundle of its own, off the one-shot path). */
import type { Env } from './types/config.js';
import { createLogger, loadDaemonConfig, markFault, runDaemon, type DaemonDeps } from './daemon/daemon.js';
import { exitCodeOf } from './usage-error.js';

export { nodeDaemonDeps } from './daemon/node-daemon-deps.js';

export interface DaemonIo {
  stderr(text: string): void;
  stdout(text: string): void;
}

/** `check-mysql daemon ...`: returns the exit code once the daemon stops. Never throws. */
export async function daemonMain(argv: readonly string[], env: Env, deps: DaemonDeps, io: DaemonIo): Promise<number> {
  return exitCodeOf('check-mysql daemon', io.stderr, async () => {
    if (argv.includes('--help')) {
      const { renderHelp } = await import('./cli/help.js');
      io.stdout(`${await renderHelp(100, 'daemon')}\n`);
      return 0;
    }
    const config = loadDaemonConfig(argv, env, deps);
    if (argv.includes('--mark-fault')) return markFault(config, deps, createLogger(deps.logDestination));
    return runDaemon(config, argv, env, deps);
  });
}
