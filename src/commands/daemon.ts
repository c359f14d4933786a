import { buildDaemonConfig } from '../daemon/daemon-config.js';
import { createLogger, runDaemon, type DaemonDeps } from '../daemon/daemon.js';
import { markFaultLeniently } from '../daemon/mark-fault.js';
import { loadWebConfig } from '../http/web-config-files.js';
import type { Command } from './command.js';
import { commandEntry } from './table.js';

/** `check-mysql daemon`: resolves with the exit code once the daemon stops (SIGTERM/SIGINT). */
export const daemon = {
  ...commandEntry('daemon'),
  usage: 'check-mysql daemon [--config FILE | connection options] [options]',
  description: `Resident checker: keeps a connection per target, writes keepalived track files and status files,
serves /metrics, /health, /health/NAME and /live. SIGHUP reloads, SIGTERM stops (track files -> 1).`,
  positionals: { min: 0, max: 0, name: 'argument' },
  run({ args, env, io, deps }) {
    const log = createLogger(deps.logDestination);
    // SIGHUP re-reads the same flags and the --config file they name, and warns again: the
    // journal keeps both streams, stderr is for whoever started it by hand.
    // --mark-fault needs the track files only: a bad web config must not stand in its way.
    const load = (withWeb = true) => {
      const built = buildDaemonConfig({ argv: args, env, fs: deps.fs, realPath: deps.realPath, ...(deps.home && { home: deps.home }), ...(deps.loginName && { loginName: deps.loginName }) });
      // Read here, not in the config builder: it parses YAML and tries the certificates with node:tls.
      const web = !withWeb || built.webConfigFile === undefined ? undefined : loadWebConfig(built.webConfigFile, deps.fs);
      const config = web ? { ...built, web: web.settings, notices: [...built.notices, ...web.notices] } : built;
      for (const notice of config.notices) {
        log.warn({ config: config.source }, `warning: ${notice}`);
        io.stderr(`check-mysql daemon: warning: ${notice}\n`);
      }
      return config;
    };
    if (args.options.get('mark-fault') === true) return markFaultLeniently(args, () => load(false), deps, log);
    return runDaemon(load(), () => load(), deps);
  },
} satisfies Command<DaemonDeps>;
