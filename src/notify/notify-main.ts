import { parseArgv } from '../cli/parse-argv.js';
import { findOption, onlyFor, takes } from '../cli/options.js';
import { buildCheckConfig, seconds } from '../config/config.js';
import type { Env } from '../types/config.js';
import { logEvent } from '../log/event-log.js';
import type { MainDeps } from '../main.js';
import { UsageError, exitCodeOf } from '../usage-error.js';
import { parseNotifyEvent } from './event.js';
import { acquireLock } from './lock-file.js';
import { nodeLockFs } from './node-lock-fs.js';
import { runNotify, type NotifySpec } from './notify.js';

/** A notify run talks to a server that may be busy committing: longer than a check's 0.8 s. */
const DEFAULT_NOTIFY_TIMEOUT_S = 5;

export interface NotifyDeps extends MainDeps {
  readonly pid: number;
}

/** `check-mysql notify [options] TYPE NAME STATE [PRIORITY]`, as keepalived's generic notify calls it. */
export function notifyMain(argv: readonly string[], env: Env, deps: NotifyDeps): Promise<number> {
  return exitCodeOf('check-mysql notify', deps.stderr, async () => {
    const parsed = parseArgv(argv);
    if (parsed.passwordOnArgv) deps.hideArgv();
    if (parsed.options.get('help') === true) {
      const { renderHelp } = await import('../cli/help.js');
      deps.stdout(`${await renderHelp(100, 'notify')}\n`);
      return 0;
    }
    const stray = [...parsed.options.keys()].map(findOption).find((o) => o && !takes(o, 'notify'));
    if (stray) throw new UsageError(onlyFor(stray));
    const event = parseNotifyEvent(parsed.positionals);
    const config = buildCheckConfig({ argv: parsed, env, fs: deps.fs, ...(deps.home && { home: deps.home }), ...(deps.loginName && { loginName: deps.loginName }) }, 'notify');
    const str = (name: string) => parsed.options.get(name) as string | undefined;
    const timeoutMs = str('timeout') === undefined ? DEFAULT_NOTIFY_TIMEOUT_S * 1000 : config.timeoutMs;
    const catchUpTimeoutS = seconds('catchup-timeout', str('catchup-timeout'), 30, { min: 0, max: 86400 });
    const onCatchUpTimeout = str('on-catchup-timeout') ?? 'stay-read-only';
    if (onCatchUpTimeout !== 'stay-read-only' && onCatchUpTimeout !== 'promote') {
      throw new UsageError(`invalid --on-catchup-timeout '${onCatchUpTimeout}': expected one of stay-read-only, promote`);
    }
    const spec: NotifySpec = {
      connection: config.connection,
      timeoutMs,
      policy: config.policy,
      notify: {
        catchUpTimeoutS,
        onCatchUpTimeout,
        killConnections: parsed.options.get('kill-connections') === true,
        keepUsers: (parsed.options.get('keep-user') as string[] | undefined) ?? ['root'],
      },
    };
    for (const notice of config.notices) deps.stderr(`check-mysql notify: warning: ${notice}\n`);

    const targets = { syslog: config.syslog, ...(config.logFile && { logFile: config.logFile }) };
    const fields = { event: `${event.type} ${event.name} ${event.state}`, priority: event.priority, target: spec.connection.label };
    let release: () => void;
    try {
      release = await acquireLock(config.lockFile, deps.pid, event.state, catchUpTimeoutS * 1000 + 2 * timeoutMs + 10_000, deps.now, nodeLockFs);
    } catch (err) {
      const message = `${event.type} ${event.name} ${event.state}: ${(err as Error).message}`;
      await logEvent('error', fields, message, targets, deps);
      deps.stderr(`check-mysql notify: ${message}\n`);
      return 1;
    }
    try {
      const t0 = deps.now();
      const outcome = await runNotify(spec, event, deps);
      const message = `${event.type} ${event.name} -> ${event.state}: ${outcome.message}`;
      const ms = Math.round(deps.now() - t0);
      await logEvent(outcome.ok ? 'info' : 'error', { ...fields, action: outcome.action, before: outcome.before, after: outcome.after, waited: outcome.waited, killed: outcome.killed, ms }, message, targets, deps);
      deps.stdout(`${message} (${ms} ms)\n`);
      return outcome.ok ? 0 : 1;
    } finally {
      release();
    }
  });
}
