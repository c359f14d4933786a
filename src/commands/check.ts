import { runCheck, type CheckDeps } from '../check.js';
import { buildCheckConfig } from '../config/config.js';
import type { LogSinks } from '../log/event-log.js';
import { logUnhealthy } from '../log/failure-log.js';
import { formatHuman } from '../output/human.js';
import { formatJson } from '../output/json.js';
import { formatNagios } from '../output/nagios.js';
import type { HostFiles } from '../types/host.js';
import { render } from '../types/finding.js';
import { HEARTBEAT_UNUSABLE } from '../verdict/heartbeat.js';
import { EXIT, type Command } from './command.js';
import { readMaintenance } from '../maintenance/maintenance-file.js';
import { maintenanceReport } from '../maintenance/maintenance-report.js';
import type { MaintenanceFs } from '../types/maintenance-fs.js';
import type { CheckConfig } from '../config/config.js';
import type { CheckReport } from '../types/facts.js';
import { commandEntry, commandList } from './table.js';

export interface CheckCommandDeps extends CheckDeps, LogSinks, HostFiles {
  /** Needed only with --maintenance-file. */
  readonly maintenanceFs?: MaintenanceFs;
}

/** In maintenance the check fails without connecting; otherwise it runs. */
function checkUnlessInMaintenance(config: CheckConfig, deps: CheckCommandDeps): Promise<CheckReport> {
  const path = config.maintenanceFile;
  if (path === undefined) return runCheck(config, deps);
  if (!deps.maintenanceFs) throw new Error('no file system to read --maintenance-file with');
  const maintenance = readMaintenance(deps.maintenanceFs, path);
  return maintenance.on ? Promise.resolve(maintenanceReport(config.connection.label, path, maintenance)) : runCheck(config, deps);
}

/** The one-shot check keepalived's vrrp_script runs: exit 0 healthy, 1 unhealthy, 2 bad invocation. */
export const check = {
  ...commandEntry('check'),
  usage: 'check-mysql [check] [options]',
  description: `Role-aware MySQL/MariaDB health check for keepalived vrrp_script.
Exit 0 healthy, 1 unhealthy (also while --maintenance-file exists: reason 'maintenance', without
connecting), 2 bad invocation or configuration.`,
  positionals: { min: 0, max: 0, name: 'argument' },
  epilogue: commandList,
  async run({ args, env, io, deps }) {
    const config = buildCheckConfig({ argv: args, env, fs: deps.fs, ...(deps.home && { home: deps.home }), ...(deps.loginName && { loginName: deps.loginName }) });
    for (const notice of config.notices) io.stderr(`check-mysql: warning: ${notice}\n`);

    const report = await checkUnlessInMaintenance(config, deps);
    // A heartbeat table this user cannot use is a configuration to fix: one line naming it and 2,
    // as for a bad flag. keepalived reads any non-zero as a failure, so it still fails closed.
    const misconfigured = report.verdict.reasons.find((r) => r.code === HEARTBEAT_UNUSABLE);
    let exitCode: number = misconfigured ? EXIT.USAGE : report.verdict.healthy ? EXIT.OK : EXIT.FAILED;
    if (misconfigured) io.stderr(`check-mysql: ${render(misconfigured)}\n`);
    else if (config.format === 'json') io.stdout(`${formatJson(report)}\n`);
    else if (config.format === 'nagios') {
      const nagios = formatNagios(report, config.policy.maxLagSeconds);
      io.stdout(`${nagios.line}\n`);
      exitCode = nagios.exitCode;
    } else io.stdout(`${formatHuman(report)}\n`);

    if (!report.verdict.healthy) {
      try {
        await logUnhealthy(report, config, deps);
      } catch (err) {
        io.stderr(`check-mysql: warning: could not log the failure: ${(err as Error).message}\n`);
      }
    }
    return exitCode;
  },
} satisfies Command<CheckCommandDeps>;
