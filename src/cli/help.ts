import type { Command } from '../commands/command.js';
import { OPTIONS, defaultTextFor, describeFor, takes } from './options.js';

/**
 * Renders `check-mysql CMD --help` with yargs from the same option table the parser uses, showing
 * only the options that command takes. Loaded only for --help: yargs stays out of the bundles.
 */
export async function renderHelp(command: Command<unknown>, width = 100): Promise<string> {
  // require, not import(): the bundle runs in a vm.Script, which has no dynamic-import hook.
  const yargs = require('yargs') as typeof import('yargs').default;
  let y = yargs([]).scriptName('check-mysql').usage(`Usage: ${command.usage}\n\n${command.description}`).help(false).version(false).wrap(width).parserConfiguration({ 'boolean-negation': false });
  for (const o of OPTIONS.filter((x) => takes(x, command.name))) {
    const defaultText = defaultTextFor(o, command.name);
    const extra = [defaultText ? `[default: ${defaultText}]` : '', o.choices ? `[${o.choices.join('|')}]` : ''].filter(Boolean).join(' ');
    const describe = describeFor(o, command.name);
    y = y.option(o.name, {
      ...(o.short && { alias: o.short }),
      type: o.kind === 'list' ? 'array' : o.kind,
      group: `${o.group}:`,
      describe: extra ? `${describe} ${extra}` : describe,
    });
  }
  const options = (await y.getHelp()).replace(/\s*\[(string|boolean|array)\]/g, '');
  return command.epilogue ? `${options}\n\n${command.epilogue()}` : options;
}
