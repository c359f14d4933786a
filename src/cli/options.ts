/**
 * The one table of command-line options. The argv parser, the validation in config/ and the
 * --help text are all derived from it, so a flag cannot exist in one place and not another.
 */
export type OptionKind = 'string' | 'boolean' | 'list';

export interface OptionSpec {
  readonly name: string;
  readonly short?: string;
  readonly kind: OptionKind;
  readonly group: 'Connection' | 'Policy' | 'Output' | 'Logging' | 'General';
  readonly describe: string;
  /** Shown in help only; defaults are applied in config/, where they are validated. */
  readonly defaultText?: string;
  readonly choices?: readonly string[];
}

export const OPTIONS: readonly OptionSpec[] = [
  { name: 'host', short: 'h', kind: 'string', group: 'Connection', describe: 'Server host. "localhost" means the Unix socket, as with the mysql client', defaultText: 'localhost' },
  { name: 'port', short: 'P', kind: 'string', group: 'Connection', describe: 'TCP port', defaultText: '3306' },
  { name: 'socket', short: 'S', kind: 'string', group: 'Connection', describe: 'Unix socket path', defaultText: '/run/mysqld/mysqld.sock' },
  { name: 'protocol', kind: 'string', group: 'Connection', describe: 'Force the transport', choices: ['tcp', 'socket'] },
  { name: 'user', short: 'u', kind: 'string', group: 'Connection', describe: 'User name', defaultText: 'the login name' },
  { name: 'password', short: 'p', kind: 'string', group: 'Connection', describe: 'Password, attached only (-pSECRET, --password=SECRET). Visible in ps: prefer MYSQL_PWD or an option file' },
  { name: 'defaults-file', kind: 'string', group: 'Connection', describe: 'Read only this option file' },
  { name: 'defaults-extra-file', kind: 'string', group: 'Connection', describe: 'Read this option file after the global ones' },
  { name: 'no-defaults', kind: 'boolean', group: 'Connection', describe: 'Read no option files' },
  { name: 'timeout', kind: 'string', group: 'Policy', describe: 'Wall-clock deadline in seconds for the whole check (connect and every query). Keep it below keepalived\'s vrrp_script timeout', defaultText: '0.8' },
  { name: 'max-lag', kind: 'string', group: 'Policy', describe: 'Largest replication lag in seconds a standby may have and stay eligible (a configured SQL_Delay is not lag)', defaultText: '30' },
  { name: 'vip', kind: 'string', group: 'Policy', describe: 'Virtual IP: this node is the writer while the address is on a local interface' },
  { name: 'role', kind: 'string', group: 'Policy', describe: 'Role to judge as; auto = --vip holder, else read_only=OFF means writer', choices: ['auto', 'writer', 'standby'], defaultText: 'auto' },
  { name: 'on-saturated', kind: 'string', group: 'Policy', describe: 'Verdict when the server is alive but refuses us (1040 too many connections, 1203, 1226, 1129 host blocked)', choices: ['healthy', 'unhealthy'], defaultText: 'healthy' },
  { name: 'channel', kind: 'list', group: 'Policy', describe: 'Only judge these replication channels / connection names (repeatable); default all' },
  { name: 'format', kind: 'string', group: 'Output', describe: 'Output format', choices: ['human', 'json', 'nagios'], defaultText: 'human' },
  { name: 'json', kind: 'boolean', group: 'Output', describe: 'Same as --format json' },
  { name: 'log-file', kind: 'string', group: 'Logging', describe: 'Append one JSON line per unhealthy result to this file' },
  { name: 'no-syslog', kind: 'boolean', group: 'Logging', describe: 'Do not log unhealthy results to syslog/journal (by default one line goes there via logger(1), tag check-mysql)' },
  { name: 'help', kind: 'boolean', group: 'General', describe: 'Show this help' },
  { name: 'version', kind: 'boolean', group: 'General', describe: 'Show the version' },
];

export function findOption(name: string): OptionSpec | undefined {
  return OPTIONS.find((o) => o.name === name || o.short === name);
}
