import type { ParsedArgv, ArgValue } from '../cli/parse-argv.js';
import { readClientOptions } from './option-files.js';
import type { HostFiles } from '../types/host.js';
import { UsageError } from '../usage-error.js';
import { findOption, onlyFor, takes, type Command } from '../cli/options.js';
import type { ConnectionConfig, Env, OutputFormat, Policy, Role } from '../types/config.js';

/** The notify handler's lock file (see notify/lock-file.ts); checks read it too. */
export const DEFAULT_LOCK_FILE = '/run/lock/check-mysql-notify.lock';

export interface CheckConfig {
  readonly connection: ConnectionConfig;
  readonly lockFile: string;
  readonly timeoutMs: number;
  readonly policy: Policy;
  readonly format: OutputFormat;
  readonly logFile?: string;
  readonly syslog: boolean;
  /** Things the user should hear about even when the check passes (e.g. password on argv). */
  readonly notices: readonly string[];
}

export const DEFAULT_SOCKET = '/run/mysqld/mysqld.sock';
export const DEFAULT_TIMEOUT_SECONDS = 0.8;
export const DEFAULT_MAX_LAG_SECONDS = 30;

export interface ConfigInputs extends HostFiles {
  readonly argv: ParsedArgv;
  readonly env: Env;
}

/** Flags + environment + option files -> a frozen config, or a UsageError naming what is wrong. */
export function buildCheckConfig({ argv, env, fs, home, loginName }: ConfigInputs, command: Command = 'check'): CheckConfig {
  const opt = (name: string): ArgValue | undefined => argv.options.get(name);
  const str = (name: string): string | undefined => opt(name) as string | undefined;
  if (command === 'check' && argv.positionals.length > 0) throw new UsageError(`unexpected argument '${argv.positionals[0]}'`);
  for (const name of argv.options.keys()) {
    const spec = findOption(name);
    if (spec && !takes(spec, command)) throw new UsageError(onlyFor(spec));
  }

  const files = readClientOptions(
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

  const notices: string[] = [];
  if (argv.passwordOnArgv) notices.push('a password on the command line is visible to other users (ps); use MYSQL_PWD or an option file');

  const connection = connectionConfig({
    host: pick('host', 'MYSQL_HOST'),
    port: pick('port', 'MYSQL_TCP_PORT'),
    socket: pick('socket', 'MYSQL_UNIX_PORT'),
    protocol: pick('protocol'),
    user: pick('user', 'USER') ?? loginName?.() ?? 'root',
    password: str('password') ?? files.get('password') ?? env.MYSQL_PWD,
  });

  const json = opt('json') === true;
  const format = choice('format', str('format') ?? (json ? 'json' : 'human'), ['human', 'json', 'nagios']);
  if (json && format !== 'json') throw new UsageError('--json conflicts with --format ' + format);

  return Object.freeze({
    connection,
    lockFile: str('lock-file') ?? files.get('lock-file') ?? DEFAULT_LOCK_FILE,
    timeoutMs: Math.round(seconds('timeout', str('timeout'), DEFAULT_TIMEOUT_SECONDS, { min: 0.01, max: 3600 }) * 1000),
    policy: Object.freeze({
      maxLagSeconds: seconds('max-lag', str('max-lag'), DEFAULT_MAX_LAG_SECONDS, { min: 0, max: 365 * 86400 }),
      ...(str('vip') !== undefined && { vip: address('vip', str('vip')!) }),
      role: choice('role', str('role') ?? 'auto', ['auto', 'writer', 'standby']),
      onSaturated: choice('on-saturated', str('on-saturated') ?? 'healthy', ['healthy', 'unhealthy']),
      channels: Object.freeze([...((opt('channel') as string[] | undefined) ?? [])]),
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

function connectionConfig(raw: RawConnection): ConnectionConfig {
  const protocol = raw.protocol === undefined ? undefined : choice('protocol', raw.protocol.toLowerCase(), ['tcp', 'socket']);
  const host = raw.host ?? 'localhost';
  const port = raw.port === undefined ? 3306 : integer('port', raw.port, 1, 65535);
  const password = raw.password === undefined || raw.password === '' ? {} : { password: raw.password };
  // As with the mysql client, "localhost" means the Unix socket unless TCP is asked for.
  const useSocket = protocol === 'socket' || (protocol !== 'tcp' && host === 'localhost');
  if (useSocket) {
    const socket = raw.socket ?? DEFAULT_SOCKET;
    return Object.freeze({ label: socket, socket, user: raw.user, ...password });
  }
  const label = host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
  return Object.freeze({ label, host, port, user: raw.user, ...password });
}

function choice<T extends string>(name: string, value: string, allowed: readonly T[]): T {
  if (!(allowed as readonly string[]).includes(value)) {
    throw new UsageError(`invalid --${name} '${value}': expected one of ${allowed.join(', ')}`);
  }
  return value as T;
}

export function integer(name: string, value: string, min: number, max: number): number {
  const n = /^\d+$/.test(value.trim()) ? Number(value) : NaN;
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new UsageError(`invalid --${name} '${value}': expected a whole number from ${min} to ${max}`);
  }
  return n;
}

export function seconds(name: string, value: string | undefined, fallback: number, range: { min: number; max: number }): number {
  if (value === undefined) return fallback;
  const n = /^\d+(\.\d+)?$|^\.\d+$/.test(value.trim()) ? Number(value) : NaN;
  if (!Number.isFinite(n) || n < range.min || n > range.max) {
    throw new UsageError(`invalid --${name} '${value}': expected seconds from ${range.min} to ${range.max}`);
  }
  return n;
}

function address(name: string, value: string): string {
  const v = value.trim();
  const ipv4 = /^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}$/.test(v);
  const ipv6 = v.includes(':') && /^[0-9a-fA-F:.]+$/.test(v);
  if (!ipv4 && !ipv6) throw new UsageError(`invalid --${name} '${value}': expected an IPv4 or IPv6 address`);
  return v.toLowerCase();
}
