import type { ParsedArgv } from '../cli/parse-argv.js';
import { buildCheckConfig } from '../config/config.js';
import { peerAddress } from '../config/peer-address.js';
import { DEFAULTS } from '../config/defaults.js';
import { address, asFlag, seconds } from '../config/values.js';
import { logEvent, type EventLevel } from '../log/event-log.js';
import { reportLines, runSwitchover, type SwitchoverDeps, type SwitchoverOutcome, type SwitchoverSpec } from '../switchover/run-switchover.js';
import type { MaintenanceFs } from '../types/maintenance-fs.js';
import { UsageError } from '../usage-error.js';
import type { CheckCommandDeps } from './check.js';
import { EXIT, type Command } from './command.js';
import { commandEntry } from './table.js';

export interface SwitchoverCommandDeps extends CheckCommandDeps, Omit<SwitchoverDeps, 'connect' | 'now' | 'networkInterfaces'> {
  readonly maintenanceFs: MaintenanceFs;
  /** This host's name, for the maintenance file's "by". */
  readonly hostName: string;
}

/** `--peer HOST[:PORT]`, `[IPv6]:PORT` or a bare IPv6 address: the daemon's `peer` rule; the port stays text for the option map. */
export function parsePeer(value: string): { host: string; port?: string } {
  const { host, port } = peerAddress('peer', value, asFlag, () => '--peer port');
  return port === undefined ? { host } : { host, port: String(port) };
}

const required = (args: ParsedArgv, name: string): string => {
  const v = args.options.get(name);
  if (typeof v !== 'string' || v.trim() === '') throw new UsageError(`switchover needs --${name}; usage: check-mysql switchover --peer HOST[:PORT] --maintenance-file PATH --vip ADDR [options]`);
  return v;
};

function buildSpec(args: ParsedArgv, env: Readonly<Record<string, string | undefined>>, deps: SwitchoverCommandDeps): { spec: SwitchoverSpec; notices: readonly string[] } {
  const peer = parsePeer(required(args, 'peer'));
  const maintenanceFile = required(args, 'maintenance-file');
  const vip = address('vip', required(args, 'vip'), asFlag);
  const inputs = { env, fs: deps.fs, ...(deps.home && { home: deps.home }), ...(deps.loginName && { loginName: deps.loginName }) };
  // Also refuses a maintenance file whose directory is missing or open to others, as 'maintenance on' does.
  const local = buildCheckConfig({ argv: args, ...inputs }, 'switchover');
  // The peer, and the VIP at the peer's port: the same user, password, option files and TLS settings, over TCP.
  const over = (host: string) => {
    const options = new Map(args.options);
    options.set('host', host);
    options.set('protocol', 'tcp');
    if (peer.port !== undefined) options.set('port', peer.port);
    return buildCheckConfig({ argv: { ...args, options }, ...inputs }, 'switchover').connection;
  };
  const str = (name: string) => args.options.get(name) as string | undefined;
  const spec: SwitchoverSpec = {
    local: local.connection,
    peer: over(peer.host),
    viaVip: over(vip),
    vip,
    timeoutMs: str('timeout') === undefined ? DEFAULTS.notifyTimeoutS * 1000 : local.timeoutMs,
    maxLagSeconds: local.policy.maxLagSeconds,
    maintenanceFile,
    catchUpTimeoutS: seconds('catchup-timeout', str('catchup-timeout'), DEFAULTS.switchoverCatchUpS, { min: 0, max: 3600 }, asFlag),
    confirmTimeoutS: DEFAULTS.switchoverConfirmS,
    killConnections: args.options.get('kill-connections') === true,
    keepUsers: (args.options.get('keep-user') as string[] | undefined) ?? DEFAULTS.keepUsers,
    dryRun: args.options.get('dry-run') === true,
    by: `${deps.loginName?.() ?? local.connection.user}@${deps.hostName}`,
    lockFile: local.lockFile,
  };
  return { spec, notices: local.notices };
}

const LEVEL: Record<SwitchoverOutcome['result'], EventLevel> = { switched: 'info', 'dry-run': 'info', refused: 'warn', 'rolled-back': 'warn', failed: 'error', unconfirmed: 'error' };

/** `check-mysql switchover`: the planned move of the writer role to the peer, run on the writer. */
export const switchover = {
  ...commandEntry('switchover'),
  usage: 'check-mysql switchover --peer HOST[:PORT] --maintenance-file PATH --vip ADDR [options]',
  description: `Planned switchover, run on the current writer's host (docs/switchover.md). Preflight:
this node holds --vip and is writable; the peer is a read-only standby of this node (SQL thread
applying, within --max-lag), replication runs both ways; no errant transactions on the peer.
Then: this node read-only, the peer catches up to its final GTID position (else this node is
made writable again), the maintenance file moves the VIP, and the move is confirmed: VIP gone
from here, the peer read_only=OFF. Prints each step with its time.
Exit 0 switched over (or --dry-run passed), 1 refused / rolled back / not confirmed, 2 bad invocation.`,
  positionals: { min: 0, max: 0, name: 'argument' },
  async run({ args, env, io, deps }) {
    const { spec, notices } = buildSpec(args, env, deps);
    for (const notice of notices) io.stderr(`check-mysql switchover: warning: ${notice}\n`);
    const outcome = await runSwitchover(spec, deps);

    if (outcome.result !== 'refused' || spec.dryRun) io.stdout(reportLines(outcome).map((l) => `${l}\n`).join(''));
    if (!outcome.ok) io.stderr(`check-mysql switchover: ${outcome.message}\n`);
    const targets = { syslog: args.options.get('no-syslog') !== true, ...(typeof args.options.get('log-file') === 'string' && { logFile: args.options.get('log-file') as string }) };
    const fields = { command: 'switchover', result: outcome.result, target: spec.local.label, peer: spec.peer.label, vip: spec.vip, steps: outcome.steps, ms: outcome.totalMs };
    try {
      await logEvent(LEVEL[outcome.result], fields, outcome.message, targets, deps);
    } catch (err) {
      io.stderr(`check-mysql switchover: warning: could not log: ${(err as Error).message}\n`);
    }
    return outcome.ok ? EXIT.OK : EXIT.FAILED;
  },
} satisfies Command<SwitchoverCommandDeps>;
