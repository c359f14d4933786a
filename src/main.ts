import { runCheck, type CheckDeps } from './check.js';
import { parseArgv } from './cli/parse-argv.js';
import { buildCheckConfig } from './config/config.js';
import type { Env } from './types/config.js';
import type { OptionFileSystem } from './config/option-files.js';
import type { LogSinks } from './log/event-log.js';
import { logUnhealthy } from './log/failure-log.js';
import { formatHuman } from './output/human.js';
import { formatJson } from './output/json.js';
import { formatNagios } from './output/nagios.js';
import { exitCodeOf } from './usage-error.js';
import pkg from '../package.json';

export const EXIT = { HEALTHY: 0, UNHEALTHY: 1, USAGE: 2 } as const;

/** Everything main needs from the outside world; bin/ supplies the real ones, tests fakes. */
export interface MainDeps extends CheckDeps, LogSinks {
  readonly fs: OptionFileSystem;
  readonly home?: string;
  readonly loginName?: () => string | undefined;
  stdout(text: string): void;
  stderr(text: string): void;
  /** Overwrites the process title, so a password given in argv leaves `ps`. */
  hideArgv(): void;
}

/** The one-shot check. Returns the exit code; never throws, never exits. */
export function main(argv: readonly string[], env: Env, deps: MainDeps): Promise<number> {
  return exitCodeOf('check-mysql', deps.stderr, () => run(argv, env, deps));
}

async function run(argv: readonly string[], env: Env, deps: MainDeps): Promise<number> {
  const parsed = parseArgv(argv);
  if (parsed.passwordOnArgv) deps.hideArgv();
  if (parsed.options.get('help') === true) {
    const { renderHelp } = await import('./cli/help.js');
    deps.stdout(`${await renderHelp()}\n`);
    return EXIT.HEALTHY;
  }
  if (parsed.options.get('version') === true) {
    deps.stdout(`check-mysql ${pkg.version}\n`);
    return EXIT.HEALTHY;
  }
  const config = buildCheckConfig({ argv: parsed, env, fs: deps.fs, ...(deps.home && { home: deps.home }), ...(deps.loginName && { loginName: deps.loginName }) });
  for (const notice of config.notices) deps.stderr(`check-mysql: warning: ${notice}\n`);

  const report = await runCheck(config, deps);
  let exitCode: number = report.verdict.healthy ? EXIT.HEALTHY : EXIT.UNHEALTHY;
  if (config.format === 'json') deps.stdout(`${formatJson(report)}\n`);
  else if (config.format === 'nagios') {
    const nagios = formatNagios(report, config.policy.maxLagSeconds);
    deps.stdout(`${nagios.line}\n`);
    exitCode = nagios.exitCode;
  } else deps.stdout(`${formatHuman(report)}\n`);

  if (!report.verdict.healthy) {
    try {
      await logUnhealthy(report, config, deps);
    } catch (err) {
      deps.stderr(`check-mysql: warning: could not log the failure: ${(err as Error).message}\n`);
    }
  }
  return exitCode;
}
