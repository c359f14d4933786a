/**
 * The one table of commands: name, one-line summary, and the bundle that carries it.
 * Metadata only, so every bundle can list all commands without loading the others' code.
 * Each command's object (src/commands/NAME.ts) takes its name and summary from here.
 */
export const COMMAND_TABLE = [
  { name: 'check', bundle: 'check-mysql', summary: "One-shot role-aware health check, for keepalived's vrrp_script (the default command)" },
  { name: 'daemon', bundle: 'daemon', summary: 'Resident checker: held connections, keepalived track files, status files, /metrics and /health' },
  { name: 'notify', bundle: 'check-mysql', summary: 'keepalived notify handler: the new VIP holder catches up and becomes writable, the others read-only' },
  { name: 'switchover', bundle: 'tools', summary: 'Planned switchover, run on the writer: read-only here, the peer catches up, maintenance moves the VIP, confirmed' },
  { name: 'maintenance', bundle: 'tools', summary: 'Put this node in maintenance (its track file reads fault, /health/NAME 503), take it out, or show it' },
  { name: 'lint-keepalived', bundle: 'tools', summary: 'Warn about keepalived.conf settings that fail open or fail over late' },
] as const;

export type CommandName = (typeof COMMAND_TABLE)[number]['name'];
export type BundleName = (typeof COMMAND_TABLE)[number]['bundle'];

export const commandEntry = (name: CommandName) => COMMAND_TABLE.find((c) => c.name === name)!;

export function isCommandName(word: string | undefined): word is CommandName {
  return COMMAND_TABLE.some((c) => c.name === word);
}

/** The commands, one per line, for the top-level help. */
export function commandList(): string {
  const width = Math.max(...COMMAND_TABLE.map((c) => c.name.length));
  return `Commands (check-mysql COMMAND --help for each):\n${COMMAND_TABLE.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`).join('\n')}`;
}
