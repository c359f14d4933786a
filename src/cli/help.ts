import { OPTIONS, takes, type Command } from './options.js';

const USAGE = {
  check: `check-mysql [options]

Role-aware MySQL/MariaDB health check for keepalived vrrp_script.
Exit 0 healthy, 1 unhealthy, 2 bad invocation or configuration.
See also: check-mysql daemon --help`,
  daemon: `check-mysql daemon [--config FILE | connection options] [options]

Resident checker: keeps a connection per target, writes keepalived track files and status files,
serves /metrics, /health, /health/NAME and /live. SIGHUP reloads, SIGTERM stops (track files -> 1).`,
  notify: `check-mysql notify [connection options] --vip ADDRESS [options] TYPE NAME STATE [PRIORITY]

keepalived notify handler (keepalived appends TYPE NAME STATE PRIORITY). MASTER: wait for the SQL
thread to apply the relay log, then read_only=OFF. BACKUP/FAULT/STOP: read-only. A notification
that no longer matches who holds --vip is ignored (keepalived may run them out of order).
Exit 0 done or nothing to do, 1 failed or stayed read-only, 2 bad invocation.`,
};

/** Renders --help with yargs from the same option table the parser uses; loaded only for --help. */
export async function renderHelp(width = 100, mode: Command = 'check'): Promise<string> {
  // require, not import(): the bundle runs in a vm.Script, which has no dynamic-import hook.
  const yargs = require('yargs') as typeof import('yargs').default;
  let y = yargs([]).scriptName('check-mysql').usage(USAGE[mode]).help(false).version(false).wrap(width).parserConfiguration({ 'boolean-negation': false });
  for (const o of OPTIONS.filter((x) => takes(x, mode))) {
    const extra = [o.defaultText ? `[default: ${o.defaultText}]` : '', o.choices ? `[${o.choices.join('|')}]` : ''].filter(Boolean).join(' ');
    y = y.option(o.name, {
      ...(o.short && { alias: o.short }),
      type: o.kind === 'list' ? 'array' : o.kind,
      group: `${o.group}:`,
      describe: extra ? `${o.describe} ${extra}` : o.describe,
    });
  }
  return (await y.getHelp()).replace(/\s+\[(string|boolean|array)\]/g, '');
}
