import { buildDaemonConfig } from '../daemon/daemon-config.js';
import { refuseOpenMaintenanceDir } from '../maintenance/maintenance-dir.js';
import { enterMaintenance, leaveMaintenance, readMaintenance } from '../maintenance/maintenance-file.js';
import { DEFAULTS } from '../config/defaults.js';
import type { Env } from '../types/config.js';
import type { OptionFileSystem } from '../types/host.js';
import type { MaintenanceFs, MaintenanceInfo, MaintenanceState } from '../types/maintenance-fs.js';
import type { ParsedArgv } from '../cli/parse-argv.js';
import { UsageError } from '../usage-error.js';
import { EXIT, type Command } from './command.js';
import { commandEntry } from './table.js';

export interface MaintenanceCommandDeps {
  readonly maintenanceFs: MaintenanceFs;
  /** For --config: the daemon's config file, read as the daemon reads it. */
  readonly fs: OptionFileSystem;
  readonly realPath?: (path: string) => string | undefined;
  readonly loginName?: () => string | undefined;
  readonly hostname: () => string;
  /** Epoch milliseconds. */
  readonly wallClock: () => number;
}

const ACTIONS = ['on', 'off', 'status'] as const;
type Action = (typeof ACTIONS)[number];

/** "2h 5m", "3m 12s", "40s": how long a maintenance has lasted, for a person. */
export function forHowLong(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  const [d, h, m] = [Math.floor(s / 86400), Math.floor((s % 86400) / 3600), Math.floor((s % 3600) / 60)];
  if (d > 0) return `${d}d ${h}h`;
  if (h > 0) return `${h}h ${m}m`;
  if (m > 0) return `${m}m ${s % 60}s`;
  return `${s}s`;
}

/** The file named by --maintenance-file, or by the daemon config's target. */
function maintenancePath(args: ParsedArgv, deps: MaintenanceCommandDeps): string {
  const file = args.options.get('maintenance-file') as string | undefined;
  const config = args.options.get('config') as string | undefined;
  const target = args.options.get('target') as string | undefined;
  if (file !== undefined && config !== undefined) throw new UsageError('give --maintenance-file or --config, not both');
  if (file !== undefined) {
    if (target !== undefined) throw new UsageError('--target goes with --config');
    refuseOpenMaintenanceDir(file, (dir) => deps.maintenanceFs.stat(dir));
    return file;
  }
  if (config === undefined) throw new UsageError('no maintenance file: give --maintenance-file PATH, or --config FILE [--target NAME]');
  // Read as the daemon reads it, so this finds the file the daemon watches, and refuses what it refuses.
  const daemon = buildDaemonConfig({ argv: { options: new Map([['config', config]]), positionals: [], passwordOnArgv: false }, env: {}, fs: deps.fs, ...(deps.realPath && { realPath: deps.realPath }) });
  const chosen = target === undefined ? daemon.targets.filter((t) => t.maintenanceFile !== undefined) : daemon.targets.filter((t) => t.name === target);
  if (target !== undefined && chosen.length === 0) throw new UsageError(`${config} has no [target ${target}]`);
  if (chosen.length === 0) throw new UsageError(`${config}: no target has a maintenance-file`);
  if (chosen.length > 1) throw new UsageError(`${config}: several targets have a maintenance-file (${chosen.map((t) => t.name).join(', ')}): name one with --target`);
  const path = chosen[0]!.maintenanceFile;
  if (path === undefined) throw new UsageError(`${config}: [target ${target}] has no maintenance-file`);
  return path;
}

const since = (info: MaintenanceInfo, now: number): string => {
  const at = Date.parse(info.since);
  return `since ${info.since}${Number.isNaN(at) ? '' : ` (for ${forHowLong(now - at)})`}, by ${info.by}`;
};

const describe = (m: Extract<MaintenanceState, { on: true }>, now: number): string =>
  m.info ? `reason: ${m.info.reason}; ${since(m.info, now)}` : `the file is there but cannot be read (${m.problem}); it counts as maintenance`;

