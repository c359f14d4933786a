import type { ParsedArgv, ArgValue } from '../cli/parse-argv.js';
import { readClientOptions } from './option-files.js';
import type { HostFiles } from '../types/host.js';
import { UsageError } from '../usage-error.js';
import { findOption, onlyFor, takes, type Command } from '../cli/options.js';
import type { ConnectionConfig, Env, OutputFormat, Policy } from '../types/config.js';
import { DEFAULTS } from './defaults.js';
import { heartbeatTable } from './heartbeat-table.js';
import { address, asFlag, choice, seconds, integer, type SettingNames } from './values.js';
import { tlsConfig, type TlsSettings } from './tls-config.js';
import { refuseOpenMaintenanceDir } from '../maintenance/maintenance-dir.js';

export interface CheckConfig {
  readonly connection: ConnectionConfig;
  readonly lockFile: string;
  readonly maintenanceFile?: string;
  readonly timeoutMs: number;
  readonly policy: Policy;
  readonly format: OutputFormat;
  readonly logFile?: string;
  readonly syslog: boolean;
  /** Things the user should hear about even when the check passes: a password on argv or in a file others can read, a skipped file. */
  readonly notices: readonly string[];
}

/** Kept for the keepalived linter's test, which checks that it reasons with this default. */
export const DEFAULT_TIMEOUT_SECONDS = DEFAULTS.timeoutS;

export interface ConfigInputs extends HostFiles {
  readonly argv: ParsedArgv;
  readonly env: Env;
  /** How errors name a setting: as a flag (the default) or as a config file's key. */
  readonly names?: SettingNames;
}

/** The values an option takes, from the one option table, which --help shows too. */
export const choicesOf = <T extends string>(name: string): readonly T[] => findOption(name)!.choices as readonly T[];

