import { buildCheckConfig, choicesOf } from '../config/config.js';
import { DEFAULTS } from '../config/defaults.js';
import { asFlag, choice, invalidValue, seconds } from '../config/values.js';
import { SQL_SAFE_CHANNEL_TEXT, sqlSafeChannel } from '../dialect/replication-statements.js';
import { logEvent, type EventLevel } from '../log/event-log.js';
import { parseNotifyEvent, wantedRole } from '../notify/event.js';
import { acquirePromotionLock, type LockFs } from '../notify/lock-file.js';
import { NO_VIP, runNotify, type NotifyOutcome, type NotifyPolicy, type NotifySpec } from '../notify/notify.js';
import { UsageError } from '../usage-error.js';
import type { CheckCommandDeps } from './check.js';
import { EXIT, type Command } from './command.js';
import { commandEntry } from './table.js';

export interface NotifyCommandDeps extends CheckCommandDeps {
  readonly pid: number;
  /** The promotion lock's host: flock(2), and who owns its directory and file. */
  readonly lockFs: LockFs;
}

const level = (o: NotifyOutcome): EventLevel => (!o.ok ? 'error' : o.action === 'demoted-again' ? 'warn' : 'info');

/** `check-mysql notify [options] TYPE NAME STATE [PRIORITY]`, as keepalived's generic notify calls it. */
export const notify = {
  ...commandEntry('notify'),
  usage: 'check-mysql notify [connection options] --vip ADDRESS [options] TYPE NAME STATE [PRIORITY]',
  description: `keepalived notify handler (keepalived appends TYPE NAME STATE PRIORITY). MASTER: wait for the SQL
thread to apply the relay log, then read_only=OFF; it needs --vip and the lock. BACKUP/FAULT/STOP:
read-only at once, with no lock, ending the client writes that stall it (a full disk, a semi-sync
ACK wait, a row lock). A notification that no longer matches who holds --vip is ignored
(keepalived may run them out of order).
Exit 0 done or nothing to do, 1 failed or stayed read-only, 2 bad invocation.`,
  positionals: { min: 3, max: 4, name: "keepalived's TYPE NAME STATE [PRIORITY]" },
  async run({ args: parsed, env, io, deps }) {
    const event = parseNotifyEvent(parsed.positionals);
    if (event.state === 'MASTER' && parsed.options.get('vip') === undefined) throw new UsageError(NO_VIP);
    const config = buildCheckConfig({ argv: parsed, env, fs: deps.fs, ...(deps.home && { home: deps.home }), ...(deps.loginName && { loginName: deps.loginName }) }, 'notify');
    const str = (name: string) => parsed.options.get(name) as string | undefined;
    const timeoutMs = str('timeout') === undefined ? DEFAULTS.notifyTimeoutS * 1000 : config.timeoutMs;
    const catchUpTimeoutS = seconds('catchup-timeout', str('catchup-timeout'), DEFAULTS.catchUpTimeoutS, { min: 0, max: 86400 }, asFlag);
    const onCatchUpTimeout = choice('on-catchup-timeout', str('on-catchup-timeout') ?? DEFAULTS.onCatchUpTimeout, choicesOf<NotifyPolicy['onCatchUpTimeout']>('on-catchup-timeout'), asFlag);
    const peerFence = choice('peer-fence', str('peer-fence') ?? DEFAULTS.peerFence, choicesOf<'on' | 'off'>('peer-fence'), asFlag) === 'on';
    const peerChannels = parsed.options.get('peer-channel') as string[] | undefined;
    for (const name of peerChannels ?? []) if (!sqlSafeChannel(name)) throw invalidValue('peer-channel', name, SQL_SAFE_CHANNEL_TEXT, asFlag);
    const spec: NotifySpec = {
      connection: config.connection,
      timeoutMs,
      policy: config.policy,
      notify: {
        catchUpTimeoutS,
        onCatchUpTimeout,
        killConnections: parsed.options.get('kill-connections') === true,
        keepUsers: (parsed.options.get('keep-user') as string[] | undefined) ?? DEFAULTS.keepUsers,
        peerFence,
        ...(peerChannels && { peerChannels }),
      },
    };
    for (const notice of config.notices) io.stderr(`check-mysql notify: warning: ${notice}\n`);

    const targets = { syslog: config.syslog, ...(config.logFile && { logFile: config.logFile }) };
    const fields = { event: `${event.type} ${event.name} ${event.state}`, priority: event.priority, target: spec.connection.label };
    // Only promotion locks: demotion is always safe, so it never waits behind a MASTER run's
    // catch-up and never fails for want of a lock file (notify/notify.ts: how the races close).
    let release = () => {};
    if (wantedRole(event.state) === 'writer') {
      try {
        release = await acquirePromotionLock(config.lockFile, deps.pid, catchUpTimeoutS * 1000 + 2 * timeoutMs + 10_000, deps.now, deps.lockFs);
      } catch (err) {
        const message = `${event.type} ${event.name} ${event.state}: ${(err as Error).message}`;
        await logEvent('error', fields, message, targets, deps);
        io.stderr(`check-mysql notify: ${message}\n`);
        return EXIT.FAILED;
      }
    }
    try {
      const t0 = deps.now();
      const outcome = await runNotify(spec, event, deps);
      const message = `${event.type} ${event.name} -> ${event.state}: ${outcome.message}`;
      const ms = Math.round(deps.now() - t0);
      await logEvent(level(outcome), { ...fields, action: outcome.action, before: outcome.before, after: outcome.after, waited: outcome.waited, killed: outcome.killed, ended: outcome.ended, fenced: outcome.fenced, resumed: outcome.resumed, ms }, message, targets, deps);
      io.stdout(`${message} (${ms} ms)\n`);
      return outcome.ok ? EXIT.OK : EXIT.FAILED;
    } finally {
      release();
    }
  },
} satisfies Command<NotifyCommandDeps>;
