import { OPTIONS } from './options.js';

const USAGE = `check-mysql [options]

Role-aware MySQL/MariaDB health check for keepalived vrrp_script.
Exit 0 healthy, 1 unhealthy, 2 bad invocation or configuration.`;

/** Renders --help with yargs from the same option table the parser uses; loaded only for --help. */
export async function renderHelp(width = 100): Promise<string> {
  // require, not import(): the bundle runs in a vm.Script, which has no dynamic-import hook.
  const yargs = require('yargs') as typeof import('yargs').default;
  let y = yargs([]).scriptName('check-mysql').usage(USAGE).help(false).version(false).wrap(width).parserConfiguration({ 'boolean-negation': false });
  for (const o of OPTIONS) {
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