/** Flags + environment + option files -> a frozen config, or a UsageError naming what is wrong. */
export function buildCheckConfig({ argv, env, fs, home, loginName, names = asFlag }: ConfigInputs, command: Command = 'check'): CheckConfig {
  const opt = (name: string): ArgValue | undefined => argv.options.get(name);
  const str = (name: string): string | undefined => opt(name) as string | undefined;
  if (command === 'check' && argv.positionals.length > 0) throw new UsageError(`unexpected argument '${argv.positionals[0]}'`);
  for (const name of argv.options.keys()) {
    const spec = findOption(name);
    if (spec && !takes(spec, command)) throw new UsageError(onlyFor(spec));
  }

  const { settings: files, notices: fileNotices } = readClientOptions(
    {
      noDefaults: opt('no-defaults') === true,
      ...(str('defaults-file') && { defaultsFile: str('defaults-file') }),
      ...(str('defaults-extra-file') && { defaultsExtraFile: str('defaults-extra-file') }),
      ...(home && { home }),
      ...(env.MYSQL_HOME && { mysqlHome: env.MYSQL_HOME }),
    },
    fs,
  );
  // Precedence as in the mysql client: command line, then option files, then environment.
  const pick = (name: string, envName?: string): string | undefined =>
    str(name) ?? files.get(name) ?? (envName ? env[envName] : undefined);

  const notices = [...fileNotices];
  if (argv.passwordOnArgv) notices.push('a password on the command line is visible to other users (ps); use MYSQL_PWD or an option file');

  // MariaDB's --skip-ssl is an option of its own on the command line; in a file it reads as ssl=0.
  const tlsSettings: TlsSettings = { get: (name) => (name === 'ssl' && opt('skip-ssl') === true ? false : opt(name) ?? files.get(name)) };
  const connection = connectionConfig(
    {
      host: pick('host', 'MYSQL_HOST'),
      port: pick('port', 'MYSQL_TCP_PORT'),
      socket: pick('socket', 'MYSQL_UNIX_PORT'),
      protocol: pick('protocol'),
      user: pick('user', 'USER') ?? loginName?.() ?? DEFAULTS.user,
      password: str('password') ?? files.get('password') ?? env.MYSQL_PWD,
    },
    names,
    (host) => {
      const outcome = tlsConfig(tlsSettings, host, fs, names);
      notices.push(...outcome.notices);
      return outcome;
    },
  );

  const json = opt('json') === true;
  const format = choice('format', str('format') ?? (json ? 'json' : DEFAULTS.format), choicesOf<OutputFormat>('format'), names);
  if (json && format !== 'json') throw new UsageError('--json conflicts with --format ' + format);

  const timeoutMs = Math.round(seconds('timeout', str('timeout'), DEFAULTS.timeoutS, { min: 0.01, max: 3600 }, names) * 1000);
  const heartbeat = str('heartbeat-table');
  const maintenanceFile = str('maintenance-file');
  if (maintenanceFile !== undefined) refuseOpenMaintenanceDir(maintenanceFile, (dir) => fs.stat(dir), names);
  return Object.freeze({
    connection,
    lockFile: str('lock-file') ?? files.get('lock-file') ?? DEFAULTS.lockFile,
    ...(maintenanceFile !== undefined && { maintenanceFile }),
    timeoutMs,
    policy: Object.freeze({
      maxLagSeconds: seconds('max-lag', str('max-lag'), DEFAULTS.maxLagS, { min: 0, max: 365 * 86400 }, names),
      ...(str('vip') !== undefined && { vip: address('vip', str('vip')!, names) }),
      promotionGraceS: seconds('promotion-grace', str('promotion-grace') ?? files.get('promotion-grace'), DEFAULTS.promotionGraceS, { min: 0, max: DEFAULTS.promotionGraceMaxS }, names),
      role: choice('role', str('role') ?? DEFAULTS.role, choicesOf<Policy['role']>('role'), names),
      onSaturated: choice('on-saturated', str('on-saturated') ?? DEFAULTS.onSaturated, choicesOf<Policy['onSaturated']>('on-saturated'), names),
      channels: Object.freeze([...((opt('channel') as string[] | undefined) ?? [])]),
      ...(heartbeat !== undefined && { heartbeat: Object.freeze({ table: heartbeatTable('heartbeat-table', heartbeat, names), writeBoundMs: timeoutMs }) }),
    }),
    format,
    ...(str('log-file') !== undefined && { logFile: str('log-file') }),
    syslog: opt('no-syslog') !== true,
    notices: Object.freeze(notices),
  });
}

interface RawConnection {
  host?: string;
  port?: string;
  socket?: string;
  protocol?: string;
  user: string;
  password?: string;
}

/** The TLS side, given the TCP host (undefined over the socket). */
type TlsFor = (host: string | undefined) => Pick<ConnectionConfig, 'tls' | 'auth'>;

function connectionConfig(raw: RawConnection, names: SettingNames, tlsFor: TlsFor): ConnectionConfig {
  const protocol = raw.protocol === undefined ? undefined : choice('protocol', raw.protocol.toLowerCase(), choicesOf<'tcp' | 'socket'>('protocol'), names);
  const host = raw.host ?? DEFAULTS.host;
  const port = raw.port === undefined ? DEFAULTS.port : integer('port', raw.port, 1, 65535, names);
  const password = raw.password === undefined || raw.password === '' ? {} : { password: raw.password };
  // As with the mysql client, "localhost" means the Unix socket unless TCP is asked for.
  const useSocket = protocol === 'socket' || (protocol !== 'tcp' && host === 'localhost');
  if (useSocket) {
    const socket = raw.socket ?? DEFAULTS.socket;
    return Object.freeze({ label: socket, socket, user: raw.user, ...password, ...tlsFor(undefined) });
  }
  const label = host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
  const { tls, auth } = tlsFor(host);
  return Object.freeze({ label, host, port, user: raw.user, ...password, ...(tls && { tls }), auth });
}
