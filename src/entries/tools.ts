/** The bundle of commands an operator runs by hand (dist/tools.cjs): lint-keepalived. */
import { readFileSync, readdirSync } from 'node:fs';
import { lintKeepalived } from '../commands/lint-keepalived.js';
import { runCommand } from '../commands/run-command.js';
import type { Env } from '../types/config.js';
import type { ProcessEdge } from '../types/io.js';

export function runNamed(_name: string, argv: readonly string[], env: Env, edge: ProcessEdge): Promise<number> {
  return runCommand(lintKeepalived, argv, env, edge, { readFile: (p) => readFileSync(p, 'utf8'), readDir: (p) => readdirSync(p) });
}