function turnOn(path: string, args: ParsedArgv, env: Env, deps: MaintenanceCommandDeps, out: (line: string) => void): number {
  const given = args.options.get('reason') as string | undefined;
  if (given !== undefined && given.trim() === '') throw new UsageError('--reason needs a text');
  const now = deps.wallClock();
  const current = readMaintenance(deps.maintenanceFs, path);
  if (current.on && current.info) {
    // Keep when and by whom it began: status, the daemon's log and the alerts all count from it.
    if (given === undefined || given === current.info.reason) {
      out(`maintenance already on (${path}), unchanged: ${describe(current, now)}`);
      return EXIT.OK;
    }
    enterMaintenance(deps.maintenanceFs, path, { ...current.info, reason: given });
    out(`maintenance already on (${path}); reason updated to: ${given}; ${since(current.info, now)}`);
    return EXIT.OK;
  }
  // sudo: the person, not root.
  const user = env.SUDO_USER || deps.loginName?.() || 'unknown';
  const info = { reason: given ?? DEFAULTS.maintenanceReason, since: new Date(now).toISOString(), by: `${user}@${deps.hostname()}` };
  enterMaintenance(deps.maintenanceFs, path, info);
  out(current.on ? `maintenance on (${path}): replaced a file that could not be read (${current.problem}); reason: ${info.reason}; since ${info.since}, by ${info.by}` : `maintenance on (${path}): reason: ${info.reason}; since ${info.since}, by ${info.by}`);
  return EXIT.OK;
}

function turnOff(path: string, deps: MaintenanceCommandDeps, out: (line: string) => void): number {
  const current = readMaintenance(deps.maintenanceFs, path);
  const was = current.on ? describe(current, deps.wallClock()) : undefined;
  const removed = leaveMaintenance(deps.maintenanceFs, path);
  out(removed ? `maintenance off (${path} removed); it was on: ${was ?? 'since a moment ago'}` : `maintenance was already off (${path} does not exist)`);
  return EXIT.OK;
}

function status(path: string, deps: MaintenanceCommandDeps, out: (line: string) => void): number {
  const current = readMaintenance(deps.maintenanceFs, path);
  if (!current.on) {
    out(`off (${path} does not exist)`);
    return EXIT.FAILED;
  }
  out(`on (${path}): ${describe(current, deps.wallClock())}`);
  return EXIT.OK;
}

/** `check-mysql maintenance on|off|status`: the switch the daemon and the one-shot check obey. */
export const maintenance = {
  ...commandEntry('maintenance'),
  usage: 'check-mysql maintenance on|off|status (--maintenance-file PATH | --config FILE [--target NAME]) [--reason TEXT]',
  description: `Puts this node in maintenance, takes it out, or says whether it is in maintenance. While the
maintenance file exists, the daemon writes fault to the target's track file (keepalived gives the
VIP up, or never takes it) and /health/NAME answers 503 (or 404), and the one-shot check exits 1.
'on' records the reason, the time and user@host; when already on it keeps the original time.
'off' removes the file; leaving maintenance goes through the daemon's normal rise.
Exit status: on/off: 0 done (also when nothing had to change); status: 0 on, 1 off
(like systemctl is-active); 2 bad invocation, or a file or directory that cannot be used.`,
  positionals: { min: 1, max: 1, name: 'action (on, off or status)' },
  run({ args, env, io, deps }) {
    const action = args.positionals[0]!;
    if (!(ACTIONS as readonly string[]).includes(action)) throw new UsageError(`unknown action '${action}': expected on, off or status`);
    if (args.options.has('reason') && action !== 'on') throw new UsageError(`--reason goes with 'on', not '${action}'`);
    const path = maintenancePath(args, deps);
    const out = (line: string) => io.stdout(`${line}\n`);
    switch (action as Action) {
      case 'on':
        return turnOn(path, args, env, deps, out);
      case 'off':
        return turnOff(path, deps, out);
      case 'status':
        return status(path, deps, out);
    }
  },
} satisfies Command<MaintenanceCommandDeps>;
